#!/usr/bin/env bash
# Webhooks (CONTRACT section 8): a trigger's callback_url gets, when the job
# ends, a POST of {job_id, status, date_range, models, progress, completed_at}
# signed with X-Trader-Signature (HMAC-SHA256 of the body with
# TRADER_CALLBACK_SECRET), checked by a local receiver
# (tests/callback_receiver.py); a receiver that fails twice gets it on the
# third attempt; an unreachable one is given up after the last attempt; every
# attempt is in the job's `callbacks`. URLs outside TRADER_CALLBACK_HOSTS,
# non-http schemes, credentials and non-URLs are 400 and create nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

# One model-day at a time: a job triggered while another runs stays pending
# (a worker with a free thread would start it at once).
use_configs 1
export MAX_CONCURRENT_JOBS=3 TRADER_CALLBACK_SECRET='s3cret-key, any length'
export TRADER_CALLBACK_BACKOFF_SECONDS=0.2 TRADER_CALLBACK_MAX_ATTEMPTS=4
# receiver NAME [ARGS...]: a receiver logging to $T_DIR/NAME.log.
receiver() {
  test_server "$1" callback_receiver.py --secret "$TRADER_CALLBACK_SECRET" --log "$T_DIR/$1.log" "${@:2}"
}
receiver good
PORT_good=$SERVER_PORT
receiver flaky --fail-first 2
PORT_flaky=$SERVER_PORT
CLOSED=$(free_port) # allowed, but nothing listens there
export TRADER_CALLBACK_HOSTS="127.0.0.1:$PORT_good, 127.0.0.1:$PORT_flaky,127.0.0.1:$CLOSED"
stack_up
ctl prices synth --days 10 >/dev/null || bail "prices synth failed"
DATES='"start_date": "2025-01-06", "end_date": "2025-01-07"'

# --- refused URLs ------------------------------------------------------------------
n0=$(dbq "SELECT count(*) FROM jobs")
for url in "http://127.0.0.2:$PORT_good/hook" "http://localhost:$PORT_good/hook" \
  "http://127.0.0.1:1/hook" "ftp://127.0.0.1:$PORT_good/hook" "not a url" \
  "http://u:p@127.0.0.1:$PORT_good/hook"; do
  http POST /simulate/trigger "{$DATES, \"callback_url\": \"$url\"}"
  expect_error 400 invalid_request "callback_url $url"
done
http POST /simulate/trigger "{$DATES, \"callback_url\": 5}"
expect_error 400 invalid_request "callback_url not a string"
http POST /simulate/trigger "{$DATES, \"callback_url\": \"http://127.0.0.2:$PORT_good/\"}"
like "$(jget 'j["message"]')" "not allowed" "  an outside host: the message says so"
is "$(dbq "SELECT count(*) FROM jobs")" "$n0" "refused callbacks created nothing"

# --- delivered at once -------------------------------------------------------------
trigger_job "{$DATES, \"models\": [\"equal-weight\"], \"callback_url\": \"http://127.0.0.1:$PORT_good/hook?token=abc\"}"
J1=$JOB
trigger_job "{$DATES, \"models\": [\"momentum\"], \"callback_url\": \"http://127.0.0.1:$PORT_flaky/hook\"}"
J2=$JOB
trigger_job "{$DATES, \"models\": [\"mock-agent\"], \"callback_url\": \"http://127.0.0.1:$CLOSED/hook\"}"
J3=$JOB
[ -n "$J1" ] && [ -n "$J2" ] && [ -n "$J3" ] || bail "jobs with callbacks were not accepted"

callback_done() {
  [ "$(dbq "SELECT callback_status IN ('delivered','failed') FROM jobs WHERE job_id = '$1'")" = 1 ]
}
for j in "$J1" "$J2" "$J3"; do
  wait_until callback_done "$j"
  ok $? "job $j: its callback is settled"
done

