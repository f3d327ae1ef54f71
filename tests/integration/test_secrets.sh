#!/usr/bin/env bash
# No secret leaves the service (CONTRACT section 6): a provider 401 that
# quotes the key, credentials in openai_base_url (user:pass@host) and a key in
# its query string (?api-key=...) are planted in a job's config; after the
# job, the database (every byte under the data directory, and its SQL dump),
# every log file and every HTTP answer are searched for them. The errors
# still say what went wrong, and a base URL with a query string works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

use_configs 2
GOOD=sk-good-planted-0123456789
WRONG=sk-planted-WRONG-1234567890
PASS=plantedpass99
Q1=plantedquerysecret77
Q2=plantedquerysecret88
SECRETS=("$GOOD" "$WRONG" "$PASS" "$Q1" "$Q2")

echo '{"*": [{"content": "Nothing to do. <FINISH_SIGNAL>"}]}' >"$T_DIR/llm.json"
python3 "$TOP_SRCDIR/tests/llm_server.py" --script "$T_DIR/llm.json" --port-file "$T_DIR/llm.port" \
  --require-key "$GOOD" 2>>"$T_DIR/llm.err" &
LLM_PID=$!
trap 'kill "$LLM_PID" 2>/dev/null; _cleanup' EXIT
wait_until test -s "$T_DIR/llm.port" || bail "llm_server did not start"
P=$(cat "$T_DIR/llm.port")

python3 - "$CONFIGS/secret.json" "$P" "$GOOD" "$WRONG" "$PASS" "$Q1" "$Q2" <<'EOF'
import json, sys
path, port, good, wrong, pw, q1, q2 = sys.argv[1:]
base = "http://127.0.0.1:%s" % port
def llm(sig, url, key):
    return {"signature": sig, "basemodel": sig, "provider": "openai", "timeout_seconds": 10,
            "openai_base_url": url, "openai_api_key": key}
json.dump({"date_range": {"init_date": "2025-01-02"},
           "stock_symbols": ["AAPL", "MSFT"],
           "models": [llm("wrongkey", base + "/v1", wrong),
                      llm("userpass", "http://planteduser:%s@127.0.0.1:%s/nope" % (pw, port), good),
                      llm("query", base + "/v1?api-key=" + q1, good),
                      llm("querybad", base + "/bad?api-key=" + q2, good)],
           "agent_config": {"max_steps": 2, "max_retries": 0, "base_delay": 0.05,
                            "initial_cash": 10000.0},
           "log_config": {"log_path": "agent_data"}}, open(path, "w"))
EOF

stack_up
ctl prices synth --days 5 >/dev/null || bail "traderctl prices synth failed"
ANSWERS=$T_DIR/answers
: >"$ANSWERS"
# get PATH: a GET whose answer is kept for the search.
get() {
  http GET "$1"
  { cat "$T_DIR/headers" "$T_DIR/body"; echo; } >>"$ANSWERS"
}

trigger_job '{"config_path": "configs/secret.json", "date_range": ["2025-01-03"]}'
{ cat "$T_DIR/headers" "$T_DIR/body"; echo; } >>"$ANSWERS"
is "$(wait_job "$JOB")" partial "the job ends partial (two models fail, one succeeds)"
detail() {
  jget "[d for d in j['progress']['details'] if d['model'] == '$1'][0]['$2']"
}
get "/simulate/status/$JOB"
is "$(detail query status)" completed "a base URL with a query string works"
is "$(detail wrongkey status)" failed "the wrong key fails"
like "$(detail wrongkey error)" "401.*Incorrect API key provided: (sk-)?\\[REDACTED\\]" \
  "  its error says why, with the quoted key redacted"
like "$(detail userpass error)" "404.*http://\\[REDACTED\\]@127\\.0\\.0\\.1" \
  "  URL credentials redacted in an error"
is "$(detail querybad status)" failed "a wrong path with a query key fails"
like "$(detail querybad error)" "404.*/bad/chat/completions\\?\\[REDACTED\\]" \
  "  the request URL had the path before the query; the query is redacted"
get /simulate/current
get "/simulate/jobs"
get "/results?date=2025-01-03&detail=full"
get "/results?job_id=$JOB&detail=full"
get /health
get "/performance?job_id=$JOB"
http POST /simulate/trigger "{\"config_path\": \"configs/secret.json\", \"models\": [\"$WRONG\"]}"
{ cat "$T_DIR/headers" "$T_DIR/body"; echo; } >>"$ANSWERS"

db_dump >"$T_DIR/dump.sql"
[ -s "$T_DIR/dump.sql" ]
ok $? "database dumped"
grep -q "$JOB" "$T_DIR/dump.sql" && grep -q '\[REDACTED\]' "$T_DIR/dump.sql"
ok $? "  the dump holds the job and redacted errors (the search can find things)"
for s in "${SECRETS[@]}"; do
  is "$(grep -c -F "$s" "$T_DIR/dump.sql")" 0 "no $s in the database dump"
  is "$(grep -r -l -a -F "$s" "$T_HOME" $(on_pg && db_files) | tr '\n' ' ')" "" "  nor in any file of the data directory (database, WAL, logs, agent files)"
  is "$(grep -c -F "$s" "$ANSWERS")" 0 "  nor in any answer"
done
grep -q "$WRONG" "$CONFIGS/secret.json"
ok $? "(the planted key is in the config file, the only place it belongs)"
is "$(stat -c %a "$T_HOME/log")" 700 "log/ is 0700"
is "$(find "$T_HOME/log" -type f ! -perm 600 | wc -l)" 0 "every log file is 0600"

done_testing
