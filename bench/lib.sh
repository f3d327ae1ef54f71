# shellcheck shell=bash
# Shared by the bench/*.sh scripts (sourced): the repository root, option
# parsing, and a stack of its own in a temporary data directory on a free
# loopback port, taken down and removed when the script exits.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# bench_args "NAME..." ARGS...: each `--name VALUE` of ARGS sets the variable
# NAME (upper case, - as _) when it is one of the NAMEs; anything else prints
# the script's usage (its first comment line naming bench/) and exits 2.
bench_args() {
  local names=" $1 " var
  shift
  while [ $# -gt 0 ]; do
    var=${1#--}
    var=${var^^}
    var=${var//-/_}
    if [ "$1" = "${1#--}" ] || [[ $names != *" $var "* ]] || [ $# -lt 2 ]; then
      sed -n '/^# *bench\//{p;q}' "$0" >&2
      exit 2
    fi
    printf -v "$var" '%s' "$2"
    shift 2
  done
}

bench_need_wrk() {
  command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
}

# bench_home NAME: TMP (a temporary directory named after NAME), HOME_DIR (the
# data directory inside it), PORT (a free loopback port) and BASE (its URL);
# on exit the stack on HOME_DIR is stopped and TMP removed.
bench_home() {
  TMP=$(mktemp -d "/tmp/trader-$1-XXXXXX")
  HOME_DIR=$TMP/home
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  BASE=http://127.0.0.1:$PORT
  trap '"$ROOT/scripts/stack" down --home "$HOME_DIR" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
}

# bench_stack_up WORKERS: starts the stack on HOME_DIR and PORT.
bench_stack_up() {
  "$ROOT/scripts/stack" up --home "$HOME_DIR" --port "$PORT" --workers "$1" >/dev/null
}

# bench_traderctl: CTL, traderctl found as scripts/stack finds the programs.
bench_traderctl() {
  CTL=""
  for d in "${TRADER_BINDIR:-}" "${TRADER_BUILDDIR:-.}/daemon" "$ROOT/daemon" "$ROOT/build/daemon"; do
    [ -x "$d/traderctl" ] && { CTL=$d/traderctl; break; }
  done
  [ -n "$CTL" ] || { echo "bench: traderctl not found" >&2; exit 1; }
}

# bench_month_job: one month of the built-in models (the default config) run by
# the stack at BASE; JOB is its id and STATE its final status.
bench_month_job() {
  JOB=$(curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"start_date": "2025-01-03", "end_date": "2025-01-31"}' "$BASE/simulate/trigger" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["job_id"])')
  for _ in $(seq 1 600); do
    STATE=$(curl -s "$BASE/simulate/status/$JOB" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
    case $STATE in pending | running) sleep 0.5 ;; *) break ;; esac
  done
}
