#!/usr/bin/env bash
# replace_existing loses nothing (CONTRACT section 3): a one-date replace of a
# model with many stored days keeps the old results readable while it runs,
# then replaces that day and drops the later ones in the commit; a replace of
# three models whose provider answers 503 fails and loses nothing; a replace
# interrupted by kill -9 loses nothing and completes once the supervisor has
# restarted traderd. The AI-Trader files follow the database each time.
# Synthetic prices.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

use_configs 4

# A provider answering every request 503.
python3 - "$T_DIR/503.port" <<'EOF' &
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"error": {"message": "The server is overloaded", "type": "server_error"}}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
EOF
SRV503=$!
trap 'kill "$SRV503" 2>/dev/null; _cleanup' EXIT
wait_until test -s "$T_DIR/503.port" || bail "503 server did not start"

python3 - "$CONFIGS" "$(cat "$T_DIR/503.port")" <<'EOF'
import json, sys
d, port = sys.argv[1], sys.argv[2]
def cfg(models):
    return {"date_range": {"init_date": "2025-01-02"}, "models": models,
            "stock_symbols": ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL"],
            "agent_config": {"max_retries": 1, "base_delay": 0.05, "initial_cash": 10000.0},
            "log_config": {"log_path": "agent_data"}}
base = [{"signature": "mo", "provider": "builtin", "strategy": "momentum", "top_n": 2},
        {"signature": "m1", "provider": "builtin", "strategy": "equal_weight"},
        {"signature": "m2", "provider": "builtin", "strategy": "momentum", "top_n": 3},
        {"signature": "m3", "provider": "builtin", "strategy": "equal_weight"}]
json.dump(cfg(base), open(d + "/base.json", "w"))
# The same signatures, slow: a re-run that can be watched (and killed).
json.dump(cfg([dict(m, delay_ms=6000) for m in base]), open(d + "/slow.json", "w"))
# The same signatures as LLM models whose provider answers 503.
dead = [{"signature": m["signature"], "basemodel": "x", "provider": "openai",
         "openai_base_url": "http://127.0.0.1:%s/v1" % port, "openai_api_key": "sk-replace-test",
         "timeout_seconds": 5} for m in base]
json.dump(cfg(dead), open(d + "/dead.json", "w"))
EOF

stack_up
ctl prices synth --days 30 >/dev/null || bail "traderctl prices synth failed"

