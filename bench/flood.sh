#!/usr/bin/env bash
# Trigger-flood benchmark: how fast GET /health answers while many
# connections post {} to POST /simulate/trigger, with nginx's rate limits as
# shipped and with the write limit lifted (the situation before the limits).
#
#   bench/flood.sh [--duration SECONDS] [--connections N] [--workers N]
#
# Three runs of DURATION (default 10 s) each, on one stack (scripts/stack) in
# a temporary data directory on a free port, synthetic prices, traderd off
# (so /health answers 503 "daemon down": the full read path all the same):
#   idle     /health alone
#   limited  /health during the flood, writes limited as shipped (30r/m, burst 10)
#   open     /health during the flood, write limit lifted
# /health is read by one wrk connection; the flood is wrk with N connections
# (default 64). Both come from 127.0.0.1, one client address, so the read
# limit is lifted for the run (the reads measure latency, not the read
# zone). Prints, per run, /health's latency percentiles and the flood's
# requests/s and how many of them reached trader-api (not 429).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=10 CONNECTIONS=64 WORKERS=4
bench_args 6 "DURATION CONNECTIONS WORKERS" "$@"
bench_need_wrk
bench_home flood
export TRADER_DAEMON=off TRADER_RATE_READ=100000r/s TRADER_RATE_READ_BURST=100000

cat >"$TMP/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
-- Count the answers that came from trader-api (anything but nginx's 429):
-- each thread counts in its own Lua state, done() adds them up.
local threads = {}
setup = function(thread) table.insert(threads, thread) end
passed = 0
response = function(status) if status ~= 429 then passed = passed + 1 end end
done = function(summary)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("passed") end
  io.write(string.format("reached trader-api: %d of %d\n", n, summary.requests))
end
EOF

bench_traderctl

# up WRITE_RATE WRITE_BURST: (re)starts the stack with that write limit.
up() {
  "$ROOT/scripts/stack" down --home "$HOME_DIR" >/dev/null 2>&1 || true
  TRADER_RATE_WRITE=$1 TRADER_RATE_WRITE_BURST=$2 bench_stack_up "$WORKERS"
}

# health_latency: wrk's latency line for /health (p50 p90 p99 and max).
health_latency() {
  wrk -t1 -c1 -d"${DURATION}s" --latency "$BASE/health" >"$TMP/health.out"
  awk '$1 == "Latency" && NF >= 5 {max=$4} $1 == "50%" {p50=$2} $1 == "90%" {p90=$2} $1 == "99%" {p99=$2}
       /^Requests\/sec/{rps=$2}
       END {printf "/health p50 %s  p90 %s  p99 %s  max %s  (%s req/s)\n", p50, p90, p99, max, rps}' \
    "$TMP/health.out"
}

# flood_run LABEL: /health measured during a trigger flood.
flood_run() {
  wrk -t2 -c"$CONNECTIONS" -d"$((DURATION + 2))s" -s "$TMP/post.lua" "$BASE/simulate/trigger" \
    >"$TMP/flood.out" 2>&1 &
  local flood=$!
  sleep 1
  printf '%-8s %s\n' "$1" "$(health_latency)"
  wait "$flood" || true
  printf '%-8s flood: %s triggers/s, %s\n' "$1" \
    "$(awk '/^Requests\/sec/{print $2}' "$TMP/flood.out")" \
    "$(grep '^reached' "$TMP/flood.out")"
}

up 30r/m 10
"$CTL" --home "$HOME_DIR" prices synth >/dev/null
echo "flood: $CONNECTIONS connections, $DURATION s per run, $WORKERS trader-api workers"
printf '%-8s %s\n' idle "$(health_latency)"
flood_run limited
up 100000r/s 100000
flood_run open
