#!/usr/bin/env node
// openapi_check: the test suite's OpenAPI checks, with the pinned npm tools
// that scripts/npm-tools installed in NPM_DIR (Debian's node runs it).
//
//   node tests/openapi_check.cjs NPM_DIR validate DOC
//       validates DOC with @apidevtools/swagger-parser (exit 1 when invalid)
//   node tests/openapi_check.cjs NPM_DIR answers DOC DIR
//       checks each answer recorded in DIR (lib.sh: "STATUS METHOD PATH" per
//       line of DIR/index, the body in DIR/N.body) against DOC: the path
//       and method must be documented (else the answer must be a 404 or 405
//       error), the status must be one the operation lists, and a JSON body
//       must match that response's schema (ajv, JSON Schema 2020-12).
//       Prints one line per failure; exit 1 when any.
"use strict";
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const [npmDir, mode, docPath, answersDir] = process.argv.slice(2);
const need = createRequire(path.resolve(npmDir, "package.json"));
const SwaggerParser = need("@apidevtools/swagger-parser");
const Ajv2020 = need("ajv/dist/2020").default;

// The operation of a documented path template matching the concrete path.
function findPath(paths, concrete) {
  const segs = concrete.split("/");
  for (const tpl of Object.keys(paths)) {
    const t = tpl.split("/");
    if (t.length !== segs.length) continue;
    if (t.every((s, i) => (s.startsWith("{") && segs[i] !== "") || s === segs[i])) return tpl;
  }
  return null;
}

async function answers(api) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false });
  const compiled = new Map();
  const validator = (schema) => {
    if (!compiled.has(schema)) compiled.set(schema, ajv.compile(schema));
    return compiled.get(schema);
  };
  const errorSchema = api.components.schemas.Error;
  const lines = fs.readFileSync(path.join(answersDir, "index"), "utf8").split("\n").filter(Boolean);
  let failures = 0;
  const fail = (msg) => {
    failures++;
    console.log(msg);
  };
  lines.forEach((line, i) => {
    const [status, method, raw] = line.split(" ");
    const p = raw.split("?")[0].replace(/^\/api\/v1(?=\/)/, "");
    const text = fs.readFileSync(path.join(answersDir, `${i + 1}.body`), "utf8");
    let body;
    if (text.trim() !== "") {
      try {
        body = JSON.parse(text);
      } catch (e) {
        body = undefined; // not JSON: only the status is checked
      }
    }
    const tpl = findPath(api.paths, p);
    const op = tpl && api.paths[tpl][method === "HEAD" ? "get" : method.toLowerCase()];
    let resp;
    if (!op) {
      if (status !== "404" && status !== "405" && status !== "400" && status !== "414" &&
          status !== "413") {
        fail(`${line}: ${tpl ? "method" : "path"} not documented`);
        return;
      }
      resp = { content: { "application/json": { schema: errorSchema } } };
    } else {
      resp = op.responses[status];
      if (!resp) {
        fail(`${line}: status ${status} not documented for ${method} ${tpl}`);
        return;
      }
    }
    const schema = resp.content && resp.content["application/json"] &&
                   resp.content["application/json"].schema;
    if (!schema || body === undefined || method === "HEAD") return;
    const v = validator(schema);
    if (!v(body))
      fail(`${line}: body does not match the schema: ${ajv.errorsText(v.errors)}: ` +
           text.slice(0, 300).replace(/\n/g, " "));
  });
  console.log(`${lines.length} answers checked, ${failures} failed`);
  return failures === 0;
}

(async () => {
  try {
    if (mode === "validate") {
      const api = await SwaggerParser.validate(docPath);
      console.log(`valid OpenAPI ${api.openapi}: ${Object.keys(api.paths).length} paths`);
    } else if (mode === "answers") {
      const api = await SwaggerParser.dereference(docPath);
      if (!(await answers(api))) process.exit(1);
    } else {
      console.error("usage: openapi_check.cjs NPM_DIR validate|answers DOC [DIR]");
      process.exit(2);
    }
  } catch (e) {
    console.log(`invalid: ${e.message}`);
    process.exit(1);
  }
})();