trigger_job '{"config_path": "configs/base.json"}'
JOB1=$JOB
is "$(wait_job "$JOB1")" completed "the first job stores every day of 4 models"
N=$(dbq "SELECT count(*) FROM positions WHERE model = 'mo'")
[ "$N" -ge 20 ] || bail "expected many stored days, got $N"
mapfile -t DATES < <(python3 -c 'import testdb
for (d,) in testdb.connect().execute("SELECT DISTINCT date FROM positions ORDER BY date"):
    print(d)')
D=${DATES[4]}
LAST=${DATES[$((${#DATES[@]} - 1))]}
POSFILE=$T_HOME/agent_data/mo/position/position.jsonl

# snapshot NAME: what a reader sees (every result of the range, the rows and
# the AI-Trader files), kept in $T_DIR/NAME.*
snapshot() {
  http GET "/results?start_date=${DATES[0]}&end_date=$LAST&limit=10000"
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j.get("count"), [(r["date"], r["model"], r["job_id"]) for r in j.get("results", [])])' \
    "$T_DIR/body" >"$T_DIR/$1.results"
  dbq "SELECT group_concat(model || date || job_id || portfolio_value, ',') FROM (SELECT * FROM positions ORDER BY model, date) x" >"$T_DIR/$1.rows"
  (cd "$T_HOME/agent_data" && find . -type f | sort | xargs md5sum) >"$T_DIR/$1.files"
}
# same_as A B: the snapshots are equal; what differs is shown (diag).
same_as() {
  local part rc=0
  for part in rows files results; do
    if ! cmp -s "$T_DIR/$1.$part" "$T_DIR/$2.$part"; then
      rc=1
      diag "$part differ:"
      diff <(tr ',' '\n' <"$T_DIR/$1.$part") <(tr ',' '\n' <"$T_DIR/$2.$part") | head -20 | sed 's/^/# /'
    fi
  done
  return $rc
}
last_line_date() {
  python3 -c 'import json, sys; print(max(json.loads(l)["date"] for l in open(sys.argv[1])))' "$1"
}

# --- one date of a model with many stored days --------------------------------------------
trigger_job "{\"config_path\": \"configs/slow.json\", \"models\": [\"mo\"], \"date_range\": [\"$D\"], \"replace_existing\": true}"
RJOB=$JOB
running() { [ "$(job_field "$RJOB" 'j["progress"]["details"][0]["status"]')" = running ]; }
wait_until running
ok $? "the re-run day is running"
is "$(dbq "SELECT count(*) FROM positions WHERE model = 'mo'")" "$N" \
  "while it runs, all $N stored days of mo are still there"
http GET "/results?date=$LAST&model=mo"
is "$STATUS:$(jget 'j["results"][0]["job_id"]')" "200:$JOB1" "  and readable (last date)"
http GET "/results?date=$D&model=mo"
is "$(jget 'j["results"][0]["job_id"]')" "$JOB1" "  the day being re-run still shows the old result"
is "$(wait_job "$RJOB")" completed "the re-run completes"
is "$(dbq "SELECT group_concat(job_id, ',') FROM (SELECT job_id FROM positions WHERE model = 'mo' AND date >= '$D' ORDER BY date) x")" \
  "$RJOB" "after the commit mo has the new day and none after it"
is "$(dbq "SELECT count(*) FROM positions WHERE model = 'mo' AND date < '$D' AND job_id = '$JOB1'")" 4 \
  "the days before it are kept"
is "$(dbq "SELECT count(*) FROM positions WHERE model <> 'mo'")" "$((3 * N))" "other models untouched"
is "$(dbq "SELECT json_extract(details, '\$.positions_deleted') FROM audit_log WHERE job_id = '$RJOB' AND event = 'results_replaced'")" \
  "$((N - 4))" "audited: the old day and the later ones deleted"
is "$(last_line_date "$POSFILE")" "$D" "position.jsonl ends on the re-run day"
is "$(ls "$T_HOME/agent_data/mo/log" | tail -1):$(ls "$T_HOME/agent_data/mo/log" | wc -l)" "$D:5" \
  "the day logs of the dropped days are gone"
is "$(grep -c "\"date\": *\"$D\"" "$POSFILE")" \
  "$(dbq "SELECT CASE WHEN count(t.id) > 1 THEN count(t.id) ELSE 1 END FROM positions p LEFT JOIN trades t ON t.position_id = p.id WHERE p.model = 'mo' AND p.date = '$D'")" \
  "position.jsonl holds the new day's trades"
snapshot after_one

# --- a replace of three models whose provider fails ---------------------------------------
trigger_job "{\"config_path\": \"configs/dead.json\", \"models\": [\"m1\", \"m2\", \"m3\"], \"date_range\": [\"${DATES[2]}\", \"${DATES[3]}\"], \"replace_existing\": true}"
FJOB=$JOB
is "$(wait_job "$FJOB")" failed "the replace of three models fails (provider 503)"
like "$(job_field "$FJOB" 'j["progress"]["details"][0]["error"]')" "503" "  with the provider's error"
snapshot after_503
same_as after_one after_503
ok $? "no row, no result and no AI-Trader file changed"

# --- a replace interrupted by kill -9 ------------------------------------------------------
trigger_job "{\"config_path\": \"configs/slow.json\", \"models\": [\"m1\"], \"date_range\": [\"${DATES[1]}\"], \"replace_existing\": true}"
RJOB=$JOB
wait_until running
ok $? "a third re-run is running"
KILLED=$(traderd_pid)
kill -9 "$KILLED"
# The stack's supervisor starts a new daemon, which runs the day again from
# its start (it takes seconds): look before it can commit.
killed() { [ "$(traderd_pid)" != "$KILLED" ]; }
wait_until killed
snapshot after_kill
same_as after_one after_kill
ok $? "killed mid-day: nothing lost, nothing changed"
is "$(wait_job "$RJOB")" completed "after the restart the re-run completes"
is "$(dbq "SELECT group_concat(job_id) FROM positions WHERE model = 'm1' AND date >= '${DATES[1]}'")" "$RJOB" \
  "and then replaces m1's day and the later ones"
is "$(last_line_date "$T_HOME/agent_data/m1/position/position.jsonl")" "${DATES[1]}" \
  "  position.jsonl follows"

done_testing
