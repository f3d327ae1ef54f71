#!/usr/bin/env bash
# Job control (CONTRACT section 8) over HTTP through nginx: GET /simulate/jobs
# (newest first, status filter, limit/offset, progress summaries, 400s) and
# POST /simulate/cancel/{job_id}: a pending job is cancelled at once; a
# running one starts no model-day after the request and ends cancelled with
# every model-day whole (results only for completed days); a finished job
# gives 409, an unknown one 404. A job whose cancellation was asked for while
# traderd was dead is not resumed by the restarted daemon. traderctl jobs
# list/cancel do the same on the database.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

use_configs 1
export MAX_CONCURRENT_JOBS=3
# delay_ms stretches each model-day (about 80 of them per job) so a cancel
# lands inside the job even on a loaded machine.
cat >"$CONFIGS/slow.json" <<'JSON'
{"date_range": {"init_date": "2025-01-02"},
 "models": [{"signature": "s-a", "provider": "builtin", "strategy": "equal_weight", "delay_ms": 500},
            {"signature": "s-b", "provider": "builtin", "strategy": "momentum", "delay_ms": 500},
            {"signature": "s-c", "provider": "builtin", "strategy": "momentum", "delay_ms": 500}]}
JSON
RANGE='"start_date": "2025-01-03", "end_date": "2025-04-25"'
stack_up
ctl prices synth >/dev/null || bail "prices synth failed"

http GET /simulate/jobs
is "$STATUS" 200 "jobs: 200 with no job"
is "$(jget '[j["total"], j["count"], j["limit"], j["offset"], j["jobs"]]')" '[0,0,50,0,[]]' \
  "  empty list, default limit 50"

trigger_job "{\"config_path\": \"configs/slow.json\", $RANGE, \"models\": [\"s-a\"]}"
JOB_A=$JOB
trigger_job "{\"config_path\": \"configs/slow.json\", $RANGE, \"models\": [\"s-b\"]}"
JOB_B=$JOB
[ -n "$JOB_A" ] && [ -n "$JOB_B" ] || bail "two jobs were not accepted"

a_running() {
  [ "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB_A' AND status = 'completed'")" -ge 1 ]
}
wait_until a_running
ok $? "job A has completed a model-day"
# traderd runs one job at a time: B waits behind A.
is "$(dbq "SELECT status FROM jobs WHERE job_id = '$JOB_B'")" pending "job B is pending"

# --- listing -----------------------------------------------------------------------
http GET /simulate/jobs
is "$STATUS" 200 "jobs: 200"
is "$(jget '[x["job_id"] for x in j["jobs"]] == ["'"$JOB_B"'", "'"$JOB_A"'"]')" true "  newest first"
is "$(jget '[j["total"], j["count"]]')" '[2,2]' "  total and count"
is "$(jget 'sorted(j["jobs"][0]["progress"])')" '["completed","current","current_models","failed","pending","total_model_days"]' \
  "  each with its progress summary"
is "$(jget '"details" in j["jobs"][1]["progress"]')" false "  summary only (no details)"
http GET '/simulate/jobs?status=pending'
is "$(jget '[x["job_id"] for x in j["jobs"]] == ["'"$JOB_B"'"]')" true "status=pending filter"
http GET '/simulate/jobs?limit=1'
is "$(jget '[j["total"], j["count"], j["jobs"][0]["job_id"] == "'"$JOB_B"'"]')" '[2,1,true]' "limit=1"
http GET '/simulate/jobs?limit=1&offset=1'
is "$(jget 'j["jobs"][0]["job_id"] == "'"$JOB_A"'"')" true "limit=1&offset=1: the older job"
http GET '/simulate/jobs?offset=5'
is "$(jget '[j["total"], j["count"]]')" '[2,0]' "offset past the end: empty page"
for bad in 'status=done' 'limit=-1' 'limit=1001' 'limit=abc' 'offset=1.5' 'status=pending&status=running'; do
  http GET "/simulate/jobs?$bad"
  expect_error 400 invalid_request "jobs?$bad"
done

# --- cancel ------------------------------------------------------------------------
cancels() {
  dbq "SELECT count(*) FROM audit_log WHERE event LIKE 'job_cancel%'"
}
http POST /simulate/cancel/no-such-job
expect_error 404 not_found "cancel an unknown job"
is "$(jget 'j["job_id"]')" no-such-job "  names the job"
http POST '/simulate/cancel/bad%20id'
expect_error 400 invalid_request "cancel a malformed id"
http GET "/simulate/cancel/$JOB_B"
expect_error 405 method_not_allowed "GET on cancel"
is "$(cancels)/$(dbq "SELECT count(*) FROM jobs WHERE cancel_requested_at IS NOT NULL")" 0/0 \
  "refused cancels changed nothing"