is "$(wc -l <"$T_DIR/good.log")" 1 "good receiver: one request"
python3 - "$T_DIR/good.log" "$J1" >"$T_DIR/good.check" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
b = r["body"]
print(r["signature_ok"], r["path"], sorted(b), b["job_id"] == sys.argv[2], b["status"],
      b["progress"]["completed"], b["date_range"], b["models"])
PY
is "$(cat "$T_DIR/good.check")" \
  "True /hook?token=abc ['completed_at', 'date_range', 'job_id', 'models', 'progress', 'status'] True completed 2 ['2025-01-06', '2025-01-07'] ['equal-weight']" \
  "  signed body with the contract's fields, to the URL as given"
http GET "/simulate/status/$J1"
is "$(jget '[j["callback_status"], j["callback_url"], len(j["callbacks"]), j["callbacks"][0]["outcome"], j["callbacks"][0]["http_status"]]')" \
  "[\"delivered\",\"http://127.0.0.1:$PORT_good/hook\",1,\"delivered\",200]" \
  "  the job shows the delivery (URL without its query)"

# --- a receiver that fails twice ----------------------------------------------------
is "$(python3 -c 'import json,sys; print([(json.loads(l)["answered"], json.loads(l)["signature_ok"]) for l in open(sys.argv[1])])' "$T_DIR/flaky.log")" \
  "[(503, True), (503, True), (200, True)]" "flaky receiver: two 503s, then 200, all signed"
http GET "/simulate/status/$J2"
is "$(jget '[(c["attempt"], c["http_status"], c["outcome"]) for c in j["callbacks"]] + [j["callback_status"]]')" \
  '[[1,503,"failed"],[2,503,"failed"],[3,200,"delivered"],"delivered"]' "  every attempt recorded"
is "$(jget 'j["callbacks"][0]["attempted_at"] < j["callbacks"][1]["attempted_at"] < j["callbacks"][2]["attempted_at"]')" \
  true "  in order"

# --- nobody listening: given up after the last attempt ------------------------------
http GET "/simulate/status/$J3"
is "$(jget '[len(j["callbacks"]), j["callback_status"], all(c["outcome"] == "failed" and c["http_status"] is None and c["error"] for c in j["callbacks"])]')" \
  '[4,"failed",true]' "unreachable receiver: 4 failed attempts with their errors, then failed"
http GET /simulate/current
is "$(jget '"callbacks" in j')" false "summaries carry callback_status but not the attempts"

# --- cancelled jobs end too -----------------------------------------------------------------
cat >"$CONFIGS/slow.json" <<'JSON'
{"date_range": {"init_date": "2025-01-02"},
 "models": [{"signature": "slow-a", "provider": "builtin", "strategy": "momentum", "delay_ms": 1500},
            {"signature": "slow-b", "provider": "builtin", "strategy": "momentum", "delay_ms": 500}]}
JSON
HOOK="\"callback_url\": \"http://127.0.0.1:$PORT_good/cancelled\""
trigger_job "{\"config_path\": \"configs/slow.json\", \"models\": [\"slow-a\"], $HOOK}"
J4=$JOB
trigger_job "{\"config_path\": \"configs/slow.json\", \"models\": [\"slow-b\"], $HOOK}"
J5=$JOB
http POST "/simulate/cancel/$J5"
is "$STATUS/$(jget 'j["status"]')" 200/cancelled "a pending job with a callback is cancelled"
http POST "/simulate/cancel/$J4"
like "$STATUS" '^(200|202)$' "  and the running one"
wait_until callback_done "$J4" && wait_until callback_done "$J5"
ok $? "  both callbacks settle"
is "$(python3 -c 'import json,sys
rs = [json.loads(l) for l in open(sys.argv[1]) if "/cancelled" in l]
print(sorted((r["body"]["job_id"] in sys.argv[2:], r["body"]["status"], r["signature_ok"]) for r in rs))' \
  "$T_DIR/good.log" "$J4" "$J5")" "[(True, 'cancelled', True), (True, 'cancelled', True)]" \
  "  each POSTed once, signed, with status cancelled"

done_testing
