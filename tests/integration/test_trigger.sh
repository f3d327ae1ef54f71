#!/usr/bin/env bash
# POST /simulate/trigger over HTTP through nginx: every answer of the contract
# (202, 200 already running, 200 up to date, 409 for a shared model and for
# MAX_CONCURRENT_JOBS), every 400 (config_path traversal and symlink escape,
# missing file, broken config, unknown model or field, bad and future dates,
# non-trading days, wrong types, bad JSON), 405, 415 and 413, nothing written
# after a refused request, and the limit under 20 concurrent triggers.
# The stack runs with TRADER_DAEMON=off so that jobs stay pending.
. "$(dirname "$0")/lib.sh"

export TRADER_DAEMON=off
CONFIGS=$T_DIR/configs
export TRADER_CONFIGS_DIR=$CONFIGS
mkdir -p "$CONFIGS"
cp "$TOP_SRCDIR/configs/default_config.json" "$CONFIGS/"
cat >"$CONFIGS/extra.json" <<'EOF'
{"date_range": {"init_date": "2025-01-02"},
 "models": [{"signature": "fx-a", "provider": "mock"},
            {"signature": "solo", "provider": "mock"}]}
EOF
echo '{"date_range": {"init_date": "2025-01-02"}, "models": []}' >"$CONFIGS/broken.json"
python3 - "$CONFIGS/many.json" <<'EOF'
import json, sys
models = [{"signature": "m%02d" % i, "provider": "mock"} for i in range(20)]
json.dump({"date_range": {"init_date": "2025-01-02"}, "models": models}, open(sys.argv[1], "w"))
EOF
cp "$CONFIGS/extra.json" "$T_DIR/outside.json"
ln -s "$T_DIR/outside.json" "$CONFIGS/link.json"

# trigger BODY: POST it as JSON.
trigger() {
  http POST /simulate/trigger "$1"
}

# sql QUERY: one value from the stack's database.
sql() {
  python3 - "$T_DB" "$1" <<'EOF'
import testdb, sys
con = testdb.connect(sys.argv[1])
print(con.execute(sys.argv[2]).fetchone()[0])
EOF
}

# --- MAX_CONCURRENT_JOBS=1 ------------------------------------------------------
export MAX_CONCURRENT_JOBS=1
stack_up

trigger '{}'
expect_error 400 invalid_request "catch-up with an empty price store"
like "$(jget 'j["message"]')" "import prices first" "... says to import prices"

ctl prices synth --days 10 >/dev/null || bail "traderctl prices synth failed"
# fx-a has completed 2025-01-03 and 2025-01-06 (an imported AI-Trader run).
aitrader_fixture "$T_DIR/agent_data" 2025-01-02 2025-01-03 2025-01-06
ctl import-aitrader "$T_DIR/agent_data" --models fx-a >/dev/null || bail "import-aitrader failed"

before=$(db_digest)

