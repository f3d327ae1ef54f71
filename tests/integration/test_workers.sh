#!/usr/bin/env bash
# Many workers on one store (docs/traderd.md, "Many workers"): the stack's
# traderd alone runs a job of LLM models (latency injected at
# tests/llm_server.py, the same answer to every request: buy one AAPL, one
# completion a step, two steps a day; so a model-day
# re-run from scratch decides the same) and its /results and /performance
# are kept as the reference. A second traderd (its own data directory, the
# same database: a second host) joins; the same job again (replace_existing)
# is served by both, the model-days shared between them, and a third one
# joins; the second is killed with SIGKILL while it holds a model-day, which
# another worker runs again. The results equal the reference to the cent,
# /health lists the live workers, and the killed one's row goes. `traderctl
# files sync` writes the job's AI-Trader files whole on any host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

unset OPENAI_API_BASE OPENAI_API_KEY
use_configs 2 # each worker runs 2 model-days at once: 4 models need two
export TRADER_LEASE_SECONDS=6

llm_team "$CONFIGS/team.json" t 0.4

stack_up
synth_days
RANGE="\"start_date\": \"${DAYS[0]}\", \"end_date\": \"${DAYS[5]}\""

# perf_dump JOB: its /performance without the job's id.
perf_dump() {
  http GET "/performance?job_id=$1"
  printf '%s ' "$STATUS"
  python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
j.pop("job_id", None)
print(json.dumps(j, sort_keys=True, separators=(",", ":")))' "$T_DIR/body"
}

# workers_of JOB: how many distinct workers completed its model-days.
workers_of() {
  dbq "SELECT count(DISTINCT worker) FROM job_details WHERE job_id = '$1' AND status = 'completed'"
}

# --- the reference: one worker ------------------------------------------------------------
trigger_job "{\"config_path\": \"configs/team.json\", $RANGE}"
REF=$JOB
is "$STATUS" 202 "a job of 4 LLM models x 6 days"
is "$(wait_job "$REF")" completed "one worker runs it to its end"
is "$(workers_of "$REF")" 1 "  all its model-days on that worker"
results_dump "${DAYS[@]:0:6}" >"$T_DIR/ref.results"
perf_dump "$REF" >"$T_DIR/ref.perf"
like "$(head -c 4 "$T_DIR/ref.perf")" '^200 ' "  its /performance"

# --- three workers, one killed ------------------------------------------------------------
# worker N: a traderd on its own data directory and the stack's database.
worker() {
  mkdir -p "$T_DIR/w$1"
  TRADER_DB_PATH=$T_HOME/trader.db "$TRADERD" --home "$T_DIR/w$1" --poll 0.2 \
    2>>"$T_DIR/w$1.log" &
  T_SERVERS+=($!)
  eval "W$1=$!"
}
worker 2
live_workers() {
  http GET /health
  [ "$(jget 'len(j["services"]["traderd"]["workers"])')" = "$1" ]
}
wait_until live_workers 2
ok $? "/health lists two live workers"
is "$(jget 'sorted(w["pid"] for w in j["services"]["traderd"]["workers"]) == sorted([int(p) for p in "'"$(traderd_pid) $W2"'".split()])')" \
  true "  with their pids"

