#!/usr/bin/env bash
# The read API through nginx: /health, /simulate/status/{id},
# /simulate/current and /results answered field by field over a database
# filled by `traderctl prices synth` and an AI-Trader import; every error case
# (malformed dates, unknown jobs, injection-like input, oversized URI and
# body, wrong methods, unknown routes, content types, a vanished database);
# security headers; and afterwards an unchanged database and every trader-api
# process still alive.
. "$(dirname "$0")/lib.sh"

stack_up
PIDS=$(api_pids)
diag "stack on port $T_PORT, trader-api pids $PIDS"
D0=2025-01-02 D1=2025-01-03 D2=2025-01-06

# --- an empty database ----------------------------------------------------------
http GET /simulate/current
expect_error 404 not_found "current job on an empty database"
is "$(jget 'j["message"]')" "No simulation jobs found" "  message"
http GET /results
expect_error 404 no_data "results on an empty database"

# --- data: synthetic prices and an AI-Trader import ---------------------------
ctl prices synth >/dev/null || bail "traderctl prices synth failed"
aitrader_fixture "$T_DIR/agent_data" $D0 $D1 $D2
ctl import-aitrader "$T_DIR/agent_data" >"$T_DIR/import.out" 2>&1 ||
  { sed 's/^/# /' "$T_DIR/import.out"; bail "traderctl import-aitrader failed"; }
JOB=$(sed -n 's/^imported .* as job \(.*\)$/\1/p' "$T_DIR/import.out")
like "$JOB" '^[0-9a-f-]{36}$' "the import made a job"

# --- /health -------------------------------------------------------------------------
http GET /health
if [ -x "$TOP_BUILDDIR/daemon/traderd" ]; then
  # traderd was started by the stack; wait (bounded) for its first heartbeat.
  for _ in $(seq 1 100); do
    [ "$STATUS" = 200 ] && break
    sleep 0.1
    http GET /health
  done
  is "$STATUS" 200 "health with traderd running: 200"
  is "$(jget 'j["status"]')" healthy "  healthy"
  is "$(jget 'j["services"]["traderd"]["status"]')" up "  traderd up"
  like "$(jget 'j["services"]["traderd"]["pid"]')" '^[0-9]+$' "  traderd pid"
  like "$(jget 'j["services"]["traderd"]["last_heartbeat"]')" '^20[0-9-]{8}T' "  heartbeat time"
else
  is "$STATUS" 503 "health without traderd: 503"
  is "$(jget 'j["status"]')" unhealthy "  unhealthy"
  is "$(jget 'j["services"]["traderd"]["status"]')" down "  traderd down"
  is "$(jget 'j["services"]["traderd"]["error"]')" "no heartbeat recorded" "  says why"
fi
like "$(jget 'j["timestamp"]')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z$' "  timestamp"
is "$(jget '[m["signature"] for m in j["services"]["models"]]')" \
  "$(python3 -c 'import json,sys; print(json.dumps([m["signature"] for m in json.load(open(sys.argv[1]))["models"]], separators=(",", ":")))' "$TOP_SRCDIR/configs/default_config.json")" \
  "  the configured models are listed"
is "$(jget 'sorted(set(k for m in j["services"]["models"] for k in m) & {"api_key", "openai_api_key", "key"})')" "[]" \
  "  no key field"
is "$(jget 'j["storage"]["data_directory"]')" "$T_HOME" "  data directory"
is "$(jget 'j["storage"]["writable"]')" true "  writable"
like "$(jget 'j["storage"]["free_space_mb"]')" '^[0-9]+$' "  free space"
is "$(jget 'j["database"]["status"]')" connected "  database connected"
if on_pg; then # shown without credentials
  is "$(jget 'j["database"]["path"]')" "${T_DB/:\/\/trader@/://[REDACTED]@}" "  database URL"
else
  is "$(jget 'j["database"]["path"]')" "$T_HOME/trader.db" "  database path"
fi
is "$(jget 'j["database"]["schema_version"]')" \
  "$(sed -n 's/^#define DB_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$TOP_SRCDIR/src/store/db.h")" "  schema version"
is "$(jget 'j["prices"]["symbols"]')" 102 "  102 price symbols (NASDAQ-100 + GOOG + QQQ)"
is "$(jget 'j["prices"]["first_date"]')" $D0 "  first price date"
like "$(jget 'j["prices"]["last_date"]')" '^2025-' "  last price date"
is "$(jget 'j["prices"]["synthetic"]')" true "  synthetic prices flagged"