trigger '{"config_path": "../../etc/passwd"}'
expect_error 400 invalid_request "config_path traversal"
like "$(jget 'j["message"]')" "outside the configs directory" "... is outside the configs directory"
trigger '{"config_path": "/etc/passwd"}'
expect_error 400 invalid_request "absolute config_path outside"
trigger '{"config_path": "configs/link.json"}'
expect_error 400 invalid_request "config_path symlink escape"
like "$(jget 'j["message"]')" "outside the configs directory" "... is outside the configs directory"
trigger '{"config_path": "configs/nope.json"}'
expect_error 400 invalid_request "missing config"
like "$(jget 'j["message"]')" "does not exist" "... does not exist"
trigger '{"config_path": "configs/broken.json"}'
expect_error 400 invalid_request "broken config"
like "$(jget 'j["message"]')" "models must be" "... names the problem"
trigger '{"config_path": 42}'
expect_error 400 invalid_request "config_path not a string"
trigger '{"models": ["nope"]}'
expect_error 400 invalid_request "unknown model"
like "$(jget 'j["message"]')" 'unknown model "nope"' "... names it"
trigger '{"models": "momentum"}'
expect_error 400 invalid_request "models not an array"
trigger '{"replace_existing": "yes"}'
expect_error 400 invalid_request "replace_existing not a boolean"
trigger '{"foo": 1}'
expect_error 400 invalid_request "unknown field"
like "$(jget 'j["message"]')" 'unknown field "foo"' "... names it"
trigger '{"start_date": "2025-13-01"}'
expect_error 400 invalid_date "impossible start_date"
trigger '{"start_date": "01/06/2025"}'
expect_error 400 invalid_date "start_date in another format"
trigger '{"end_date": "2999-01-01"}'
expect_error 400 invalid_date "end_date in the future"
like "$(jget 'j["message"]')" "in the future" "... says so"
trigger '{"start_date": "2025-01-08", "end_date": "2025-01-06"}'
expect_error 400 invalid_date "start_date after end_date"
trigger '{"date_range": ["2025-01-06", "2025-01-04", "2025-01-05"]}'
expect_error 400 invalid_date "weekend dates"
like "$(jget 'j["message"]')" "2025-01-04, 2025-01-05" "... listed"
trigger '{"date_range": ["2025-01-20"]}'
expect_error 400 invalid_date "a date beyond the price store"
trigger '{"date_range": ["2025-01-02"]}'
expect_error 400 invalid_date "init_date is never traded"
trigger '{"start_date": "2025-01-03", "date_range": ["2025-01-06"]}'
expect_error 400 invalid_request "date_range with start_date"
trigger '{"date_range": "2025-01-06"}'
expect_error 400 invalid_request "date_range not an array"
trigger '{'
expect_error 400 invalid_request "bad JSON"
trigger '{"a": 1} x'
expect_error 400 invalid_request "trailing garbage"
trigger '[]'
expect_error 400 invalid_request "not an object"
http POST /simulate/trigger '{}' text/plain
expect_error 415 unsupported_media_type "wrong content type"
head -c 70000 /dev/zero | tr '\0' ' ' >"$T_DIR/big.json"
http POST /simulate/trigger "@$T_DIR/big.json"
expect_error 413 payload_too_large "oversized body"
http GET /simulate/trigger
expect_error 405 method_not_allowed "GET /simulate/trigger"
is "$(header Allow)" "POST" "... Allow: POST"
is "$(db_digest)" "$before" "nothing written by any refused request"

# 202: fx-a catches up from the day after its last completed one.
trigger '{"config_path": "configs/extra.json", "models": ["fx-a"]}'
is "$STATUS" 202 "catch-up for fx-a: 202"
JOB=$(jget 'j["job_id"]')
like "$JOB" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "job_id is a UUID v4"
is "$(jget 'j["status"]')" accepted "status accepted"
is "$(jget 'j["date_range"]')" \
  '["2025-01-07","2025-01-08","2025-01-09","2025-01-10","2025-01-13","2025-01-14","2025-01-15"]' \
  "date_range: after fx-a's last completed day, to the last trading day"
is "$(jget 'j["models"]')" '["fx-a"]' "models"
is "$(jget 'j["total_model_days"]')" 7 "total_model_days"
like "$(jget 'j["created_at"]')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "created_at"
is "$(jget 'j["message"]')" "Simulation job queued successfully" "message"
is "$(sql "SELECT count(*) FROM job_details WHERE job_id = '$JOB' AND status = 'pending'")" 7 \
  "7 pending model-days stored"
is "$(sql "SELECT event FROM audit_log WHERE job_id = '$JOB'")" job_created "audited"
# Stored as JSON equal to the file's (it has no key to keep out).
is "$(sql "SELECT json(config_json) FROM jobs WHERE job_id = '$JOB'")" \
  "$(python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' "$CONFIGS/extra.json")" \
  "the config is stored with the job"

