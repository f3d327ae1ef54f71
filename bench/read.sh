#!/usr/bin/env bash
# Read benchmark: wrk against /health, /simulate/status/{id} and /results
# through nginx + trader-api, and, in the same run, against nginx serving a
# static file of exactly the same bytes as each answer. Each API target is
# measured twice: as configured (the micro-cache on; /health is never
# cached) and with the micro-cache off (every request a FastCGI round trip;
# the stack's nginx.conf is edited and nginx reloaded). Prints requests/s for
# each and the ratios to the static file (how much of nginx's own speed the
# answer keeps).
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
bench_args "DURATION CONNECTIONS THREADS WORKERS" "$@"
bench_need_wrk

# The benchmark is one client at full speed: lift the per-address limits.
export TRADER_RATE_READ=${TRADER_RATE_READ:-100000r/s} TRADER_RATE_READ_BURST=${TRADER_RATE_READ_BURST:-100000}

bench_home bench
bench_stack_up "$WORKERS"
bench_traderctl
"$CTL" --home "$HOME_DIR" prices synth >/dev/null

# One month of the built-in models, run by traderd.
bench_month_job
echo "data: job $JOB ($STATE)"

TARGETS=(
  "health|/health"
  "status|/simulate/status/$JOB"
  "results|/results?detail=full"
)

# cache on|off: the micro-cache of the running stack's nginx.
cache() {
  local conf=$HOME_DIR/nginx/nginx.conf
  if [ "$1" = off ]; then
    sed -i 's/^\( *\)fastcgi_cache trader_api;/\1fastcgi_cache off;/' "$conf"
  else
    sed -i 's/^\( *\)fastcgi_cache off;\( *\)$/\1fastcgi_cache trader_api;/' "$conf"
  fi
  nginx -q -p "$HOME_DIR/nginx" -c "$conf" -e "$HOME_DIR/log/nginx-error.log" -s reload
  sleep 1 # the old workers finish
}

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
declare -A BYTES STATIC CACHED UNCACHED BAD
for t in "${TARGETS[@]}"; do
  name=${t%%|*} path=${t#*|}
  curl -s -o "$HOME_DIR/static/$name.json" "$BASE$path"
  BYTES[$name]=$(stat -c %s "$HOME_DIR/static/$name.json")
  read -r STATIC[$name] _ < <(rate "/static/$name.json")
  read -r CACHED[$name] BAD[$name] < <(rate "$path")
done
cache off
for t in "${TARGETS[@]}"; do
  name=${t%%|*} path=${t#*|}
  read -r UNCACHED[$name] bad < <(rate "$path")
  BAD[$name]=$((BAD[$name] + bad))
done
cache on
echo "ratios: requests/s of the API answer over nginx's static file of the same bytes"
printf '%-8s %8s %8s %8s %12s %12s %12s %8s\n' target cached uncached bytes "static req/s" \
  "cached req/s" "uncached" non-2xx
for t in "${TARGETS[@]}"; do
  name=${t%%|*}
  printf '%-8s %8s %8s %8s %12s %12s %12s %8s\n' "$name" \
    "$(python3 -c "print('%.2f' % (${CACHED[$name]} / ${STATIC[$name]}))")" \
    "$(python3 -c "print('%.2f' % (${UNCACHED[$name]} / ${STATIC[$name]}))")" \
    "${BYTES[$name]}" "${STATIC[$name]}" "${CACHED[$name]}" "${UNCACHED[$name]}" "${BAD[$name]}"
done
