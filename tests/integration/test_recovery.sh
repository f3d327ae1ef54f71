#!/usr/bin/env bash
# Crash recovery of traderd: one job runs uninterrupted in a reference stack
# (its own data directory and port); the same job runs in the test's stack
# while traderd is killed with SIGKILL three times (early, middle, late) and
# restarted each time. Afterwards every model-day's /results (detail=full)
# must equal the reference run's, with no model-day missing or stored twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

use_configs 2
# delay_ms stretches each model-day (11 dates x 1.2 s) so the kills land
# inside the job even on a loaded machine.
cat >"$CONFIGS/crash.json" <<'EOF'
{"date_range": {"init_date": "2025-01-02"},
 "models": [{"signature": "c-ew", "provider": "builtin", "strategy": "equal_weight",
             "delay_ms": 1200},
            {"signature": "c-mo", "provider": "builtin", "strategy": "momentum",
             "lookback": 3, "top_n": 4, "delay_ms": 1200}]}
EOF
REQUEST='{"config_path": "configs/crash.json", "start_date": "2025-01-03", "end_date": "2025-01-17"}'

# --- the reference run ---------------------------------------------------------------
# (a data directory and a database of its own: the test's stack gets fresh ones after it)
fresh_home "$T_DIR/ref"
REF_HOME=$T_HOME
REF_PORT=
_stop_ref() {
  [ -n "$REF_PORT" ] && "$STACK" down --home "$REF_HOME" >/dev/null 2>&1
  _cleanup
}
trap _stop_ref EXIT
REF_PORT=$(free_port)
"$STACK" up --home "$REF_HOME" --port "$REF_PORT" --workers 1 >"$T_DIR/ref-up.out" 2>&1 ||
  { sed 's/^/# /' "$T_DIR/ref-up.out"; bail "reference stack failed"; }
"$TRADERCTL" --home "$REF_HOME" prices synth >/dev/null || bail "prices synth failed"
BASE=http://127.0.0.1:$REF_PORT
trigger_job "$REQUEST"
REF_JOB=$JOB
is "$(wait_job "$REF_JOB")" completed "reference run completes"
mapfile -t DATES < <(jget '"\n".join(j["date_range"])')
NDAYS=${#DATES[@]}
TOTAL=$((NDAYS * 2))
is "$NDAYS" 11 "eleven trading days"
results_dump "${DATES[@]}" >"$T_DIR/ref.dump"
"$STACK" down --home "$REF_HOME" >/dev/null 2>&1
REF_PORT=
fresh_home "$T_DIR/home"

# --- the same job, killed three times ----------------------------------------------------
stack_up
ctl prices synth >/dev/null || bail "prices synth failed"
trigger_job "$REQUEST"
CRASH_JOB=$JOB
is "$STATUS" 202 "the same job in the test stack"

completed_count() {
  dbq "SELECT count(*) FROM job_details WHERE job_id = '$CRASH_JOB' AND status = 'completed'"
}
reached() {
  [ "$(completed_count)" -ge "$1" ]
}
# The killed daemon is gone (the stack's supervisor soon starts a new one).
traderd_gone() {
  [ "$(traderd_pid)" != "$pid" ]
}
inside=0 # kills that hit the running job
for point in early:2 middle:$((TOTAL / 2 - 1)) late:$((TOTAL - 6)); do
  name=${point%%:*} at=${point#*:}
  wait_until reached "$at"
  ok $? "$name: at least $at of $TOTAL model-days completed"
  pid=$(traderd_pid)
  kill -KILL "$pid"
  wait_until traderd_gone
  ok $? "$name: traderd $pid killed with SIGKILL"
  diag "$name: killed with $(completed_count) of $TOTAL completed"
  if [ "$(dbq "SELECT status FROM jobs WHERE job_id = '$CRASH_JOB'")" = running ]; then
    ok 0 "$name: the job is left running"
    inside=$((inside + 1))
  else
    skip "$name: the job had already finished (a slow machine's polls lagged)"
  fi
  "$STACK" up --home "$T_HOME" --port "$T_PORT" --workers 2 >/dev/null 2>&1
  like "$(traderd_pid)" '^[0-9]+$' "$name: traderd restarted"
done
[ "$inside" -ge 2 ]
ok $? "at least two kills interrupted the job ($inside)"
is "$(wait_job "$CRASH_JOB")" completed "the interrupted job completes"

# --- same results, nothing missing, nothing twice ------------------------------------------------
is "$(dbq "SELECT count(*) FROM positions WHERE job_id = '$CRASH_JOB'")" "$TOTAL" \
  "every model-day stored"
is "$(dbq 'SELECT count(*) FROM (SELECT model, date FROM positions GROUP BY model, date HAVING count(*) > 1) x')" 0 \
  "none stored twice"
is "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$CRASH_JOB' AND status <> 'completed'")" 0 \
  "every model-day completed"
is "$(dbq "SELECT count(*) FROM audit_log WHERE job_id = '$CRASH_JOB' AND event = 'job_recovered'")" "$inside" \
  "each recovery audited"
results_dump "${DATES[@]}" >"$T_DIR/crash.dump"
if cmp -s "$T_DIR/ref.dump" "$T_DIR/crash.dump"; then
  ok 0 "every model-day's results equal the uninterrupted run's"
else
  ok 1 "every model-day's results equal the uninterrupted run's"
  diff "$T_DIR/ref.dump" "$T_DIR/crash.dump" | head -20 | sed 's/^/# /'
fi
is "$(grep -c ' 200 \[{' "$T_DIR/crash.dump")" "$NDAYS" "each date answered with both models"
cmp -s "$T_HOME/agent_data/c-mo/position/position.jsonl" "$REF_HOME/agent_data/c-mo/position/position.jsonl"
ok $? "the AI-Trader position file equals the reference run's"

done_testing
