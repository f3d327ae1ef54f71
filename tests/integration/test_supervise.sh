#!/usr/bin/env bash
# Supervision (CONTRACT section 1): under scripts/stack, trader-api workers
# killed with SIGKILL and a killed traderd come back by themselves and the
# interrupted job completes; a second traderd on the same data directory is
# refused whatever its pid file; a daemon removes only its own pid file; the
# logs are private (0700/0600) and rotated by size; removing the data
# directory stops every process and `stack down` still succeeds. Polls have a
# generous bound to give up, never a timing assertion.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

use_configs 2
cat >"$CONFIGS/slow.json" <<'EOF'
{"date_range": {"init_date": "2025-01-02"},
 "models": [{"signature": "s", "provider": "builtin", "strategy": "equal_weight", "delay_ms": 600}]}
EOF
export TRADER_LOG_MAX_KB=16 TRADER_LOG_KEEP=2
stack_up
ctl prices synth --days 15 >/dev/null || bail "traderctl prices synth failed"

answers() {
  http GET /simulate/current
  [ "$STATUS" = 404 ] || [ "$STATUS" = 200 ]
}
# workers_back OLD...: two live workers, none of them an old one.
workers_back() {
  local pids
  pids=$(pids_of "$T_HOME/run/trader-api.pid" trader-api)
  [ "$(wc -w <<<"$pids")" = 2 ] || return 1
  for p in "$@"; do grep -qw "$p" <<<"$pids" && return 1; done
  return 0
}
pids_of() {
  local p
  for p in $(cat "$1" 2>/dev/null); do
    [ "$(readlink "/proc/$p/exe" 2>/dev/null | sed 's/ (deleted)$//; s|.*/||')" = "$2" ] && echo "$p"
  done
}

# --- trader-api workers killed ---------------------------------------------------------------
OLD=$(api_pids)
# shellcheck disable=SC2086
kill -9 $OLD
wait_until workers_back $OLD
ok $? "all trader-api workers killed with SIGKILL: two new ones run"
wait_until answers
ok $? "  and requests succeed again"

# --- traderd killed in the middle of a job -------------------------------------------------------
trigger_job '{"config_path": "configs/slow.json"}'
JOB1=$JOB
progressed() { [ "$(job_field "$JOB1" 'j["progress"]["completed"]')" -ge 2 ] 2>/dev/null; }
wait_until progressed
OLDD=$(traderd_pid)
kill -9 "$OLDD"
back() { [ -n "$(traderd_pid)" ] && [ "$(traderd_pid)" != "$OLDD" ]; }
wait_until back
ok $? "traderd killed with SIGKILL: a new one runs"
is "$(wait_job "$JOB1")" completed "  and the interrupted job completes"
is "$(dbq "SELECT count(*) FROM audit_log WHERE job_id = '$JOB1' AND event = 'job_recovered'")" 1 \
  "  recovered once"
traderd_up() {
  http GET /health
  [ "$(jget 'j["services"]["traderd"]["pid"]')" = "$(traderd_pid)" ] &&
    [ "$(jget 'j["services"]["traderd"]["status"]')" = up ]
}
wait_until traderd_up
ok $? "  /health reports the new daemon up"

# --- a second traderd -------------------------------------------------------------------------------
"$TRADERD" --home "$T_HOME" --pidfile "$T_DIR/other.pid" >"$T_DIR/second.out" 2>&1
is "$?" 1 "a second traderd on the same data directory is refused, even with another pid file"
like "$(cat "$T_DIR/second.out")" "already running \\(pid $(traderd_pid)\\)" "  naming the running one"
is "$(cat "$T_HOME/run/traderd.pid")" "$(traderd_pid)" "  the running daemon's pid file is untouched"

# --- a daemon removes only its own pid file ---------------------------------------------------------------
X=$T_DIR/x
"$TRADERD" --home "$X" --poll 0.1 >"$T_DIR/a.log" 2>&1 &
A=$!
started() { grep -q '"traderd [^"]* started' "$1"; }
wait_until started "$T_DIR/a.log"
rm -rf "$X"
mkdir -p "$X"
"$TRADERD" --home "$X" --poll 0.1 >"$T_DIR/b.log" 2>&1 &
B=$!
wait_until started "$T_DIR/b.log"
a_gone() { ! kill -0 "$A" 2>/dev/null; }
wait_until a_gone
ok $? "a daemon whose data directory was removed stops by itself"
wait "$A"
is "$?" 0 "  exit 0"
is "$(cat "$X/run/traderd.pid" 2>/dev/null)" "$B" "  and leaves the new daemon's pid file alone"
kill -TERM "$B"
wait "$B"
is "$?" 0 "the new daemon stops on SIGTERM"
[ ! -e "$X/run/traderd.pid" ]
ok $? "  removing its own pid file"

# --- private, rotated logs ----------------------------------------------------------------------------------
is "$(stat -c %a "$T_HOME/log")" 700 "log/ is private (0700)"
is "$(find "$T_HOME/log" -type f ! -perm 600 | wc -l)" 0 "every log file is 0600"
is "$(ls "$T_HOME/log" | grep -c '^nginx-access.log$\|^nginx-error.log$\|^trader-api.log$\|^traderd.log$\|^supervisor.log$')" 5 \
  "  nginx, trader-api, traderd and supervisor logs"
for _ in 1 2 3 4; do
  curl -s -o /dev/null "$BASE/simulate/current?[1-100]"
done
rotated() { [ -f "$T_HOME/log/nginx-access.log.1" ]; }
wait_until rotated
ok $? "the nginx access log is rotated past TRADER_LOG_MAX_KB"
is "$(ls "$T_HOME/log" | grep -c '\.log\.[3-9]$')" 0 "  keeping at most TRADER_LOG_KEEP old files"
size_ok() { [ "$(stat -c %s "$T_HOME/log/nginx-access.log")" -lt $((64 * 1024)) ]; }
wait_until size_ok
ok $? "  the live file is cut back"
http GET /simulate/current
[ "$(tail -c 300 "$T_HOME/log/nginx-access.log" | grep -c 'simulate/current')" -ge 1 ]
ok $? "  nginx still writes to it"
is "$(find "$T_HOME/log" -type f ! -perm 600 | wc -l)" 0 "  rotated files are 0600 too"

# --- the data directory removed ------------------------------------------------------------------------------
SUP=$(cat "$T_HOME/run/supervisor.pid")
D=$(traderd_pid) NG=$(cat "$T_HOME/run/nginx.pid") W=$(api_pids)
rm -rf "$T_HOME"
all_gone() {
  local p
  for p in $SUP $D $NG $W; do kill -0 "$p" 2>/dev/null && return 1; done
  return 0
}
wait_until all_gone
ok $? "data directory removed: supervisor, traderd, nginx and workers stop"
"$STACK" down --home "$T_HOME" >"$T_DIR/down.out" 2>&1
ok $? "stack down still succeeds"
stack_up
wait_until answers
ok $? "and stack up starts a new stack on a new data directory"

done_testing
