#!/usr/bin/env bash
# Scheduling (CONTRACT section 5) through the whole stack over HTTP, with
# LLM models served by tests/llm_server.py. Pipelined (the default): while
# the slow model's first day is held at the LLM server (a gate file), the
# fast model walks all its dates, and /simulate/status shows each model's own
# current date. Lockstep ("schedule": "lockstep"): the fast model waits for
# the slow one at every date. Concurrency: by default every model of a job
# is in flight at once (a barrier at the LLM server that only that many
# requests can pass); with TRADER_THREADS=2, never more than two.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

unset OPENAI_API_BASE OPENAI_API_KEY
use_configs 2
unset TRADER_THREADS
GATE=$T_DIR/gate

cat >"$T_DIR/llm.json" <<EOF
{"fast": [{"content": "Holding. <FINISH_SIGNAL>"}],
 "slow": [{"fault": "gate", "file": "$GATE", "content": "Holding. <FINISH_SIGNAL>"}],
 "b": [{"fault": "barrier", "parties": 4, "seconds": 20, "times": 4, "content": "Met. <FINISH_SIGNAL>"},
       {"content": "Holding. <FINISH_SIGNAL>"}],
 "c": [{"fault": "barrier", "parties": 2, "seconds": 20, "times": 4, "content": "Met. <FINISH_SIGNAL>"},
       {"fault": "latency", "seconds": 0.3, "content": "Holding. <FINISH_SIGNAL>"}]}
EOF
python3 "$TOP_SRCDIR/tests/llm_server.py" --script "$T_DIR/llm.json" --port-file "$T_DIR/llm.port" \
  --log "$T_DIR/llm.log" 2>>"$T_DIR/llm.err" &
LLM_PID=$!
trap 'kill "$LLM_PID" 2>/dev/null; _cleanup' EXIT
wait_until test -s "$T_DIR/llm.port" || bail "llm_server did not start"

# config NAME SCHEDULE MODEL...: configs/NAME.json with the LLM models
# MODEL (basemodel = MODEL without its trailing digits, so b1..b4 share the
# script of "b") and "schedule": SCHEDULE ("" = none).
config() {
  python3 - "$CONFIGS/$1.json" "$(cat "$T_DIR/llm.port")" "$2" "${@:3}" <<'EOF'
import json, sys
path, port, schedule, models = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
c = {"date_range": {"init_date": "2025-01-02"}, "stock_symbols": ["AAPL", "MSFT"],
     "agent_config": {"max_steps": 2, "max_retries": 0, "base_delay": 0.05},
     "models": [{"signature": m, "basemodel": m.rstrip("0123456789"), "provider": "openai",
                 "timeout_seconds": 60, "openai_base_url": "http://127.0.0.1:%s/v1" % port,
                 "openai_api_key": "sk-int"} for m in models]}
if schedule:
    c["schedule"] = schedule
json.dump(c, open(path, "w"))
EOF
}
config pipe "" fast slow
config lock lockstep fast slow
config wide "" b1 b2 b3 b4
config capped "" c1 c2 c3 c4

stack_up
synth_days

# model_state JOB MODEL: "date status" of MODEL in progress.current_models.
model_state() {
  job_field "$1" "' '.join(str(m['date']) + ' ' + m['status'] for m in j['progress']['current_models'] if m['model'] == '$2')"
}

# --- pipelined ------------------------------------------------------------------------------
touch "$GATE"
trigger_job "{\"config_path\": \"configs/pipe.json\", \"date_range\": [\"${DAYS[0]}\", \"${DAYS[1]}\", \"${DAYS[2]}\"]}"
is "$STATUS" 202 "pipelined job accepted"
J1=$JOB
fast_done() { [ "$(model_state "$J1" fast)" = "None done" ]; }
wait_until fast_done
ok $? "pipelined: the fast model finished all three dates while the slow one is held"
is "$(model_state "$J1" slow)" "${DAYS[0]} running" "current_models: the slow model is on its first date"
is "$(jget '[j["progress"]["current"]["model"], j["progress"]["current"]["date"]]')" "[\"slow\",\"${DAYS[0]}\"]" \
  "progress.current (kept for compatibility) names the running model-day"
is "$(jget '[j["progress"][k] for k in ("completed", "pending")]')" "[3,3]" "3 completed, 3 pending"
rm -f "$GATE"
is "$(wait_job "$J1")" completed "released, the job completes"
is "$(dbq "SELECT count(*) FROM job_details a, job_details b WHERE a.job_id = '$J1' AND b.job_id = a.job_id AND a.model = b.model AND a.date < b.date AND b.started_at < a.completed_at")" \
  0 "each model's dates ran in order, one at a time"
is "$(job_field "$J1" 'j["progress"]["current_models"]')" \
  '[{"model":"fast","date":null,"status":"done"},{"model":"slow","date":null,"status":"done"}]' \
  "finished: every model done"

# --- lockstep -------------------------------------------------------------------------------
touch "$GATE"
trigger_job "{\"config_path\": \"configs/lock.json\", \"date_range\": [\"${DAYS[3]}\", \"${DAYS[4]}\", \"${DAYS[5]}\"]}"
is "$STATUS" 202 "lockstep job accepted"
J2=$JOB
fast_first() { [ "$(model_state "$J2" fast)" = "${DAYS[4]} pending" ] && [ "$(model_state "$J2" slow)" = "${DAYS[3]} running" ]; }
wait_until fast_first
ok $? "lockstep: the fast model finished its first date, the slow one is held on it"
sleep 1 # time in which a pipelined schedule would have run the fast model's next dates
is "$(model_state "$J2" fast)" "${DAYS[4]} pending" "lockstep: the fast model waits for the slow one"
rm -f "$GATE"
is "$(wait_job "$J2")" completed "released, the lockstep job completes"
is "$(dbq "SELECT count(*) FROM job_details a, job_details b WHERE a.job_id = '$J2' AND b.job_id = a.job_id AND a.date < b.date AND b.started_at < a.completed_at")" \
  0 "lockstep: no model-day started before every earlier date finished"

# --- concurrency: every model by default ------------------------------------------------------
trigger_job "{\"config_path\": \"configs/wide.json\", \"date_range\": [\"${DAYS[0]}\", \"${DAYS[1]}\"]}"
J3=$JOB
is "$(wait_job "$J3")" completed "four models: all four first model-days met at the LLM server at once"
is "$(job_field "$J3" '[j["progress"][k] for k in ("completed", "failed")]')" "[8,0]" "8 of 8 completed"

# --- concurrency: the cap ---------------------------------------------------------------------
"$STACK" down --home "$T_HOME" >/dev/null 2>&1
TRADER_THREADS=2 "$STACK" up --home "$T_HOME" --port "$T_PORT" --workers 2 >"$T_DIR/stack-up2.out" 2>&1 ||
  bail "stack restart failed"
trigger_job "{\"config_path\": \"configs/capped.json\", \"date_range\": [\"${DAYS[0]}\", \"${DAYS[1]}\"]}"
J4=$JOB
is "$(wait_job "$J4")" completed "TRADER_THREADS=2: the job completes (pairs met at the LLM server)"
is "$(python3 -c 'import json, sys
print(max(json.loads(l)["inflight"] for l in open(sys.argv[1]) if json.loads(l).get("model", "") == "c"))' "$T_DIR/llm.log")" \
  2 "never more than two model-days in flight"

done_testing
