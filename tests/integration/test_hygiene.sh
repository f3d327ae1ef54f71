#!/usr/bin/env bash
# Input hygiene over HTTP through nginx (issue 7, item 7): no NUL accepted in
# a trigger body (models, dates, config_path, keys) or a query; invalid UTF-8
# in a body, a query or a path is a 400 that echoes none of it, and every
# answer is valid UTF-8; echoed input is cut to 64 characters; config_path
# answers are the same for files outside the configs directory that exist
# and that do not; strict JSON types; duplicate keys and non-strict JSON are
# refused. None of it writes anything.
. "$(dirname "$0")/lib.sh"

export TRADER_DAEMON=off
stack_up
ctl prices synth --days 10 >/dev/null || bail "traderctl prices synth failed"
before=$(db_digest)

# utf8_answer: true when the last answer is valid UTF-8 JSON.
utf8_answer() {
  python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' \
    "$T_DIR/body" 2>/dev/null
}

# refused BODY DESCRIPTION [PATTERN]: a trigger with BODY is a 400 whose
# message matches PATTERN, in valid UTF-8.
refused() {
  http POST /simulate/trigger "$1"
  like "$STATUS" '^400$' "$2: 400"
  utf8_answer
  ok $? "$2: the answer is valid UTF-8 JSON"
  [ $# -ge 3 ] && like "$(jget 'j["message"]')" "$3" "$2: says why"
}

# --- NUL ---------------------------------------------------------------------
refused '{"models": ["momentum\u0000x"]}' 'NUL in a model' 'NUL'
refused '{"start_date": "2025-01-06\u0000junk", "end_date": "2025-01-06"}' 'NUL after a date' 'NUL'
refused '{"date_range": ["2025-01-06\u0000"]}' 'NUL in date_range' 'NUL'
refused '{"config_path": "configs/default_config.json\u0000.txt"}' 'NUL in config_path' 'NUL'
refused '{"models\u0000x": ["momentum"]}' 'NUL in a key' 'NUL'
http GET '/results?model=momentum%00x'
expect_error 400 invalid_request "%00 in a query value"
http GET '/results?date=2025-01-06%00'
expect_error 400 invalid_request "%00 after a date"
http GET '/results?x%00=1'
expect_error 400 invalid_request "%00 in a query name"
http GET '/simulate/status/abc%00def'
expect_error 400 invalid_request "%00 in the path"

# --- invalid UTF-8 -------------------------------------------------------------
printf '{"config_path": "configs/\xff\xfe.json"}' >"$T_DIR/bad-utf8.json"
refused "@$T_DIR/bad-utf8.json" "invalid UTF-8 in config_path" "UTF-8"
printf '{"models": ["mom\xc0\xafentum"]}' >"$T_DIR/overlong.json"
refused "@$T_DIR/overlong.json" "an overlong UTF-8 form" "UTF-8"
http GET '/results?model=%FF%FE'
expect_error 400 invalid_request "invalid UTF-8 in a query value"
like "$(jget 'j["message"]')" "UTF-8" "... says so"
http GET '/results?unknown=%ED%A0%80'
expect_error 400 invalid_request "an encoded surrogate in an unknown parameter"
http GET '/simulate/status/%C3%28'
expect_error 400 invalid_request "invalid UTF-8 in the path"
utf8_answer
ok $? "... the answer is valid UTF-8"

# --- echoes ------------------------------------------------------------------
long=$(printf 'configs/%0200d.json' 0)
http POST /simulate/trigger "{\"config_path\": \"$long\"}"
expect_error 400 invalid_request "a 213-character missing config_path"
msg=$(jget 'j["message"]')
like "$msg" "does not exist" "... does not exist"
quoted=$(jget 'j["message"].split("\"")[1]')
is "${#quoted}" 67 "... echoed cut to 64 characters and ..."
http POST /simulate/trigger '{"config_path": "configs/caf\u00e9-\u2603.json"}'
expect_error 400 invalid_request "a non-ASCII missing config_path"
utf8_answer
ok $? "... the answer is valid UTF-8"

# --- config_path outside the configs directory ---------------------------------
# answer_without PATH: the answer with the echoed PATH taken out.
answer_without() {
  python3 - "$T_DIR/body" "$1" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
print(json.dumps(j, sort_keys=True).replace(sys.argv[2], "PATH"))
EOF
}
for pair in "/etc/passwd|/etc/no-such-trader-file" "../../../../etc/hostname|../../../../etc/no-such-file" \
  "/root/.bashrc|/root/no-such-file" "/proc/self/environ|/proc/self/no-such"; do
  yes=${pair%|*} no=${pair#*|}
  http POST /simulate/trigger "{\"config_path\": \"$yes\"}"
  s1=$STATUS a1=$(answer_without "$yes")
  http POST /simulate/trigger "{\"config_path\": \"$no\"}"
  s2=$STATUS a2=$(answer_without "$no")
  is "$s1 $a1" "$s2 $a2" "outside, existing or not, the same answer: $yes / $no"
done
like "$a1" "outside the configs directory" "... which says outside the configs directory"

# --- strict JSON types, duplicates, strict syntax -------------------------------
refused '{"replace_existing": "true"}' 'a string for a boolean' 'true or false'
refused '{"replace_existing": 1}' 'a number for a boolean' 'true or false'
refused '{"start_date": 20250106, "end_date": "2025-01-06"}' 'a number for a date'
refused '{"models": "momentum"}' 'a string for a list'
refused '{"models": [1]}' 'a number in the models'
refused '{"config_path": ["configs/default_config.json"]}' 'a list for config_path'
refused '{"models": ["momentum"], "models": ["nope"]}' 'a duplicate key' 'duplicate key'
refused '{"date_range": ["2025-01-06"], "date_range": ["2025-01-07"]}' 'a duplicate date_range' 'duplicate key'
refused "{\"models\": ['momentum']}" 'single quotes' 'JSON'
refused '{"models": ["momentum"],}' 'a trailing comma' 'JSON'

is "$(db_digest)" "$before" "nothing written by any refused request"
done_testing
