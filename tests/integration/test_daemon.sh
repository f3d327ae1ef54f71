#!/usr/bin/env bash
# traderd through the whole stack over HTTP: /health reports its heartbeat; a
# triggered job runs to completed and /results (detail=full) has positions,
# P&L valued at the close, trades, reasoning and the AI-Trader log file; a
# second catch-up job continues from the first one's last state;
# replace_existing re-runs days without duplicating any; progress is visible
# while a job runs and the models of a date run in parallel; a second daemon
# refuses to start; SIGTERM stops the daemon cleanly (exit 0), releasing
# its model-days, and the interrupted job finishes after a restart; log
# lines are JSON; and the leaderboard of the default config's built-in
# models. Synthetic prices.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

use_configs 4
cat >"$CONFIGS/sim.json" <<'EOF'
{"date_range": {"init_date": "2025-01-02"},
 "models": [{"signature": "ew", "provider": "builtin", "strategy": "equal_weight"},
            {"signature": "mo", "provider": "builtin", "strategy": "momentum",
             "lookback": 3, "top_n": 3}],
 "agent_config": {"initial_cash": 10000.0},
 "log_config": {"log_path": "agent_data"}}
EOF
# delay_ms makes each model-day last 1.5 s so a running job can be watched.
cat >"$CONFIGS/slow.json" <<'EOF'
{"date_range": {"init_date": "2025-01-02"},
 "models": [{"signature": "s-ew", "provider": "builtin", "strategy": "equal_weight",
             "delay_ms": 1500},
            {"signature": "s-mo", "provider": "builtin", "strategy": "momentum",
             "delay_ms": 1500}]}
EOF

stack_up
ctl prices synth >/dev/null || bail "traderctl prices synth failed"

# --- /health ------------------------------------------------------------------------
traderd_up() {
  http GET /health
  [ "$(jget 'j["services"]["traderd"]["status"]')" = up ]
}
wait_until traderd_up
ok $? "health: traderd up"
is "$(jget 'j["services"]["traderd"]["pid"]')" "$(traderd_pid)" "  the pid of the running daemon"
like "$(jget 'j["services"]["traderd"]["last_heartbeat"]')" '^20[0-9-]{8}T' "  heartbeat time"
is "$(jget '[(w["pid"], w["threads"], w["current_job"]) for w in j["services"]["traderd"]["workers"]]')" \
  "[[$(traderd_pid),4,null]]" "  the live workers: this one, idle"
is "$(dbq 'SELECT version IS NOT NULL AND hostname IS NOT NULL FROM workers')" 1 \
  "its workers row has version and hostname"

# --- a job end to end -------------------------------------------------------------------
trigger_job '{"config_path": "configs/sim.json", "start_date": "2025-01-03", "end_date": "2025-01-09"}'
JOB1=$JOB
is "$STATUS" 202 "trigger sim.json for 2025-01-03..09: 202"
is "$(wait_job "$JOB1")" completed "the job completes"
is "$(jget '[j["progress"][k] for k in ("total_model_days", "completed", "failed", "pending")]')" \
  "[10,10,0,0]" "progress: 10 of 10 completed"
is "$(jget 'all(d["status"] == "completed" and d["started_at"] and d["completed_at"] and d["duration_seconds"] >= 0 and d["error"] is None for d in j["progress"]["details"])')" \
  true "every detail completed with its times"
like "$(jget 'j["completed_at"]')" '^20' "completed_at set"
like "$(jget 'j["total_duration_seconds"]')" '^[0-9.e-]+$' "total_duration_seconds set"
is "$(dbq "SELECT group_concat(event || ':' || n) FROM (SELECT event, count(*) n FROM audit_log WHERE job_id = '$JOB1' GROUP BY event ORDER BY event) x")" \
  "api_request:1,job_created:1,job_finished:1,job_started:1,model_day_completed:10,model_day_started:10" \
  "audit trail of the job"

http GET "/results?date=2025-01-03&model=ew&detail=full"
is "$STATUS" 200 "results of ew's first session"
is "$(jget 'j["results"][0]["job_id"]')" "$JOB1" "  from the job"
is "$(jget 'len(j["results"][0]["trades"]) > 0 and all(t["action"] == "buy" for t in j["results"][0]["trades"])')" \
  true "  equal_weight bought on its first session"
