#!/usr/bin/env bash
# Read throughput against a PostgreSQL primary and against its hot standby:
# wrk through nginx + trader-api on two API stacks that share one primary,
# one reading the primary, the other reading the standby
# (TRADER_DATABASE_READ_URL). The micro-cache is off on both (every request
# reaches trader-api and the database); the targets are measured in turns,
# primary and standby, ROUNDS times, and each figure is the median.
#
#   bench/replica.sh [--duration SECONDS] [--connections N] [--threads N] [--workers N] [--rounds N]
#
# It starts a throwaway primary (tests/pgcluster.sh) and a standby
# (tests/pgstandby.sh) in a temporary directory, fills the store as
# bench/read.sh does (synthetic prices and one month of the built-in models
# run by traderd), waits until the standby has replayed it all, then
# measures. Defaults: 10 s per target, 32 connections, 2 wrk threads, 4
# trader-api workers per stack, 3 rounds.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=10 CONNECTIONS=32 THREADS=2 WORKERS=4 ROUNDS=3
bench_args "DURATION CONNECTIONS THREADS WORKERS ROUNDS" "$@"
bench_need_wrk
export TRADER_RATE_READ=100000r/s TRADER_RATE_READ_BURST=100000
export TRADER_RATE_WRITE=100000r/s TRADER_RATE_WRITE_BURST=100000
export TRADER_MICROCACHE=off

bench_home replica
bench_traderctl
chmod 0755 "$TMP" # as root the servers run as nobody
HOME_B=$TMP/home-standby
PORT_B=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE_B=http://127.0.0.1:$PORT_B
trap '"$ROOT/scripts/stack" down --home "$HOME_DIR" >/dev/null 2>&1
      "$ROOT/scripts/stack" down --home "$HOME_B" >/dev/null 2>&1
      "$ROOT/tests/pgstandby.sh" stop "$TMP/standby" >/dev/null 2>&1
      "$ROOT/tests/pgcluster.sh" stop "$TMP/primary" >/dev/null 2>&1
      rm -rf "$TMP"' EXIT

PRIMARY=$("$ROOT/tests/pgcluster.sh" start "$TMP/primary")
STANDBY=$("$ROOT/tests/pgstandby.sh" start "$TMP/primary" "$TMP/standby")
export TRADER_DATABASE_URL=$PRIMARY

# Stack A: traderd and the reads on the primary; stack B: reads on the standby.
bench_stack_up "$WORKERS"
TRADER_DAEMON=off TRADER_DATABASE_READ_URL=$STANDBY \
  "$ROOT/scripts/stack" up --home "$HOME_B" --port "$PORT_B" --workers "$WORKERS" >/dev/null
"$CTL" --home "$HOME_DIR" prices synth >/dev/null

bench_month_job
for _ in $(seq 1 600); do
  "$ROOT/tests/pgstandby.sh" caught-up "$TMP/primary" "$TMP/standby" && break
  sleep 0.1
done
echo "data: job $JOB ($STATE), replayed by the standby"

TARGETS=(
  "status|/simulate/status/$JOB"
  "results|/results?detail=full"
  "range|/results?start_date=2025-01-03&end_date=2025-01-31"
  "perf|/performance"
)
for t in "${TARGETS[@]}"; do
  path=${t#*|}
  cmp -s <(curl -s "$BASE$path") <(curl -s "$BASE_B$path") ||
    { echo "bench: $path differs between the primary and the standby" >&2; exit 1; }
done

# rate URL: requests/s that wrk reaches on URL, and the non-2xx count.
rate() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$1" >"$TMP/wrk.out" 2>&1
  local rps bad
  rps=$(sed -n 's/^Requests\/sec: *//p' "$TMP/wrk.out")
  bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$TMP/wrk.out")
  echo "$rps ${bad:-0}"
}
median() {
  tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s per target, $ROUNDS rounds; $WORKERS trader-api workers per stack"
declare -A ON_P ON_S BAD
for t in "${TARGETS[@]}"; do
  BAD[${t%%|*}]=0
done
# measure NAME PATH SIDE: one wrk run on the primary (p) or standby (s) stack.
measure() {
  local r bad
  if [ "$3" = p ]; then
    read -r r bad < <(rate "$BASE$2")
    ON_P[$1]="${ON_P[$1]:-} $r"
  else
    read -r r bad < <(rate "$BASE_B$2")
    ON_S[$1]="${ON_S[$1]:-} $r"
  fi
  BAD[$1]=$((BAD[$1] + bad))
}
# Odd rounds measure the primary first, even ones the standby: a drift of
# the machine's load favours neither.
for round in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    name=${t%%|*} path=${t#*|}
    if [ $((round % 2)) -eq 1 ]; then
      measure "$name" "$path" p
      measure "$name" "$path" s
    else
      measure "$name" "$path" s
      measure "$name" "$path" p
    fi
  done
done
printf '%-8s %8s %14s %14s %8s   %s\n' target bytes "primary req/s" "standby req/s" ratio "rounds (primary | standby)"
for t in "${TARGETS[@]}"; do
  name=${t%%|*} path=${t#*|}
  p=$(median "${ON_P[$name]}") s=$(median "${ON_S[$name]}")
  printf '%-8s %8s %14s %14s %8s   %s | %s  (non-2xx: %s)\n' "$name" \
    "$(curl -s "$BASE$path" | wc -c)" "$p" "$s" "$(python3 -c "print('%.2f' % ($s / $p))")" \
    "${ON_P[$name]# }" "${ON_S[$name]# }" "${BAD[$name]}"
done