http POST "/simulate/cancel/$JOB_B"
is "$STATUS" 200 "cancel the pending job: 200"
is "$(jget 'j["status"]')" cancelled "  it is cancelled at once"
like "$(jget 'j["completed_at"]')" '^20' "  with completed_at"
is "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB_B' AND status <> 'pending'")" 0 \
  "  none of its model-days ran"

http POST "/simulate/cancel/$JOB_A" '{}'
is "$STATUS" 202 "cancel the running job: 202"
is "$(jget 'j["status"]')" running "  still running while model-days end"
like "$(jget 'j["cancel_requested_at"]')" '^20' "  cancel_requested_at set"
asked=$(dbq "SELECT cancel_requested_at FROM jobs WHERE job_id = '$JOB_A'")
http POST "/simulate/cancel/$JOB_A"
[ "$STATUS" = 202 ] || [ "$STATUS" = 409 ]
ok $? "cancel again while it ends: 202 or (already ended) 409"
is "$(wait_job "$JOB_A")" cancelled "the running job ends cancelled"
is "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB_A' AND status = 'running'")" 0 \
  "  no model-day left running"
is "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB_A' AND started_at > '$asked'")" 0 \
  "  no model-day started after the request"
done_a=$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB_A' AND status = 'completed'")
is "$(dbq "SELECT count(*) FROM positions WHERE job_id = '$JOB_A'")" "$done_a" \
  "  results exactly for its completed model-days ($done_a)"
like "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB_A' AND status = 'pending'")" '^[1-9]' \
  "  the rest never ran"
is "$(dbq "SELECT count(*) FROM audit_log WHERE job_id = '$JOB_A' AND event = 'job_cancel_requested'")" 1 \
  "  the request is audited once"

for j in "$JOB_A" "$JOB_B"; do
  http POST "/simulate/cancel/$j"
  expect_error 409 conflict "cancel a finished job"
done
http GET '/simulate/jobs?status=cancelled'
is "$(jget 'j["total"]')" 2 "status=cancelled lists both"

# --- a cancel while traderd is dead ---------------------------------------------------
trigger_job "{\"config_path\": \"configs/slow.json\", $RANGE, \"models\": [\"s-c\"]}"
JOB_C=$JOB
c_started() {
  [ "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB_C' AND status = 'completed'")" -ge 1 ]
}
wait_until c_started
ok $? "job C runs"
killed=$(traderd_pid)
kill -KILL "$killed"
# The killed daemon is gone (the stack's supervisor soon starts a new one).
traderd_gone() {
  [ "$(traderd_pid)" != "$killed" ]
}
wait_until traderd_gone || bail "traderd did not die"
http POST "/simulate/cancel/$JOB_C"
is "$STATUS" 202 "cancel job C while traderd is dead: 202"
"$STACK" up --home "$T_HOME" --port "$T_PORT" --workers 2 >/dev/null 2>&1
like "$(traderd_pid)" '^[0-9]+$' "traderd restarted"
is "$(wait_job "$JOB_C")" cancelled "the restarted daemon does not resume it"
c_done=$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB_C' AND status = 'completed'")
is "$(dbq "SELECT count(*) FROM positions WHERE job_id = '$JOB_C'")" "$c_done" \
  "  results exactly for its completed model-days"
is "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB_C' AND status = 'running'")" 0 \
  "  nothing left running"

# --- traderctl -----------------------------------------------------------------------
out=$(ctl jobs list)
like "$out" "$JOB_C +cancelled" "traderctl jobs list shows job C cancelled"
like "$out" "3 of 3 job" "  and counts"
is "$(ctl jobs list --status cancelled --limit 1 --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["count"], j["total"])')" "1 3" \
  "traderctl jobs list --status --limit --json"
ctl jobs list --limit x >/dev/null 2>&1
is "$?" 2 "traderctl jobs list --limit x: usage error"
ctl jobs list --status runing >/dev/null 2>&1
is "$?" 2 "traderctl jobs list --status runing: usage error, as the API's 400"
ctl jobs cancel "$JOB_A" >/dev/null 2>&1
is "$?" 1 "traderctl jobs cancel of a finished job fails"
trigger_job "{\"config_path\": \"configs/slow.json\", $RANGE, \"models\": [\"s-b\"], \"replace_existing\": true}"
"$STACK" down --home "$T_HOME" >/dev/null 2>&1
T_PORT=
like "$(ctl jobs cancel "$JOB")" "cancel" "traderctl jobs cancel of a pending or running job"
is "$(dbq "SELECT status = 'cancelled' OR cancel_requested_at IS NOT NULL FROM jobs WHERE job_id = '$JOB'")" 1 \
  "  recorded"

done_testing
