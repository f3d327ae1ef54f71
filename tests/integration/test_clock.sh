#!/usr/bin/env bash
# Hosts whose clocks disagree share one PostgreSQL store (issue 14): leases
# and heartbeats are stamped and compared by the store's clock (db_clock),
# so two more workers whose clocks run ten minutes ahead and ten minutes
# behind the stack's (Debian libfaketime) serve a job of LLM models
# with it as if the clocks agreed: /health lists all three, none takes
# another for dead, no lease looks expired, each model-day runs once and
# the days are shared. PostgreSQL pass only: a SQLite store is one host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

on_pg || skip_all "PostgreSQL only: hosts sharing one store"
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1)
[ -n "$FAKETIME_LIB" ] || skip_all "no libfaketime (Debian libfaketime)"

unset OPENAI_API_BASE OPENAI_API_KEY
use_configs 2
export TRADER_LEASE_SECONDS=6

llm_team "$CONFIGS/team.json" c 0.3

stack_up
synth_days

# faked OFFSET COMMAND...: COMMAND with its clock OFFSET off (FAKETIME's
# "+10m"); monotonic clocks stay true. ASan's runtime must come first among
# preloaded libraries unless told otherwise.
faked() {
  LD_PRELOAD=$FAKETIME_LIB FAKETIME=$1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "${@:2}"
}
AHEAD=$(($(faked +10m date +%s) - $(date +%s)))
[ "$AHEAD" -ge 590 ] && [ "$AHEAD" -le 610 ]
ok $? "a faked clock runs ten minutes ahead ($AHEAD s)"

# worker N OFFSET: a traderd on its own data directory (another host) and
# the stack's database, its clock OFFSET off.
worker() {
  mkdir -p "$T_DIR/w$1"
  faked "$2" "$TRADERD" --home "$T_DIR/w$1" --poll 0.2 2>>"$T_DIR/w$1.log" &
  T_SERVERS+=($!)
}
worker 2 +10m
worker 3 -10m
live_workers() {
  http GET /health
  [ "$(jget 'len(j["services"]["traderd"]["workers"])')" = "$1" ]
}
wait_until live_workers 3
ok $? "/health lists the three workers as live" ||
  diag "$(jget '[(w["pid"], w["last_heartbeat"]) for w in j["services"]["traderd"]["workers"]]')"

trigger_job "{\"config_path\": \"configs/team.json\", \"start_date\": \"${DAYS[0]}\", \"end_date\": \"${DAYS[5]}\"}"
is "$STATUS" 202 "a job of 4 LLM models x 6 days"
is "$(wait_job "$JOB")" completed "the three workers run it to its end"
is "$(dbq "SELECT count(*) FROM positions WHERE job_id = '$JOB'")" 24 "each model-day stored once"
is "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB' AND attempts <> 1")" 0 \
  "  each run once: no lease was taken from a live worker"
is "$(dbq "SELECT count(*) FROM audit_log WHERE event = 'job_recovered'")" 0 \
  "  no reclaim audited"
WORKERS=$(dbq "SELECT count(DISTINCT worker) FROM job_details WHERE job_id = '$JOB'")
[ "$WORKERS" -ge 2 ]
ok $? "  the model-days were shared ($WORKERS workers)"
live_workers 3
ok $? "/health still lists the three workers"
if grep -qE 'is gone|lease expired' "$T_DIR"/w2.log "$T_DIR"/w3.log "$T_HOME"/log/traderd.log 2>/dev/null; then
  ok 1 "no worker declared another gone"
  grep -hE 'is gone|lease expired' "$T_DIR"/w2.log "$T_DIR"/w3.log "$T_HOME"/log/traderd.log | head -5 | sed 's/^/# /'
else
  ok 0 "no worker declared another gone"
fi
done_testing