# --- /simulate/status and /simulate/current -------------------------------------
http GET "/simulate/status/$JOB"
is "$STATUS" 200 "status of the imported job"
is "$(jget 'j["job_id"]')" "$JOB" "  job_id"
is "$(jget 'j["status"]')" completed "  status"
is "$(jget 'j["date_range"]')" "[\"$D1\",\"$D2\"]" "  date_range"
is "$(jget 'j["models"]')" '["fx-a","fx-b"]' "  models"
is "$(jget 'j["progress"]["total_model_days"]')" 3 "  total_model_days"
is "$(jget 'j["progress"]["completed"]')" 3 "  completed"
is "$(jget 'j["progress"]["failed"]')" 0 "  failed"
is "$(jget 'j["progress"]["pending"]')" 0 "  pending"
is "$(jget 'j["progress"]["current"]')" null "  no current model-day"
is "$(jget '[(d["date"], d["model"], d["status"]) for d in j["progress"]["details"]]')" \
  "[[\"$D1\",\"fx-a\",\"completed\"],[\"$D1\",\"fx-b\",\"completed\"],[\"$D2\",\"fx-a\",\"completed\"]]" \
  "  details by date and model"
is "$(jget 'sorted(j["progress"]["details"][0])')" \
  '["completed_at","date","duration_seconds","error","model","started_at","status"]' \
  "  detail fields"
is "$(jget 'sorted(j)')" \
  '["cancel_requested_at","completed_at","created_at","date_range","error","job_id","models","progress","started_at","status","total_duration_seconds","updated_at","warnings"]' \
  "  job fields"
is "$(jget 'len(j["warnings"]) > 0 and all(isinstance(w, str) for w in j["warnings"])')" true \
  "  the import's warnings (the fixture's CASH differs from the replay)"
is "$(jget 'j["error"]')" null "  no error"

http GET /simulate/current
is "$STATUS" 200 "current job"
is "$(jget 'j["job_id"]')" "$JOB" "  is the imported one"
is "$(jget '"details" in j["progress"]')" false "  summary without details"
is "$(jget 'j["progress"]["completed"]')" 3 "  with the counts"

http GET /simulate/status/00000000-0000-0000-0000-000000000000
expect_error 404 not_found "unknown job"
is "$(jget 'j["message"]')" "Job not found" "  message"
is "$(jget 'j["job_id"]')" 00000000-0000-0000-0000-000000000000 "  echoes the job id"

# --- /results ----------------------------------------------------------------------
read -r _ CASH1 VALUE1 PROFIT1 < <(expected_fx_a $D0 $D1 $D2 | sed -n 1p)
read -r _ CASH2 VALUE2 PROFIT2 < <(expected_fx_a $D0 $D1 $D2 | sed -n 2p)

http GET "/results?date=$D1"
is "$STATUS" 200 "results on $D1"
is "$(jget 'j["date"]')" $D1 "  date"
is "$(jget 'j["count"]')" 2 "  count"
is "$(jget '[r["model"] for r in j["results"]]')" '["fx-a","fx-b"]' "  both models"
is "$(jget 'j["results"][0]["job_id"]')" "$JOB" "  job_id"
is "$(jget 'sorted(j["results"][0])')" '["daily_pnl","job_id","model","positions"]' \
  "  minimal fields"
is "$(jget 'j["results"][0]["positions"]["AAPL"]')" 10 "  AAPL shares"
is "$(jget 'j["results"][0]["positions"]["MSFT"]')" 2 "  MSFT shares"
is "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]), parse_float=str)["results"][0]["positions"]["CASH"]))' "$T_DIR/body")" \
  "\"$CASH1\"" "  CASH is the exact replayed cash ($CASH1)"
# The exact JSON text of the amounts, not a float's rounding of them.
grep -q "\"portfolio_value\":${VALUE1}[,}]" "$T_DIR/body"
ok $? "  portfolio_value $VALUE1 (cash + shares x close)"
grep -q "\"profit\":${PROFIT1}[,}]" "$T_DIR/body"
ok $? "  profit $PROFIT1 (value - initial cash)"
is "$(jget 'round(j["results"][0]["daily_pnl"]["return_pct"], 9)')" \
  "$(python3 -c "print(round(float('$PROFIT1') / 10000 * 100, 9))")" "  return_pct"
is "$(jget 'j["results"][1]["positions"]')" '{"CASH":10000.0}' "  fx-b holds cash only"
is "$(jget 'j["results"][1]["daily_pnl"]')" '{"profit":0.0,"return_pct":0.0,"portfolio_value":10000.0}' \
  "  fx-b flat"