is "$(jget 'j["results"][0]["ai_reasoning"]["tool_usage"]["buy"] == len(j["results"][0]["trades"])')" \
  true "  tool usage counts the buys"
like "$(jget 'j["results"][0]["ai_reasoning"]["reasoning_summary"]')" '^equal_weight: first session' \
  "  reasoning summary"
is "$(jget 'j["results"][0]["log_file_path"]')" "agent_data/ew/log/2025-01-03/log.jsonl" \
  "  log_file_path"
[ -s "$T_HOME/agent_data/ew/log/2025-01-03/log.jsonl" ]
ok $? "  the log file exists under the data directory"
cp "$T_DIR/body" "$T_DIR/ew-0103.json"

# The value at the close, recomputed from the answer's positions and the
# stored closes: value = cash + sum(shares x close).
check_value() {
  python3 - "$T_DB" "$T_DIR/body" <<'EOF'
import json, testdb, sys
from decimal import Decimal
con = testdb.connect(sys.argv[1])
j = json.load(open(sys.argv[2], "r"), parse_float=Decimal)
bad = []
for r in j["results"]:
    v = Decimal(r["positions"]["CASH"])
    for s, n in r["positions"].items():
        if s != "CASH":
            v += n * Decimal(con.execute("SELECT close FROM prices WHERE symbol=? AND date=?",
                                         (s, j["date"])).fetchone()[0])
    if v != Decimal(r["daily_pnl"]["portfolio_value"]):
        bad.append("%s %s != %s" % (r["model"], v, r["daily_pnl"]["portfolio_value"]))
print("ok" if not bad else "; ".join(bad))
EOF
}
http GET "/results?date=2025-01-09&detail=full"
is "$(jget 'sorted(r["model"] for r in j["results"])')" '["ew","mo"]' "both models on the last day"
is "$(check_value)" ok "portfolio_value = cash + shares x today's close"
is "$(jget 'all(set(r["daily_pnl"]) == {"profit", "return_pct", "portfolio_value"} for r in j["results"])')" \
  true "daily P&L present"
cp "$T_DIR/body" "$T_DIR/last1.json"

# position.jsonl's last line holds the model's end state.
is "$(python3 -c 'import json, sys
last = json.loads(open(sys.argv[1]).read().splitlines()[-1])
r = [r for r in json.load(open(sys.argv[2]))["results"] if r["model"] == "mo"][0]
held = {k: v for k, v in last["positions"].items() if v != 0 or k == "CASH"}
print(last["date"] == "2025-01-09" and held == r["positions"])' \
  "$T_HOME/agent_data/mo/position/position.jsonl" "$T_DIR/last1.json")" True \
  "position.jsonl ends on the state /results reports"

# --- continuity: a catch-up job starts from the first job's last state ----------------------
trigger_job '{"config_path": "configs/sim.json", "models": ["ew"], "end_date": "2025-01-15"}'
JOB2=$JOB
is "$(jget 'j["date_range"][0]')" 2025-01-10 "catch-up starts the day after the last completed day"
is "$(wait_job "$JOB2")" completed "catch-up job completes"
http GET "/results?date=2025-01-10&model=ew"
is "$(jget 'j["results"][0]["job_id"]')" "$JOB2" "2025-01-10 comes from the catch-up job"
is "$(python3 -c 'import json, sys
from decimal import Decimal
old = [r for r in json.load(open(sys.argv[1]), parse_float=Decimal)["results"] if r["model"] == "ew"][0]
new = json.load(open(sys.argv[2]), parse_float=Decimal)["results"][0]
p = new["daily_pnl"]
print(p["portfolio_value"] - p["profit"] == old["daily_pnl"]["portfolio_value"],
      new["positions"] == old["positions"])' "$T_DIR/last1.json" "$T_DIR/body")" "True True" \
  "it starts from the first job's last value and holdings"

