#!/usr/bin/env bash
# Read benchmark: wrk against /health, /simulate/status/{id} and /results
# through nginx + trader-api, and, in the same run, against nginx serving a
# static file of exactly the same bytes as each answer. Prints requests/s for
# each and the ratio to the static file (how much of nginx's own speed the
# dynamic answer keeps).
#
#   bench/read.sh [--duration SECONDS] [--connections N] [--threads N] [--workers N]
#
# It builds its data first in a temporary data directory: synthetic prices
# (`traderctl prices synth`) and one simulation of the built-in models run by
# traderd (POST /simulate/trigger), then benchmarks. Binaries are found as
# scripts/stack finds them (TRADER_BUILDDIR, TRADER_BINDIR, ...). Defaults:
# 10 s per target, 32 connections, 2 wrk threads, 4 trader-api workers.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=10 CONNECTIONS=32 THREADS=2 WORKERS=4
bench_args 8 "DURATION CONNECTIONS THREADS WORKERS" "$@"
bench_need_wrk

# The benchmark is one client at full speed: lift the per-address limits.
export TRADER_RATE_READ=${TRADER_RATE_READ:-100000r/s} TRADER_RATE_READ_BURST=${TRADER_RATE_READ_BURST:-100000}

bench_home bench
bench_stack_up "$WORKERS"
bench_traderctl
"$CTL" --home "$HOME_DIR" prices synth >/dev/null

# One month of the built-in models, run by traderd.
JOB=$(curl -sf -X POST -H 'Content-Type: application/json' \
  -d '{"start_date": "2025-01-03", "end_date": "2025-01-31"}' "$BASE/simulate/trigger" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["job_id"])')
for _ in $(seq 1 600); do
  STATE=$(curl -s "$BASE/simulate/status/$JOB" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
  case $STATE in pending | running) sleep 0.5 ;; *) break ;; esac
done
echo "data: job $JOB ($STATE)"

TARGETS=(
  "health|/health"
  "status|/simulate/status/$JOB"
  "results|/results?detail=full"
)

# rate PATH: requests/s that wrk reaches on PATH (and the non-2xx count).
rate() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$BASE$1" >"$TMP/wrk.out" 2>&1
  local rps bad
  rps=$(sed -n 's/^Requests\/sec: *//p' "$TMP/wrk.out")
  bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$TMP/wrk.out")
  echo "$rps ${bad:-0}"
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1)"
echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s per target; $WORKERS trader-api workers"
printf '%-8s %8s %12s %8s %12s %8s\n' target bytes "api req/s" non-2xx "static req/s" ratio
for t in "${TARGETS[@]}"; do
  name=${t%%|*} path=${t#*|}
  curl -s -o "$HOME_DIR/static/$name.json" "$BASE$path"
  bytes=$(stat -c %s "$HOME_DIR/static/$name.json")
  read -r api bad < <(rate "$path")
  read -r static _ < <(rate "/static/$name.json")
  printf '%-8s %8s %12s %8s %12s %8s\n' "$name" "$bytes" "$api" "$bad" "$static" \
    "$(python3 -c "print('%.2f' % ($api / $static))")"
done
