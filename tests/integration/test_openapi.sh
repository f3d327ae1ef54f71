#!/usr/bin/env bash
# GET /openapi.json (CONTRACT section 8): served through nginx (and under
# /api/v1) byte for byte as docs/openapi.json, with an ETag that answers 304;
# valid OpenAPI 3.1 for an independent validator (@apidevtools/swagger-parser,
# pinned in tests/npm), which rejects a broken copy; every route of
# fcgi/routes.c is documented, with every parameter it declares; the answers
# of this test (and of every other integration test, see lib.sh) match its
# schemas.
. "$(dirname "$0")/lib.sh"

DOC=$TOP_SRCDIR/docs/openapi.json
command -v node >/dev/null || skip_all "node is not installed (scripts/deps)"
"$TOP_SRCDIR/scripts/npm-tools" "$NPM_TOOLS" >"$T_DIR/npm.out" 2>&1 ||
  skip_all "the pinned npm tools cannot be installed: $(tail -1 "$T_DIR/npm.out")"
check() {
  node "$TOP_SRCDIR/tests/openapi_check.cjs" "$NPM_TOOLS" "$@" >"$T_DIR/check.out" 2>&1
}

check validate "$DOC"
ok $? "docs/openapi.json is valid OpenAPI (swagger-parser)" || sed 's/^/# /' "$T_DIR/check.out"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["openapi"])' "$DOC")" 3.1.0 "  version 3.1.0"
python3 - "$DOC" "$T_DIR/broken.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
del d["paths"]["/results"]["get"]["responses"]
d["paths"]["/health"]["get"]["parameters"].append({"name": "x", "in": "nowhere"})
json.dump(d, open(sys.argv[2], "w"))
PY
check validate "$T_DIR/broken.json"
is "$?" 1 "  the validator rejects a broken copy"

# Every route of the table, with its method, is a documented operation.
missing=$(python3 - "$TOP_SRCDIR/fcgi/routes.c" "$DOC" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[2]))
routes = re.findall(r'\{"(GET|POST)", "(/[^"]*)", page_', open(sys.argv[1]).read())
print(" ".join("%s %s" % r for r in routes if r[0].lower() not in doc["paths"].get(r[1], {})))
PY
)
is "$missing" "" "every route of fcgi/routes.c is documented"

# Every parameter a route declares in fcgi/routes.c (its param_spec list; a
# {name} in the pattern is a path parameter) is documented on its operation.
undocumented() {
  python3 - "$TOP_SRCDIR/fcgi/routes.c" "$1" <<'PY'
import json, re, sys
src = open(sys.argv[1]).read()
doc = json.load(open(sys.argv[2]))
spec = dict(re.findall(r'param_spec (p_\w+) = \{\s*"(\w+)"', src))
lists = {n: re.findall(r"&(p_\w+)", body)
         for n, body in re.findall(r"param_spec \*const (\w+)\[\] = \{([^}]*)\}", src)}
def deref(p):
    ref = p.get("$ref", "")
    return doc["components"]["parameters"][ref.split("/")[-1]] if ref else p
out = []
for method, path, plist in re.findall(
        r'\{"(GET|POST)", "(/[^"]*)", page_\w+,[^,}]*,\s*(\w+)\}', src):
    item = doc["paths"].get(path, {})
    have = {(q["name"], q["in"]) for q in map(deref, item.get(method.lower(), {}).get("parameters", [])
                                               + item.get("parameters", []))}
    for p in lists.get(plist, []):
        where = "path" if "{%s}" % spec[p] in path else "query"
        if (spec[p], where) not in have:
            out.append("%s %s %s(%s)" % (method, path, spec[p], where))
print(" ".join(out))
PY
}
is "$(undocumented "$DOC")" "" "every parameter of fcgi/routes.c is documented"
python3 - "$DOC" "$T_DIR/noparam.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
op = d["paths"]["/simulate/jobs"]["get"]
op["parameters"] = [p for p in op["parameters"] if p.get("name") != "offset"]
json.dump(d, open(sys.argv[2], "w"))
PY
is "$(undocumented "$T_DIR/noparam.json")" "GET /simulate/jobs offset(query)" \
  "  a missing one is found"

stack_up
http GET /openapi.json
is "$STATUS" 200 "GET /openapi.json: 200"
cmp -s "$T_DIR/body" "$DOC"
ok $? "  the document itself"
like "$(header Content-Type)" '^application/json' "  application/json"
etag=$(header ETag)
like "$etag" '^"' "  has an ETag"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/openapi.json")
is "$STATUS" 304 "  If-None-Match with it: 304"
http GET /api/v1/openapi.json
is "$STATUS" 200 "GET /api/v1/openapi.json: 200"
cmp -s "$T_DIR/body" "$DOC"
ok $? "  the same document"

# /api/v1/... answers as the unprefixed paths, the request URI as sent.
http GET /api/v1/health
is "$STATUS/$(jget 'j["status"]')" 200/healthy "GET /api/v1/health"
http GET '/api/v1/results?date=2025-13-01'
expect_error 400 invalid_date "GET /api/v1/results with a bad date"
http GET '/api/v1/simulate/status/a%2Fb'
expect_error 400 invalid_request "/api/v1: an encoded slash stays inside the job id"
is "$(jget 'j["details"]["value"]')" a/b "  the id as sent"
http GET /api/v2/health
expect_error 404 not_found "another version prefix"

# A few answers of each kind for the schema check (done_testing).
http GET /health
http GET /simulate/current
http GET /simulate/jobs
http GET /simulate/status/nope
http GET /results
http GET '/results?date=2025-13-01'
http GET /nowhere
http DELETE /results
http POST /simulate/trigger '{"models": 3}'
http POST /simulate/trigger 'x' text/plain
http POST /simulate/cancel/nope
# The check itself can fail: an answer the description does not allow.
mkdir -p "$T_DIR/bad"
echo '{"date": "2025-01-06", "count": "two", "results": []}' >"$T_DIR/bad/1.body"
echo '200 GET /results' >"$T_DIR/bad/index"
echo '{"error": "nope", "message": "x"}' >"$T_DIR/bad/2.body"
echo '418 GET /health' >>"$T_DIR/bad/index"
check answers "$DOC" "$T_DIR/bad"
is "$?" 1 "the answer check rejects answers that do not match"
is "$(grep -c 'does not match\|not documented' "$T_DIR/check.out")" 2 "  both of them"

done_testing