http GET "/results?date=$D1&model=fx-a&detail=full"
is "$STATUS" 200 "full detail"
is "$(jget 'j["count"]')" 1 "  one model"
is "$(jget 'sorted(j["results"][0])')" \
  '["ai_reasoning","corporate_actions","daily_pnl","job_id","log_file_path","model","positions","trades"]' \
  "  full fields"
is "$(jget '[(t["id"], t["action"], t["symbol"], t["amount"]) for t in j["results"][0]["trades"]]')" \
  '[[1,"buy","AAPL",10],[2,"buy","MSFT",2]]' "  trades"
is "$(jget 'j["results"][0]["trades"][0]["price"]')" \
  "$(python3 -c "import testdb; print(float(testdb.connect().execute(\"SELECT open FROM prices WHERE symbol='AAPL' AND date='$D1'\").fetchone()[0]))")" \
  "  fill at today's open"
is "$(jget 'abs(j["results"][0]["trades"][0]["total"] - 10 * j["results"][0]["trades"][0]["price"]) < 1e-6')" \
  true "  total = amount x price"
is "$(jget 'sorted(j["results"][0]["ai_reasoning"])')" \
  '["cost_usd","reasoning_summary","stop_signal_received","token_usage","tool_usage","total_steps"]' "  ai_reasoning fields"
is "$(jget 'j["results"][0]["ai_reasoning"]["stop_signal_received"]')" true "  stop signal seen"
like "$(jget 'j["results"][0]["log_file_path"]')" "fx-a/log/$D1/log.jsonl\$" "  log file path"

http GET /results
is "$STATUS" 200 "results without a date"
is "$(jget 'j["date"]')" $D2 "  the latest date"
is "$(jget '[r["model"] for r in j["results"]]')" '["fx-a"]' "  fx-a only"
is "$(jget 'j["results"][0]["positions"]')" \
  "$(printf '{"AAPL":6,"MSFT":2,"CASH":%s}' "$CASH2")" "  positions after the sale"
grep -q "\"portfolio_value\":${VALUE2}[,}]" "$T_DIR/body"
ok $? "  portfolio_value $VALUE2"
grep -q "\"profit\":${PROFIT2}[,}]" "$T_DIR/body"
ok $? "  profit $PROFIT2 (against the previous day's value)"
http GET "/results?model=fx-b"
is "$(jget 'j["date"]')" $D1 "  latest date for fx-b"
http GET "/results?job_id=$JOB&detail=minimal&unknown=1"
is "$STATUS" 200 "job filter, unknown parameter ignored"

http GET "/results?date=2025-02-03&model=fx-a"
expect_error 404 no_data "no data for that date"
is "$(jget 'j["message"]')" "No simulation data found for date 2025-02-03 and model fx-a" "  message"
http GET "/results?model=nobody"
expect_error 404 no_data "no data for that model"

# --- bad input -----------------------------------------------------------------------
DIGEST=$(db_digest)
for d in 2025-13-01 2025-02-30 abc "" 2025-1-1 "2025-01-03%27%20OR%20%271%27=%271" 20250103 \
  "2025-01-03%00"; do
  http GET "/results?date=$d"
  if [ "$d" = "2025-01-03%00" ]; then
    expect_error 400 invalid_request "date '$d' (NUL)"
  else
    expect_error 400 invalid_date "date '$d'"
    is "$(jget 'j["message"]')" "Date must be in YYYY-MM-DD format" "  message"
  fi
done
http GET "/results?detail=verbose"
expect_error 400 invalid_request "detail=verbose"
http GET "/results?model=%27%20OR%20%271%27%3D%271"
expect_error 400 invalid_request "SQL-like model"
is "$(jget 'j["details"]["value"]')" "' OR '1'='1" "  the value echoed as a JSON string"
http GET "/results?model=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
expect_error 400 invalid_request "HTML in model"
is "$(header Content-Type)" "application/json; charset=utf-8" "  still JSON"
http GET "/results?model=$(printf 'm%.0s' $(seq 1 65))"
expect_error 400 invalid_request "65-character model"
http GET "/results?model=$(printf 'm%.0s' $(seq 1 500))"
expect_error 400 invalid_request "500-character model"
like "$(jget 'j["details"]["value"]')" '^m{64}\.\.\.$' "  echo cut to 64 characters"
http GET "/results?model=%C3%A9%01"
expect_error 400 invalid_request "non-ASCII model"
is "$(jget 'j["details"]["value"]')" "???" "  echoed as ASCII"
http GET "/results?model=%C3%A9%FF%01"
expect_error 400 invalid_request "invalid UTF-8 in a model"
is "$(jget 'j.get("details")')" "null" "  not echoed at all"
http GET "/results?model=%zz"
expect_error 400 invalid_request "malformed percent-encoding"
http GET "/results?date=2025-01-03&date=2025-01-06"
expect_error 400 invalid_request "repeated date"
http GET "/simulate/status/%27%3B%20DROP%20TABLE%20jobs%3B--"
expect_error 400 invalid_request "SQL-like job id"
# nginx decodes and normalizes this to /etc/passwd, which is no API path.
http GET "/simulate/status/..%2F..%2Fetc%2Fpasswd"
expect_error 404 not_found "encoded ../ job id"
http GET "/simulate/status/a%2Fb"
expect_error 400 invalid_request "encoded / in a job id"
http GET "/simulate/status/../../etc/passwd"
expect_error 404 not_found "../ in the path"
http GET "/simulate/status/$(printf 'a%.0s' $(seq 1 65))"
expect_error 400 invalid_request "65-character job id"
http GET "/simulate/status/$JOB/extra"
expect_error 404 not_found "extra path segment"

http GET "/results?model=$(printf 'a%.0s' $(seq 1 3000))"
expect_error 414 invalid_request "3000-byte URI (trader-api's limit)"
http GET "/results?model=$(printf 'a%.0s' $(seq 1 10000))"
expect_error 414 invalid_request "10000-byte URI (nginx's limit)"
head -c 70000 /dev/zero | tr '\0' ' ' >"$T_DIR/big.json"
http POST /simulate/trigger "@$T_DIR/big.json"
expect_error 413 payload_too_large "70000-byte body"

http POST /simulate/trigger 'date=2025-01-03' text/plain
expect_error 415 unsupported_media_type "form body to POST /simulate/trigger"

http DELETE /health
expect_error 405 method_not_allowed "DELETE /health"
is "$(header Allow)" "GET, HEAD" "  Allow: GET, HEAD"
curl -s -I -o /dev/null -D "$T_DIR/headers" "$BASE/health"
like "$(head -1 "$T_DIR/headers")" "^HTTP/1.1 (200|503)" "HEAD /health answers like GET"
is "$(header Content-Type)" "application/json; charset=utf-8" "  with its Content-Type"
http POST /results '{}'
expect_error 405 method_not_allowed "POST /results"
http PUT "/simulate/status/$JOB" '{}'
expect_error 405 method_not_allowed "PUT /simulate/status"

http GET /nowhere
expect_error 404 not_found "unknown route (nginx)"
http GET /simulate/nowhere
expect_error 404 not_found "unknown route under /simulate/ (trader-api)"
http GET /health/
expect_error 404 not_found "/health/"
http GET /trader.db
expect_error 404 not_found "the database file is not served"
http GET /static/../trader.db
expect_error 404 not_found "nor through /static/../"

http GET /health
for h in "X-Content-Type-Options:nosniff" "X-Frame-Options:DENY" "Referrer-Policy:no-referrer" \
  "Cache-Control:no-cache"; do
  is "$(header "${h%%:*}")" "${h#*:}" "security header ${h%%:*} on /health"
done
like "$(header Content-Security-Policy)" "^default-src 'none'" "  Content-Security-Policy"
is "$(header Server)" nginx "  Server without a version"
http GET /nowhere
is "$(header X-Frame-Options)" DENY "security headers on nginx's own errors"
http GET "/results?date=abc"
is "$(header X-Content-Type-Options)" nosniff "security headers on trader-api's errors"

is "$(db_digest)" "$DIGEST" "the database is unchanged after the bad requests"
alive $PIDS
ok $? "every trader-api process survived ($PIDS)"

# --- the database goes away and comes back ------------------------------------------
if sqlite_only "the database file is moved away and back (a PostgreSQL database is no file)"; then
  mkdir "$T_DIR/moved"
  mv "$T_HOME"/trader.db* "$T_DIR/moved/"
  # (URLs not in nginx's micro-cache, which would serve its last answer)
  http GET "/results?date=$D1&uncached=1"
  expect_error 503 unavailable "results without the database file"
  http GET "/simulate/status/$JOB?uncached=1"
  expect_error 503 unavailable "status without the database file"
  http GET /health
  is "$STATUS" 503 "health without the database file: 503"
  is "$(jget 'j["database"]["status"]')" unavailable "  database unavailable"
  mv "$T_DIR/moved"/trader.db* "$T_HOME/"
  for _ in 1 2 3 4; do # each worker reopens on its next request
    http GET "/results?date=$D1"
    [ "$STATUS" = 200 ] || break
  done
  is "$STATUS" 200 "answers again once the file is back"
  alive $PIDS
  ok $? "still the same trader-api processes"
fi

done_testing
