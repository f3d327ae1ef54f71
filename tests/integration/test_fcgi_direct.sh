#!/usr/bin/env bash
# trader-api spoken to directly over its FastCGI socket (bypassing nginx),
# with what nginx would never forward: missing and malformed parameters, a
# lying Content-Length, raw bytes, oversized values, truncated records. Every
# answer must be a JSON error with the right status, and every process must
# survive.
. "$(dirname "$0")/lib.sh"

stack_up
PIDS=$(api_pids)
SOCK=$T_HOME/run/trader-api.sock
CLIENT=$TOP_SRCDIR/tests/integration/fcgi_client.py

# fcgi PARAMS_JSON [BODY_FILE]: sets STATUS, the body in $T_DIR/body.
fcgi() {
  python3 "$CLIENT" "$SOCK" "$@" >"$T_DIR/fcgi.out" 2>"$T_DIR/fcgi.err" ||
    sed 's/^/# /' "$T_DIR/fcgi.err"
  STATUS=$(head -1 "$T_DIR/fcgi.out")
  tail -n +2 "$T_DIR/fcgi.out" >"$T_DIR/body"
}

fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "/simulate/current"}'
expect_error 404 not_found "a well-formed request works directly"

fcgi '{}'
expect_error 400 invalid_request "no parameters at all"
fcgi '{"REQUEST_METHOD": "GET"}'
expect_error 400 invalid_request "no REQUEST_URI"
fcgi '{"REQUEST_URI": "/health"}'
expect_error 400 invalid_request "no REQUEST_METHOD"
fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "health"}'
expect_error 400 invalid_request "a URI without a leading /"
fcgi '{"REQUEST_METHOD": "GETGETGETGETGETGETGETGET", "REQUEST_URI": "/health"}'
expect_error 400 invalid_request "an overlong method"
fcgi '{"REQUEST_METHOD": "", "REQUEST_URI": "/health"}'
expect_error 400 invalid_request "an empty method"

fcgi "{\"REQUEST_METHOD\": \"GET\", \"REQUEST_URI\": \"/$(printf 'x%.0s' $(seq 1 5000))\"}"
expect_error 414 invalid_request "a 5000-byte URI"
fcgi "{\"REQUEST_METHOD\": \"GET\", \"REQUEST_URI\": \"/results\", \"QUERY_STRING\": \"model=$(printf 'x%.0s' $(seq 1 100000))\"}"
expect_error 414 invalid_request "a 100000-byte query string"
fcgi "{\"REQUEST_METHOD\": \"GET\", \"REQUEST_URI\": \"/results\", \"QUERY_STRING\": \"$(printf 'p=1&%.0s' $(seq 1 40))\"}"
expect_error 400 invalid_request "40 query parameters"
fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "/results?date=abc", "QUERY_STRING": "date=2025-13-01"}'
expect_error 400 invalid_date "QUERY_STRING is what is parsed"
is "$(jget 'j["details"]["value"]')" 2025-13-01 "  its value is the one named"

fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "/\u00c3\u00a9\u0001\"<x>"}'
expect_error 404 not_found "raw bytes in the path"
is "$(jget 'j["details"]["path"]')" '/???"<x>' "  echoed as printable ASCII in valid JSON"
fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "/\u00ff\u0001\u0080\"<x>"}'
expect_error 400 invalid_request "raw bytes in the path that are not UTF-8"
is "$(jget 'j.get("details")')" null "  not echoed"
fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "/results", "QUERY_STRING": "model=\u00ff\u0001"}'
expect_error 400 invalid_request "raw bytes in a parameter"
fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "/results", "QUERY_STRING": "model=%00"}'
expect_error 400 invalid_request "an encoded NUL"
fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t"}'
expect_error 404 not_found "twenty path segments"

fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "/health", "CONTENT_LENGTH": "999999999"}'
expect_error 413 payload_too_large "a declared 1 GB body"
fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "/health", "CONTENT_LENGTH": "12abc"}'
expect_error 400 invalid_request "a malformed Content-Length"
fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "/health", "CONTENT_LENGTH": "-5"}'
expect_error 400 invalid_request "a negative Content-Length"
head -c 70000 /dev/zero >"$T_DIR/big"
fcgi '{"REQUEST_METHOD": "POST", "REQUEST_URI": "/health", "CONTENT_LENGTH": "10", "CONTENT_TYPE": "application/json"}' "$T_DIR/big"
expect_error 413 payload_too_large "a 70000-byte body declared as 10 bytes"
printf '{}' >"$T_DIR/small"
fcgi '{"REQUEST_METHOD": "POST", "REQUEST_URI": "/health", "CONTENT_LENGTH": "2", "CONTENT_TYPE": "application/json"}' "$T_DIR/small"
expect_error 405 method_not_allowed "a small body to a GET-only route"

for _ in 1 2 3 4; do
  python3 "$CLIENT" "$SOCK" --truncated
done
ok $? "four connections closed mid-record"

fcgi '{"REQUEST_METHOD": "GET", "REQUEST_URI": "/simulate/status/nope"}'
expect_error 404 not_found "still answering afterwards"
alive $PIDS
ok $? "every trader-api process survived ($PIDS)"

"$STACK" down --home "$T_HOME" >"$T_DIR/down.out" 2>&1
ok $? "SIGTERM stops the workers"
! grep -q "did not exit" "$T_DIR/down.out"
ok $? "  without needing SIGKILL"
! alive $PIDS 2>/dev/null && [ -z "$(for p in $PIDS; do readlink "/proc/$p/exe"; done 2>/dev/null)" ]
ok $? "  all gone"
T_PORT=

done_testing