# --- replace_existing ------------------------------------------------------------------------------
http GET "/results?date=2025-01-08&model=mo&detail=full"
before=$(jget 'j["results"][0]["daily_pnl"]')
trigger_job '{"config_path": "configs/sim.json", "models": ["mo"], "start_date": "2025-01-08", "end_date": "2025-01-09", "replace_existing": true}'
JOB3=$JOB
is "$STATUS" 202 "replace_existing for mo on 2025-01-08..09: 202"
is "$(wait_job "$JOB3")" completed "the replacing job completes"
# The micro-cache may answer up to 1 s old (CONTRACT section 9): poll.
from_job3() {
  http GET "/results?date=2025-01-08&model=mo&detail=full"
  [ "$(jget 'j["results"][0]["job_id"]')" = "$JOB3" ]
}
wait_until from_job3
is "$(jget 'j["results"][0]["job_id"]')" "$JOB3" "2025-01-08 now comes from the new job"
is "$(jget 'j["results"][0]["daily_pnl"]')" "$before" "with the same (deterministic) result"
http GET "/results?date=2025-01-07&model=mo"
is "$(jget 'j["results"][0]["job_id"]')" "$JOB1" "2025-01-07 is untouched"
is "$(dbq 'SELECT count(*) FROM (SELECT model, date FROM positions GROUP BY model, date HAVING count(*) > 1) x')" 0 \
  "no model-day is stored twice"
is "$(dbq "SELECT count(*) FROM audit_log WHERE job_id = '$JOB3' AND event = 'results_replaced'")" 1 \
  "the replacement is audited"

# --- progress while running, parallel models ---------------------------------------------------------
trigger_job '{"config_path": "configs/slow.json", "start_date": "2025-01-03", "end_date": "2025-01-07"}'
JOB4=$JOB
seen_running=0 seen_current=0 seen_between=0 seen_health=0
for _ in $(seq 1 "$WAIT_STEPS"); do
  http GET "/simulate/status/$JOB4"
  st=$(jget 'j["status"]')
  [ "$st" = running ] && seen_running=1
  [ "$(jget 'j["progress"]["current"] is not None and any(d["status"] == "running" for d in j["progress"]["details"])')" = true ] &&
    seen_current=1
  [ "$(jget '0 < j["progress"]["completed"] < j["progress"]["total_model_days"]')" = true ] &&
    seen_between=1
  if [ $seen_health = 0 ] && [ "$st" = running ]; then
    http GET /health
    cur=$(jget 'j["services"]["traderd"]["current_job"]')
    [ "$cur" = "$JOB4" ] && seen_health=1 || diag "health while running: current_job $cur"
  fi
  case $st in completed | partial | failed) break ;; esac
  sleep 0.1
done
is "$st" completed "the slow job completes"
is "$seen_running" 1 "status was running while it ran"
is "$seen_current" 1 "progress.current and a running detail were visible"
is "$seen_between" 1 "progress showed some model-days completed, others not yet"
is "$seen_health" 1 "/health named the job as current_job"
is "$(dbq "SELECT a.started_at < b.completed_at AND b.started_at < a.completed_at FROM job_details a, job_details b WHERE a.job_id = '$JOB4' AND b.job_id = a.job_id AND a.date = '2025-01-03' AND b.date = a.date AND a.model = 's-ew' AND b.model = 's-mo'")" \
  1 "the two models of a date ran at the same time"
is "$(dbq "SELECT count(*) FROM job_details a, job_details b WHERE a.job_id = '$JOB4' AND b.job_id = a.job_id AND a.model = b.model AND a.date < b.date AND b.started_at < a.completed_at")" \
  0 "each model's next date started after its previous one finished"

# --- one daemon per data directory -------------------------------------------------------------------
"$TRADERD" --home "$T_HOME" >"$T_DIR/second.out" 2>&1
is "$?" 1 "a second traderd refuses to start"
like "$(cat "$T_DIR/second.out")" "already running \\(pid $(traderd_pid)" "  naming the running one"

# --- SIGTERM -----------------------------------------------------------------------------------------
pid=$(traderd_pid)
kill -TERM "$pid"
traderd_gone() {
  [ -z "$(traderd_pid)" ]
}
wait_until traderd_gone
ok $? "the stack's traderd stops on SIGTERM"
"$TRADERD" --home "$T_HOME" --poll 0.1 2>>"$T_HOME/log/traderd.log" &
mine=$!
trigger_job '{"config_path": "configs/slow.json", "start_date": "2025-01-08", "end_date": "2025-01-09"}'
JOB5=$JOB
day_running() {
  [ "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB5' AND status = 'running'")" -gt 0 ]
}
wait_until day_running
ok $? "a model-day of the next job is running"
kill -TERM "$mine"
wait "$mine"
is "$?" 0 "traderd exits 0 on SIGTERM"
is "$(dbq "SELECT status FROM jobs WHERE job_id = '$JOB5'")" running "the interrupted job is left running"
is "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$JOB5' AND (status = 'running' OR worker IS NOT NULL)")" 0 \
  "the model-days it was running are released (pending, any worker may take them)"
