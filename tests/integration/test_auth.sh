#!/usr/bin/env bash
# API keys and protected mode over HTTP through nginx (CONTRACT section 6),
# from loopback: with no key a loopback trigger is accepted (audited as
# "loopback"); traderctl keys create|list|revoke; once a key exists a trigger
# without one is 401 with WWW-Authenticate: Bearer, a wrong or malformed one
# 401, a read key 403, a write key accepted; reads stay open unless
# TRADER_AUTH_READS=1, then any valid key reads; cancel needs a write key
# like trigger; every mutating request,
# refused or not, leaves an audit row (time, key or "loopback", client,
# endpoint, outcome); keys list never shows a token and the database keeps
# none. Non-loopback clients: test_auth_netns.sh.
. "$(dirname "$0")/lib.sh"

export TRADER_DAEMON=off

# sql QUERY: the rows of a query on the stack's database, "|"-separated.
sql() {
  python3 - "$T_DB" "$1" <<'EOF'
import testdb, sys
con = testdb.connect(sys.argv[1])
for row in con.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
EOF
}

# post [TOKEN]: a catch-up trigger, with that key when given.
post() {
  local auth=()
  [ $# -ge 1 ] && auth=(-H "Authorization: $1")
  STATUS=$(curl -s -o "$T_DIR/body" -D "$T_DIR/headers" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' "${auth[@]}" --data-binary '{}' \
    "$BASE/simulate/trigger") || STATUS=000
}

# get PATH [AUTHORIZATION]
get() {
  local auth=()
  [ $# -ge 2 ] && auth=(-H "Authorization: $2")
  STATUS=$(curl -s -o "$T_DIR/body" -D "$T_DIR/headers" -w '%{http_code}' "${auth[@]}" \
    "$BASE$1") || STATUS=000
}

# last_audit: actor|client|endpoint|status|outcome of the newest request row.
last_audit() {
  sql "SELECT actor, client, endpoint, status, outcome FROM audit_log
       WHERE event = 'api_request' ORDER BY id DESC LIMIT 1"
}

stack_up
ctl prices synth --days 10 >/dev/null || bail "traderctl prices synth failed"

# --- protected mode, loopback ------------------------------------------------
out=$(ctl keys list)
like "$out" "no API keys" "keys list: none yet"
post
is "$STATUS" 202 "no key yet: a loopback trigger is accepted"
job=$(jget 'j["job_id"]')
is "$(last_audit)" "loopback|127.0.0.1|POST /simulate/trigger|202|ok" "... audited as loopback"
is "$(sql "SELECT job_id FROM audit_log WHERE event = 'api_request' ORDER BY id DESC LIMIT 1")" \
  "$job" "... with the job it created"
post
is "$STATUS" 200 "the same trigger again: 200 (already running)"
post "Bearer trk_nothing"
expect_error 401 unauthorized "no key yet: a token is still checked"

# --- keys --------------------------------------------------------------------
WRITE=$(ctl keys create --name ci-bot 2>"$T_DIR/create.err")
ok $? "keys create (default scope write)"
like "$WRITE" '^trk_[A-Za-z0-9_-]{43}$' "... prints one token"
like "$(cat "$T_DIR/create.err")" 'write key "ci-bot".*shown once' "... says it is shown once"
READ=$(ctl keys create --name dashboard --scope read 2>/dev/null)
like "$READ" '^trk_' "keys create --scope read"
ctl keys create --name ci-bot >/dev/null 2>"$T_DIR/dup.err"
is $? 1 "a taken name is refused"
like "$(cat "$T_DIR/dup.err")" "already exists" "... saying so"
ctl keys create --name 'bad name' >/dev/null 2>&1
is $? 1 "an invalid name is refused"
ctl keys create --name loopback >/dev/null 2>&1
is $? 1 "the name loopback is reserved (the audit's keyless loopback actor)"
ctl keys create --name x --scope admin >/dev/null 2>&1
is $? 1 "an unknown scope is refused"
ctl keys create >/dev/null 2>&1
is $? 2 "--name is required"
out=$(ctl keys list)
like "$out" "ci-bot +write .* never" "keys list: the write key, never used"
like "$out" "dashboard +read " "keys list: the read key"
[[ "$out" != *"$WRITE"* && "$out" != *"$READ"* ]]
ok $? "keys list shows no token"
n=$(sql "SELECT count(*) FROM api_keys WHERE length(token_hash) = 32")
is "$n" 2 "the database keeps 32-byte hashes"
! grep -r -a -q -F -e "$WRITE" -e "$READ" $(db_files)
ok $? "no token is in the database's files"

# --- a key is now required ---------------------------------------------------
post
expect_error 401 unauthorized "a key exists: a trigger without one"
like "$(header WWW-Authenticate)" '^Bearer realm="trader"$' "... WWW-Authenticate: Bearer"
like "$(jget 'j["message"]')" "Authorization: Bearer" "... the message says how to send one"
is "$(last_audit)" "|127.0.0.1|POST /simulate/trigger|401|unauthorized" "... audited as refused"
post "Bearer trk_wrong"
expect_error 401 unauthorized "a wrong key"
like "$(header WWW-Authenticate)" 'error="invalid_token"' "... WWW-Authenticate says invalid_token"
post "Basic dXNlcjpwYXNz"
expect_error 401 unauthorized "another scheme"
post "Bearer $WRITE extra"
expect_error 401 unauthorized "a malformed Bearer credential"
post "Bearer ${WRITE}x"
expect_error 401 unauthorized "the write key with one more character"
post "Bearer ${WRITE%?}"
expect_error 401 unauthorized "the write key with one character less"
post "Bearer $READ"
expect_error 403 forbidden "a read key on a mutating endpoint"
like "$(jget 'j["message"]')" "needs a write key" "... says a write key is needed"
is "$(last_audit)" "dashboard|127.0.0.1|POST /simulate/trigger|403|forbidden" \
  "... audited with the key's name"
post "bearer   $WRITE"
is "$STATUS" 200 "the write key (scheme in any case): accepted (the job runs already)"
is "$(last_audit)" "ci-bot|127.0.0.1|POST /simulate/trigger|200|ok" "... audited with the key's name"
like "$(ctl keys list)" "ci-bot +write +[0-9TZ:.-]+ +20[0-9]{2}-" "keys list: last use recorded"
http POST /simulate/trigger '{"models": ["nope"]}'
expect_error 401 unauthorized "a bad body without a key: 401 before any validation"

# --- reads -------------------------------------------------------------------
get /simulate/current
is "$STATUS" 200 "reads need no key by default"
get "/simulate/status/$job"
is "$STATUS" 200 "... status"
total=$(sql "SELECT count(*) FROM audit_log WHERE event = 'api_request'")
is "$total" 12 "one audit row per mutating request, none for reads"

# POST /simulate/cancel/{job_id} is a mutating route too (ROUTE_WRITE).
cancel() {
  STATUS=$(curl -s -o "$T_DIR/body" -D "$T_DIR/headers" -w '%{http_code}' -X POST \
    ${1:+-H "Authorization: $1"} "$BASE/simulate/cancel/$job") || STATUS=000
}
cancel
expect_error 401 unauthorized "cancel without a key"
cancel "Bearer $READ"
expect_error 403 forbidden "cancel with a read key"
is "$(sql "SELECT status FROM jobs WHERE job_id = '$job'")" pending "... the job is still pending"
cancel "Bearer $WRITE"
is "$STATUS" 200 "cancel with the write key"
is "$(sql "SELECT status FROM jobs WHERE job_id = '$job'")" cancelled "... the job is cancelled"
is "$(last_audit)" "ci-bot|127.0.0.1|POST /simulate/cancel/$job|200|ok" "... audited"

"$STACK" down --home "$T_HOME" >/dev/null
export TRADER_AUTH_READS=1
stack_up
get /simulate/current
expect_error 401 unauthorized "TRADER_AUTH_READS=1: a read without a key"
like "$(header WWW-Authenticate)" '^Bearer' "... WWW-Authenticate: Bearer"
get /results "Bearer trk_wrong"
expect_error 401 unauthorized "... a read with a wrong key"
get "/simulate/status/$job" "Bearer $READ"
is "$STATUS" 200 "... the read key reads"
get "/simulate/status/$job" "Bearer $WRITE"
is "$STATUS" 200 "... the write key reads"
like "$(ctl keys list)" "dashboard +read +[0-9TZ:.-]+ +20[0-9]{2}-" "... the read key's use recorded"

# --- revoke ------------------------------------------------------------------
out=$(ctl keys revoke dashboard)
is $? 0 "keys revoke"
get "/simulate/status/$job" "Bearer $READ"
expect_error 401 unauthorized "a revoked key is refused"
ctl keys revoke dashboard >/dev/null 2>&1
is $? 1 "revoking an unknown key fails"
ctl keys revoke ci-bot >/dev/null
post
is "$STATUS" 202 "every key revoked: protected mode again, loopback accepted"
get /simulate/current
is "$STATUS" 200 "... and loopback reads too (TRADER_AUTH_READS=1, no key)"

done_testing
