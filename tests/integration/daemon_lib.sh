# Sourced after lib.sh by the tests of traderd: triggering jobs, waiting for
# them (bounded polls, never a timing assertion), one-value database queries
# and a normalized dump of /results for comparing two runs.

TRADERD=$TOP_BUILDDIR/daemon/traderd
WAIT_STEPS=${TRADER_TEST_WAIT_STEPS:-1200} # x 0.1 s: the longest any wait may take
[ -x "$TRADERD" ] || skip_all "traderd not built"

# The test's own configs directory (with the default config), used by the
# stacks it starts, whose traderd runs THREADS model-days at once.
# use_configs THREADS
use_configs() {
  CONFIGS=$T_DIR/configs
  export TRADER_CONFIGS_DIR=$CONFIGS TRADER_THREADS=$1
  mkdir -p "$CONFIGS"
  cp "$TOP_SRCDIR/configs/default_config.json" "$CONFIGS/"
}

# trigger_job BODY: POSTs BODY; sets JOB to the new job's id (empty unless 202).
trigger_job() {
  http POST /simulate/trigger "$1"
  JOB=
  [ "$STATUS" = 202 ] && JOB=$(jget 'j["job_id"]')
  [ -n "$JOB" ] || diag "trigger $1: HTTP $STATUS $(body)"
}

# job_field JOB EXPR: EXPR over the job's /simulate/status answer.
job_field() {
  http GET "/simulate/status/$1"
  jget "$2"
}

# wait_job JOB: polls the job's status until it is final; prints that status.
wait_job() {
  local s i
  for i in $(seq 1 "$WAIT_STEPS"); do
    s=$(job_field "$1" 'j["status"]')
    case $s in completed | partial | failed | cancelled) break ;; esac
    sleep 0.1
  done
  echo "$s"
}

# wait_until COMMAND [ARGS...]: true once the command succeeds (polled).
wait_until() {
  local i
  for i in $(seq 1 "$WAIT_STEPS"); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# traderd_pid: the live traderd of the stack's pid file, or nothing.
traderd_pid() {
  local pid
  pid=$(cat "$T_HOME/run/traderd.pid" 2>/dev/null) || return 0
  [ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null | sed 's/ (deleted)$//; s|.*/||')" = traderd ] &&
    echo "$pid"
  return 0
}

# results_dump DATE...: every model's /results?detail=full of each date,
# without what legitimately differs between two runs (job ids, trade row ids),
# one line per date, sorted by model.
results_dump() {
  local d
  for d in "$@"; do
    http GET "/results?date=$d&detail=full"
    printf '%s %s ' "$d" "$STATUS"
    python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
rs = sorted(j.get("results", []), key=lambda r: r["model"])
for r in rs:
    r.pop("job_id", None)
    for t in r.get("trades", []):
        t.pop("id", None)
print(json.dumps(rs, sort_keys=True, separators=(",", ":")))' "$T_DIR/body"
  done
}

# synth_days: a synthetic price sample of 12 trading days in the stack's store;
# DAYS gets the first six after the init date (2025-01-02).
synth_days() {
  ctl prices synth --days 12 >/dev/null || bail "traderctl prices synth failed"
  mapfile -t DAYS < <(python3 -c 'import testdb
for (d,) in testdb.connect().execute("SELECT DISTINCT date FROM prices WHERE date > ? ORDER BY date LIMIT 6", ("2025-01-02",)):
    print(d)')
  [ "${#DAYS[@]}" -ge 6 ] || bail "not enough synthetic trading days"
}

# llm_team CONFIG SIG SECONDS: a local LLM server (tests/llm_server.py) that
# answers every request after SECONDS the same way (buy one AAPL), and
# CONFIG, a config of four models SIG1..SIG4 served by it (one completion a
# step, two steps a day), so a model-day re-run from scratch decides the same.
llm_team() {
  python3 -c 'import json, sys
json.dump({"*": [{"fault": "latency", "seconds": float(sys.argv[2]),
                  "tool_calls": [{"name": "buy", "arguments": {"symbol": "AAPL", "amount": 1},
                                  "id": "call_1"}]}]}, open(sys.argv[1], "w"))' \
    "$T_DIR/llm.json" "$3"
  test_server llm llm_server.py --script "$T_DIR/llm.json" --log "$T_DIR/llm.log"
  python3 - "$1" "$SERVER_PORT" "$2" <<'PY'
import json, sys
c = {"date_range": {"init_date": "2025-01-02"}, "stock_symbols": ["AAPL", "MSFT"],
     "agent_config": {"max_steps": 2, "max_completions_per_step": 1, "max_retries": 0,
                      "base_delay": 0.05},
     "models": [{"signature": "%s%d" % (sys.argv[3], i), "basemodel": sys.argv[3],
                 "provider": "openai", "timeout_seconds": 60,
                 "openai_base_url": "http://127.0.0.1:%s/v1" % sys.argv[2],
                 "openai_api_key": "sk-int"} for i in range(1, 5)]}
json.dump(c, open(sys.argv[1], "w"))
PY
}