is "$(dbq "SELECT count(*) FROM workers")" 0 "its workers row is gone"
is "$(dbq "SELECT count(*) FROM positions p WHERE job_id = '$JOB5' AND NOT EXISTS (SELECT 1 FROM job_details d WHERE d.job_id = p.job_id AND d.date = p.date AND d.model = p.model AND d.status = 'completed')")" \
  0 "nothing of them was written"
[ ! -e "$T_HOME/run/traderd.pid" ]
ok $? "the pid file is removed"
http GET /health
is "$(jget 'j["services"]["traderd"]["status"]')" down "health: traderd down after a clean stop"
"$STACK" up --home "$T_HOME" --port "$T_PORT" --workers 2 >/dev/null 2>&1
is "$(wait_job "$JOB5")" completed "after a restart the interrupted job completes"
is "$(dbq "SELECT count(*) FROM positions WHERE job_id = '$JOB5'")" 4 "each of its model-days once"
is "$(dbq "SELECT count(*) FROM audit_log WHERE job_id = '$JOB5' AND event = 'job_recovered' AND details LIKE '%worker stopped%'")" 1 \
  "the release is audited"

# --- the default config's built-in models and their leaderboard ----------------------------------------
trigger_job '{"models": ["equal-weight", "momentum"]}'
JOB6=$JOB
is "$STATUS" 202 "catch-up of the default config's built-in models"
is "$(wait_job "$JOB6")" completed "it completes"
last=$(jget 'j["date_range"][-1]')
ctl leaderboard --json >"$T_DIR/board.json"
ok $? "traderctl leaderboard --json"
http GET "/results?date=$last"
is "$(python3 -c 'import json, sys
b = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
vals = {x["model"]: x["daily_pnl"]["portfolio_value"] for x in r["results"]}
print(b["end_date"] == sys.argv[3] and len(b["models"]) == 2 and
      all(abs(m["end_value"] - vals[m["model"]]) < 1e-6 for m in b["models"]) and
      b["models"][0]["total_return_pct"] >= b["models"][1]["total_return_pct"])' \
  "$T_DIR/board.json" "$T_DIR/body" "$last")" True "leaderboard of the latest job: end values are the last day's, ranked by return"
is "$(python3 - "$T_DB" "$T_DIR/board.json" <<'EOF'
import json, testdb, sys
from decimal import Decimal, ROUND_DOWN
con = testdb.connect(sys.argv[1])
b = json.load(open(sys.argv[2]), parse_float=Decimal)
base = con.execute("SELECT max(date) FROM prices WHERE symbol='QQQ' AND date<?", (b["start_date"],)).fetchone()[0]
o = Decimal(con.execute("SELECT close FROM prices WHERE symbol='QQQ' AND date=?", (base,)).fetchone()[0])
c = Decimal(con.execute("SELECT close FROM prices WHERE symbol='QQQ' AND date=?", (b["end_date"],)).fetchone()[0])
want = (Decimal(10000) * c / o).quantize(Decimal("0.000001"), rounding=ROUND_DOWN)
print(b["base_date"] == base and b["benchmark"]["symbol"] == "QQQ" and b["benchmark"]["end_value"] == want)
EOF
)" True "QQQ buy and hold: 10000 at the base day's close, valued at the last close"
ctl leaderboard | sed 's/^/# /'

# --- structured logs --------------------------------------------------------------------------------
is "$(python3 -c 'import json, sys
n = bad = ctx = 0
for line in open(sys.argv[1]):
    n += 1
    try:
        o = json.loads(line)
    except ValueError:
        bad += 1
        continue
    if not all(k in o for k in ("timestamp", "level", "logger", "message")):
        bad += 1
    ctx += all(k in o for k in ("job_id", "date", "model"))
print("ok" if n and not bad and ctx else "%d lines, %d bad, %d with job/date/model" % (n, bad, ctx))' \
  "$T_HOME/log/traderd.log")" ok "every traderd log line is JSON with the standard fields"

done_testing