# 200: the same request again is the job already queued.
trigger '{"config_path": "configs/extra.json", "models": ["fx-a"]}'
is "$STATUS" 200 "same request: 200"
is "$(jget 'j["job_id"]')" "$JOB" "... the active job"
like "$(jget 'j["status"]')" '^(pending|running)$' "... its status"
is "$(jget 'j["message"]')" "Simulation already in progress" "... message"
is "$(jget 'j["progress"]["total_model_days"]')" 7 "... with its progress"

# 409: a shared model, and the limit for disjoint models.
after=$(db_digest)
trigger '{"config_path": "configs/extra.json", "models": ["fx-a", "solo"]}'
expect_error 409 conflict "a shared model"
is "$(jget 'j["message"]')" "Different simulation already running" "... message"
is "$(jget 'j["current_job_id"]')" "$JOB" "... current_job_id"
is "$(jget 'j["current_date_range"][0]')" 2025-01-07 "... current_date_range"
trigger '{}'
expect_error 409 conflict "MAX_CONCURRENT_JOBS=1 with disjoint models"
is "$(jget 'j["current_job_id"]')" "$JOB" "... current_job_id"

# 200 current: nothing left for fx-a up to 2025-01-06.
trigger '{"config_path": "configs/extra.json", "models": ["fx-a"], "end_date": "2025-01-06"}'
is "$STATUS" 200 "up to date: 200"
is "$(jget 'j["status"]')" current "... status current"
is "$(jget 'j["message"]')" "Simulation already up-to-date" "... message"
is "$(jget 'j["last_simulation_date"]')" 2025-01-06 "... last_simulation_date"
is "$(jget 'j["next_trading_day"]')" 2025-01-07 "... next_trading_day"
is "$(db_digest)" "$after" "409 and 200 wrote nothing"
is "$(sql "SELECT count(*) FROM jobs WHERE source = 'api'")" 1 "one API job"

"$STACK" down --home "$T_HOME" >/dev/null 2>&1

# --- MAX_CONCURRENT_JOBS=2, 20 triggers at once ----------------------------------
export MAX_CONCURRENT_JOBS=2
fresh_home "$T_DIR/home2"
stack_up --workers 4
ctl prices synth --days 10 >/dev/null || bail "traderctl prices synth failed"

trigger ''
is "$STATUS" 202 "empty body: catch-up with the default config"
FIRST=$(jget 'j["job_id"]')
is "$(jget 'j["models"]')" '["equal-weight","momentum","mock-agent"]' "every enabled model"
is "$(jget 'j["date_range"][0]') $(jget 'j["date_range"][-1]') $(jget 'len(j["date_range"])')" \
  "2025-01-03 2025-01-15 9" "from the day after init_date to the last trading day"
is "$(jget 'j["total_model_days"]')" 27 "3 models x 9 days"
trigger '{}'
is "$STATUS $(jget 'j["job_id"]')" "200 $FIRST" "{} is the same catch-up: 200"

for i in $(seq -w 0 19); do
  curl -s -o "$T_DIR/par-$i.body" -w '%{http_code}\n' -H 'Content-Type: application/json' \
    --data-binary "{\"config_path\": \"configs/many.json\", \"models\": [\"m$i\"]}" \
    "$BASE/simulate/trigger" >"$T_DIR/par-$i.code" &
done
wait
codes=$(cat "$T_DIR"/par-*.code | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
is "$codes" "202:1 409:19 " "20 concurrent triggers, one free slot: one 202, nineteen 409"
is "$(sql "SELECT count(*) FROM jobs")" 2 "exactly MAX_CONCURRENT_JOBS=2 jobs exist"
is "$(sql "SELECT count(*) FROM job_details")" 36 "with exactly their model-days"
is "$(sql "SELECT count(*) FROM audit_log WHERE event = 'job_created'")" 2 "two job_created rows"

done_testing
