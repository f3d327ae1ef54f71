#!/usr/bin/env bash
# What nginx answers by itself, over HTTP: with the trader-api processes out
# of reach (their socket gone) every request is 503 JSON "unavailable" and
# comes back once the socket does; the rate limits per client address
# (CONTRACT section 6) answer 429 JSON "rate_limited" with Retry-After,
# mutating requests and reads in separate zones (exhausting one leaves the
# other alone), and a limited request never reaches trader-api (no audit
# row); with the trader-api processes stopped (SIGSTOP) past
# TRADER_API_TIMEOUT, 504 JSON "unavailable". Counts only, no timing: the
# limits are set so low (2r/m and 1r/m) that the test cannot outrun them.
. "$(dirname "$0")/lib.sh"

export TRADER_DAEMON=off

# audited: the number of audit rows of API requests.
audited() {
  python3 - "$T_DB" <<'EOF'
import testdb, sys
con = testdb.connect(sys.argv[1])
print(con.execute("SELECT count(*) FROM audit_log WHERE event = 'api_request'").fetchone()[0])
EOF
}

# --- trader-api unreachable ----------------------------------------------------
stack_up
SOCK=$T_HOME/run/trader-api.sock
mv "$SOCK" "$SOCK.away" || bail "cannot move the socket"
http GET /simulate/current
expect_error 503 unavailable "no trader-api reachable: a read"
http POST /simulate/trigger '{}'
expect_error 503 unavailable "no trader-api reachable: a trigger"
is "$(header Content-Type)" "application/json; charset=utf-8" "... as JSON"
mv "$SOCK.away" "$SOCK"
http GET /simulate/current
is "$STATUS" 404 "the socket back: trader-api answers again"
"$STACK" down --home "$T_HOME" >/dev/null

# --- trader-api too slow -------------------------------------------------------
TRADER_API_TIMEOUT=1 stack_up
pids=$(api_pids)
# shellcheck disable=SC2086
kill -STOP $pids
http GET /simulate/current
# shellcheck disable=SC2086
kill -CONT $pids
expect_error 504 unavailable "trader-api stopped past TRADER_API_TIMEOUT"
like "$(jget 'j["message"]')" "in time" "... says it did not answer in time"
"$STACK" down --home "$T_HOME" >/dev/null

# --- rate limits -------------------------------------------------------------
export TRADER_RATE_WRITE=2r/m TRADER_RATE_WRITE_BURST=1
export TRADER_RATE_READ=1r/m TRADER_RATE_READ_BURST=1
stack_up
before=$(audited)
http POST /simulate/trigger '{}'
r1=$STATUS
http POST /simulate/trigger '{}'
r2=$STATUS
[ "$r1" != 429 ] && [ "$r2" != 429 ]
ok $? "two triggers within the burst pass (got $r1 $r2)"
http POST /simulate/trigger '{}'
expect_error 429 rate_limited "the third trigger"
is "$(header Retry-After)" 30 "... Retry-After: 30 (2 per minute)"
like "$(jget 'j["message"]')" "Retry-After" "... the message points at Retry-After"
is "$(audited)" $((before + 2)) "... never reached trader-api (no audit row)"

http GET /simulate/current
is "$STATUS" 404 "reads have their own zone: a read still passes"
http GET /simulate/current
is "$STATUS" 404 "... a second one (the burst)"
http GET /simulate/current
expect_error 429 rate_limited "the third read"
is "$(header Retry-After)" 60 "... Retry-After: 60 (1 per minute)"
is "$(curl -s -I -o /dev/null -w '%{http_code}' "$BASE/simulate/current")" 429 \
  "HEAD counts as a read"
http POST /simulate/trigger '{}'
is "$STATUS" 429 "triggers are still limited"

"$STACK" down --home "$T_HOME" >/dev/null
TRADER_RATE_WRITE=5x "$STACK" up --home "$T_HOME" --port "$T_PORT" >/dev/null 2>"$T_DIR/bad.err"
is $? 1 "scripts/stack refuses an invalid rate"
like "$(cat "$T_DIR/bad.err")" "invalid rate" "... saying so"

done_testing