# Two workers of 2 threads each for 4 models: both serve the job.
trigger_job "{\"config_path\": \"configs/team.json\", $RANGE, \"replace_existing\": true}"
JOB2=$JOB
is "$STATUS" 202 "the same job again (replace_existing), for the workers"
# A model's next day mostly goes to the worker that ran its last one: worker 3
# joins once worker 2 holds a lane, so that it cannot take all the lanes
# the stack's traderd (2 threads) leaves.
w2_runs() {
  [ "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB2' AND status = 'running' AND worker LIKE '%:$W2:%'")" -gt 0 ]
}
wait_until w2_runs
worker 3
# Worker 2 is killed while it holds a model-day, after it completed one.
w2_holds() {
  [ "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB2' AND status = 'running' AND worker LIKE '%:$W2:%'")" -gt 0 ] &&
    [ "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB2' AND status = 'completed' AND worker LIKE '%:$W2:%'")" -ge 1 ]
}
wait_until w2_holds
ok $? "worker 2 holds a model-day mid-job"
HELD=$(dbq "SELECT date || ' ' || model FROM job_details WHERE job_id = '$JOB2' AND status = 'running' AND worker LIKE '%:$W2:%'")
kill -KILL "$W2"
wait "$W2" 2>/dev/null
diag "worker 2 ($W2) killed holding $HELD"
is "$(wait_job "$JOB2")" completed "the job completes without it"
[ "$(workers_of "$JOB2")" -ge 2 ]
ok $? "its model-days were shared ($(workers_of "$JOB2") workers)"
is "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB2' AND date || ' ' || model = '$HELD' AND status = 'completed' AND worker NOT LIKE '%:$W2:%' AND attempts >= 2")" \
  1 "the killed worker's model-day was run again by another"
[ "$(dbq "SELECT count(*) FROM audit_log WHERE job_id = '$JOB2' AND event = 'job_recovered' AND (details LIKE '%worker gone%' OR details LIKE '%lease expired%')")" -ge 1 ]
ok $? "  its reclaim audited"
is "$(dbq "SELECT count(*) FROM positions WHERE job_id = '$JOB2'")" 24 "each model-day stored once"

results_dump "${DAYS[@]:0:6}" >"$T_DIR/new.results"
cmp -s "$T_DIR/ref.results" "$T_DIR/new.results"
ok $? "/results (detail=full) of every date equal the single-worker run's" ||
  diff "$T_DIR/ref.results" "$T_DIR/new.results" | head -20 | sed 's/^/# /'
perf_dump "$JOB2" >"$T_DIR/new.perf"
cmp -s "$T_DIR/ref.perf" "$T_DIR/new.perf"
ok $? "/performance equals the single-worker run's" ||
  diff "$T_DIR/ref.perf" "$T_DIR/new.perf" | head -20 | sed 's/^/# /'
wait_until live_workers 2
ok $? "/health: the killed worker is no longer listed"
is "$(dbq "SELECT count(*) FROM workers WHERE id LIKE '%:$W2:%'")" 0 "  its row reaped"

# Each host wrote the files of the days it ran; `traderctl files sync` makes
# a job's files whole on a host, the same on every host.
files_of() {
  (cd "$1/agent_data" && find . -type f | sort | xargs md5sum)
}
on_host() {
  TRADER_DB_PATH=$T_HOME/trader.db "$TRADERCTL" --home "$1" "${@:2}"
}
OUT=$(on_host "$T_DIR/w3" files sync --job "$JOB2")
like "$OUT" "AI-Trader files of 4 model\\(s\\) written under $T_DIR/w3/agent_data" \
  "traderctl files sync: a job's files written on worker 3's host"
on_host "$T_HOME" files sync --job "$JOB2" >/dev/null
[ -n "$(files_of "$T_HOME")" ] && [ "$(files_of "$T_DIR/w3")" = "$(files_of "$T_HOME")" ]
ok $? "  the same files as on the stack's host once synced there"
is "$(grep -c . "$T_DIR/w3/agent_data/t1/position/position.jsonl") $(ls "$T_DIR/w3/agent_data/t1/log" | wc -l)" \
  "13 6" "  t1: its initial line, two buys on each of its 6 days, and 6 day logs"
OUT=$(on_host "$T_DIR/w3" files sync --job nope 2>&1)
like "$? $OUT" '^1 traderctl: no job nope$' "  an unknown job: exit 1, saying so"
on_host "$T_DIR/w3" files sync >/dev/null 2>&1
is "$?" 2 "  no --job: a usage error"

# A worker that stops cleanly deletes its row at once.
kill -TERM "$W3"
wait "$W3"
is "$?" 0 "worker 3 stops on SIGTERM"
is "$(dbq "SELECT count(*) FROM workers WHERE id LIKE '%:$W3:%'")" 0 "  its row deleted"

done_testing
