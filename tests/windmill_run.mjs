// windmill_run: runs the compiled Windmill scripts of
// integrations/windmill the way Windmill does, with Debian's node (tests).
//
//   node tests/windmill_run.mjs DIR script NAME ARGS_JSON
//       calls main() of DIR/f/trader/NAME.js with ARGS_JSON's named arguments
//   node tests/windmill_run.mjs DIR flow FLOW_JSON INPUT_JSON
//       runs the flow's modules in order: each module's input_transforms
//       (static values, or JavaScript expressions over flow_input and
//       results) give its script's arguments; prints every step's result
//
// Prints the result as JSON; on an exception prints {"error": message} and
// exits 1.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [dir, mode, a, b] = process.argv.slice(2);

// main's parameter names, in order (Windmill passes arguments by name).
function params(fn) {
  const src = fn.toString();
  const list = src.slice(src.indexOf("(") + 1, src.indexOf(")"));
  return list.split(",").map((p) => p.split("=")[0].trim()).filter(Boolean);
}

async function run(name, args) {
  const mod = await import(pathToFileURL(`${dir}/f/trader/${name}.js`).href);
  return mod.main(...params(mod.main).map((p) => args[p]));
}

try {
  let out;
  if (mode === "script") {
    out = await run(a, JSON.parse(b));
  } else {
    const flow = JSON.parse(readFileSync(a, "utf8"));
    const flow_input = JSON.parse(b);
    const results = {};
    for (const m of flow.value.modules) {
      const args = {};
      for (const [k, t] of Object.entries(m.value.input_transforms)) {
        args[k] = t.type === "static" ? t.value
          : new Function("flow_input", "results", `return (${t.expr});`)(flow_input, results);
      }
      results[m.id] = await run(m.value.path.replace(/^f\/trader\//, ""), args);
    }
    out = results;
  }
  console.log(JSON.stringify(out));
} catch (e) {
  console.log(JSON.stringify({ error: String(e && e.message ? e.message : e) }));
  process.exit(1);
}
