#!/usr/bin/env bash
# The LLM agent through the whole stack over HTTP: traderd runs "openai"
# models against the scripted server tests/llm_server.py (and the search tool
# against tests/jina_server.py). A job with two LLM models in parallel over
# two days: trades, positions and P&L to the cent (recomputed from the
# store's prices), stored reasoning via /results?detail=full, the AI-Trader
# log file, and what traderd sent (tools, tool_choice, the system prompt with
# today's date and opens, the history with matching tool-call ids, the key,
# search). A job of faults: 429 with Retry-After, 500 and 503, a hang past
# the timeout, malformed and truncated JSON and an HTML page all recover;
# tool calls written as text fail with what to fix on the server; 503 until the retries are exhausted and 401 fail their model-day
# with a clear error while the others complete (job partial); look-ahead
# requests are refused and the refusal is stored; a model that never sends
# the stop signal ends at max_steps steps (AI-Trader's: agent runs re-prompted
# with "Tool results: ..."). A config with a system_prompt_file template and
# per-model temperature, max_tokens, extra_body and drop_reasoning against a
# provider that refuses echoed reasoning, with {id, name, args} tool calls. The key is never in the database (a
# dump and the raw files). And the default config's mock agent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

unset OPENAI_API_BASE OPENAI_API_KEY
use_configs 8
D1=2025-01-03
D2=2025-01-06

# --- the scripted servers ------------------------------------------------------------
cat >"$T_DIR/llm.json" <<EOF
{"alpha": [
   {"content": "Checking AAPL.", "tool_calls": [{"name": "get_price_local", "arguments": {"symbol": "AAPL", "date": "$D1"}}]},
   {"reasoning_content": "AAPL and MSFT look fine.",
    "tool_calls": [{"name": "buy", "arguments": {"symbol": "AAPL", "amount": 10}},
                   {"name": "buy", "arguments": {"symbol": "MSFT", "amount": 5}}]},
   {"content": "Bought AAPL and MSFT. <FINISH_SIGNAL>"},
   {"tool_calls": [{"name": "sell", "arguments": {"symbol": "AAPL", "amount": 4}}]},
   {"content": "Sold 4 AAPL. <FINISH_SIGNAL>"}],
 "beta": [
   {"tool_calls": [{"name": "get_information", "arguments": {"query": "NVDA outlook"}},
                   {"name": "buy", "arguments": {"symbol": "NVDA", "amount": 3}}]},
   {"content": "Bought NVDA. <FINISH_SIGNAL>"},
   {"content": "Holding. <FINISH_SIGNAL>"}],
 "flaky": [{"fault": "status", "status": 429, "retry_after": "1"},
           {"fault": "status", "status": 500}, {"fault": "status", "status": 503},
           {"content": "Recovered. <FINISH_SIGNAL>"}],
 "dead": [{"fault": "status", "status": 503}],
 "deny": [{"content": "never <FINISH_SIGNAL>"}],
 "hang": [{"fault": "hang", "seconds": 6}, {"content": "Awake. <FINISH_SIGNAL>"}],
 "garbled": [{"fault": "malformed"}, {"fault": "truncated"},
             {"raw": "<html>busy</html>", "content_type": "text/html"},
             {"content": "Clear. <FINISH_SIGNAL>"}],
 "textual": [{"content": "<tool_call>{\"name\": \"buy\", \"arguments\": {\"symbol\": \"AAPL\", \"amount\": 1}}</tool_call>"}],
 "peek": [{"tool_calls": [{"name": "get_price", "arguments": {"symbol": "AAPL", "date": "$D2"}},
                          {"name": "get_price", "arguments": {"symbol": "AAPL"}}]},
          {"content": "No peeking allowed. <FINISH_SIGNAL>"}],
 "chatty": [{"content": "Adding.", "tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 2}}]}],
 "templ": [{"reasoning_content": "hm", "tool_calls": [{"name": "buy", "arguments": {"symbol": "MSFT", "amount": 1}}], "flat_calls": true},
           {"fault": "refuse_fields", "fields": ["reasoning_content", "reasoning"], "content": "Done. <FINISH_SIGNAL>"}]}
EOF
cat >"$T_DIR/jina.json" <<'EOF'
{"*": {"data": [
  {"title": "NVDA earlier", "url": "https://n.example/1", "description": "before",
   "content": "NVDA news", "date": "2025-01-02T12:00:00+00:00"},
  {"title": "NVDA later", "url": "https://n.example/2", "content": "future", "date": "Feb 3, 2025"}]}}
EOF

# start_server NAME SCRIPT KEY: the test server tests/NAME on a free port;
# sets SRV_PID and SRV_PORT. Its log is $T_DIR/NAME.log.
start_server() {
  local pf=$T_DIR/$1.port i
  python3 "$TOP_SRCDIR/tests/$1" --script "$2" --port-file "$pf" --log "$T_DIR/$1.log" \
    --require-key "$3" 2>>"$T_DIR/$1.err" &
  SRV_PID=$!
  for i in $(seq 1 100); do
    [ -s "$pf" ] && break
    sleep 0.1
  done
  SRV_PORT=$(cat "$pf" 2>/dev/null) || bail "tests/$1 did not start"
}
start_server llm_server.py "$T_DIR/llm.json" sk-int
LLM_PID=$SRV_PID LLM_PORT=$SRV_PORT
start_server jina_server.py "$T_DIR/jina.json" jk-int
JINA_PID=$SRV_PID
export JINA_API_KEY=jk-int JINA_API_BASE=http://127.0.0.1:$SRV_PORT
trap 'kill "$LLM_PID" "$JINA_PID" 2>/dev/null; _cleanup' EXIT

python3 - "$CONFIGS/agent.json" "$LLM_PORT" <<'EOF'
import json, sys
path, port = sys.argv[1], sys.argv[2]
def llm(sig, **extra):
    m = {"signature": sig, "basemodel": sig, "provider": "openai", "timeout_seconds": 20,
         "openai_base_url": "http://127.0.0.1:%s/v1" % port, "openai_api_key": "sk-int"}
    m.update(extra)
    return m
models = [llm("alpha"), llm("beta"), llm("flaky"), llm("dead"),
          llm("deny", openai_api_key="sk-wrong"), llm("hang", timeout_seconds=1.5),
          llm("garbled"), llm("peek"), llm("chatty"), llm("textual")]
json.dump({"date_range": {"init_date": "2025-01-02"},
           "stock_symbols": ["AAPL", "MSFT", "NVDA"],
           "models": models,
           "agent_config": {"max_steps": 5, "max_retries": 3, "base_delay": 0.05,
                            "initial_cash": 10000.0, "max_completions_per_step": 3},
           "log_config": {"log_path": "agent_data"}}, open(path, "w"))
EOF

stack_up
ctl prices synth --days 10 >/dev/null || bail "traderctl prices synth failed"

# requests MODEL: how many chat requests the LLM server got for MODEL.
requests() {
  python3 - "$T_DIR/llm_server.py.log" "$1" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    b = json.loads(line).get("body")
    n += isinstance(b, dict) and b.get("model") == sys.argv[2]
print(n)
EOF
}

# request MODEL N EXPR: EXPR over the N-th (0-based) request for MODEL, with
# r = the logged record (r["body"], r["headers"]).
request() {
  python3 - "$T_DIR/llm_server.py.log" "$1" "$2" "$3" <<'EOF'
import json, sys
log, model, n, expr = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
recs = [json.loads(l) for l in open(log)]
recs = [r for r in recs if isinstance(r.get("body"), dict) and r["body"].get("model") == model]
v = eval(expr, {"r": recs[n]})
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
EOF
}

# --- two LLM models in parallel over two days ---------------------------------------------
trigger_job "{\"config_path\": \"configs/agent.json\", \"date_range\": [\"$D1\", \"$D2\"], \"models\": [\"alpha\", \"beta\"]}"
is "$STATUS" 202 "trigger alpha and beta over $D1 and $D2"
JOB1=$JOB
is "$(wait_job "$JOB1")" completed "the job completes"
is "$(jget '[j["progress"][k] for k in ("total_model_days", "completed", "failed")]')" "[4,4,0]" \
  "progress: 4 of 4 completed"

# The contract's rules over the stored prices, exact: one line per model-day
# "MODEL DATE positions-json value profit return_pct" (money to the cent).
python3 - "$T_DB" "$D1" "$D2" >"$T_DIR/expected" <<'EOF'
import json, testdb, sys
from decimal import Decimal, ROUND_HALF_EVEN
db, d1, d2 = sys.argv[1:]
con = testdb.connect(db)
def px(col, sym, d):
    return Decimal(con.execute("SELECT %s FROM prices WHERE symbol=? AND date=?" % col,
                               (sym, d)).fetchone()[0])
cent = lambda x: str(x.quantize(Decimal("0.01"), ROUND_HALF_EVEN))
def day(model, d, held, cash, prev):
    value = cash + sum(n * px("close", s, d) for s, n in held.items())
    pos = dict(sorted(held.items()))
    pos["CASH"] = cent(cash)
    pct = (value - prev) / prev * 100
    print(model, d, json.dumps(pos, sort_keys=True), cent(value), cent(value - prev),
          "%.4f" % pct)
    return value
cash = Decimal(10000) - 10 * px("open", "AAPL", d1) - 5 * px("open", "MSFT", d1)
v1 = day("alpha", d1, {"AAPL": 10, "MSFT": 5}, cash, Decimal(10000))
cash += 4 * px("open", "AAPL", d2)
day("alpha", d2, {"AAPL": 6, "MSFT": 5}, cash, v1)
cash = Decimal(10000) - 3 * px("open", "NVDA", d1)
v1 = day("beta", d1, {"NVDA": 3}, cash, Decimal(10000))
day("beta", d2, {"NVDA": 3}, cash, v1)
EOF
actual=
for m in alpha beta; do
  for d in $D1 $D2; do
    http GET "/results?date=$d&model=$m&detail=full"
    cp "$T_DIR/body" "$T_DIR/res-$m-$d.json"
    actual+=$(python3 - "$T_DIR/body" "$m" "$d" <<'EOF'
import json, sys
from decimal import Decimal
r = json.load(open(sys.argv[1]), parse_float=Decimal)["results"][0]
cent = lambda x: str(Decimal(x).quantize(Decimal("0.01")))
pos = {k: (cent(v) if k == "CASH" else v) for k, v in r["positions"].items() if k == "CASH" or v}
p = r["daily_pnl"]
print(sys.argv[2], sys.argv[3], json.dumps(pos, sort_keys=True), cent(p["portfolio_value"]),
      cent(p["profit"]), "%.4f" % p["return_pct"])
EOF
)$'\n'
  done
done
is "$actual" "$(cat "$T_DIR/expected")"$'\n' "positions, value, profit and return of each model-day"

J=$T_DIR/res-alpha-$D1.json
cp "$J" "$T_DIR/body"
is "$(jget '[(t["action"], t["symbol"], t["amount"]) for t in j["results"][0]["trades"]]')" \
  '[["buy","AAPL",10],["buy","MSFT",5]]' "alpha's trades on $D1, in order"
is "$(jget 'all(abs(t["total"] - t["price"] * t["amount"]) < 1e-9 for t in j["results"][0]["trades"])')" \
  true "  total = price x amount"
is "$(jget '{k: v for k, v in j["results"][0]["ai_reasoning"].items() if k not in ("token_usage", "cost_usd")}')" \
  '{"total_steps":1,"stop_signal_received":true,"reasoning_summary":"Bought AAPL and MSFT.","tool_usage":{"buy":2,"get_price_local":1}}' \
  "  ai_reasoning: one step (three completions), stop signal, summary, tool usage"
is "$(jget 'j["results"][0]["log_file_path"]')" "agent_data/alpha/log/$D1/log.jsonl" "  log_file_path"
grep -q 'AAPL and MSFT look fine.' "$T_HOME/agent_data/alpha/log/$D1/log.jsonl"
ok $? "  the AI-Trader log file has the messages (with reasoning_content)"
is "$(dbq "SELECT group_concat(step || ':' || completion || ':' || role || ':' || coalesce(tool_name, ''), ' ') FROM (SELECT r.* FROM reasoning_logs r JOIN positions p ON p.id = r.position_id WHERE p.model = 'alpha' AND p.date = '$D1' ORDER BY r.id)")" \
  "0:0:system: 0:0:user: 1:1:assistant: 1:1:tool:get_price_local 1:2:assistant: 1:2:tool:buy 1:2:tool:buy 1:3:assistant:" \
  "  reasoning_logs: every message with its step, completion, role and tool"
is "$(dbq "SELECT count(*) FROM reasoning_logs r JOIN positions p ON p.id = r.position_id WHERE p.model = 'alpha' AND p.date = '$D1' AND r.role = 'tool' AND r.tool_call_id IS NOT NULL AND json_valid(r.message_json)")" \
  3 "  tool messages with their call ids and JSON"
is "$(dbq "SELECT prompt_tokens > 0 AND total_tokens = prompt_tokens + completion_tokens FROM positions WHERE model = 'alpha' AND date = '$D1'")" \
  1 "  token usage summed"
is "$(jget '[j["results"][0]["ai_reasoning"]["token_usage"][k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")]')" \
  "$(dbq "SELECT json_array(prompt_tokens, completion_tokens, total_tokens) FROM positions WHERE model = 'alpha' AND date = '$D1'")" \
  "  /results reports the day's token usage"

cp "$T_DIR/res-alpha-$D2.json" "$T_DIR/body"
is "$(jget '[(t["action"], t["symbol"], t["amount"]) for t in j["results"][0]["trades"]]')" \
  '[["sell","AAPL",4]]' "alpha sold 4 AAPL on $D2 from its $D1 state"
cp "$T_DIR/res-beta-$D1.json" "$T_DIR/body"
is "$(jget 'j["results"][0]["ai_reasoning"]["tool_usage"]')" '{"buy":1,"get_information":1}' \
  "beta searched and bought"
is "$(dbq "SELECT content FROM reasoning_logs r JOIN positions p ON p.id = r.position_id WHERE p.model = 'beta' AND p.date = '$D1' AND r.tool_name = 'get_information'")" \
  "$(python3 -c 'import json; print(json.dumps({"query": "NVDA outlook", "results": [{"title": "NVDA earlier", "url": "https://n.example/1", "description": "before", "date": "2025-01-02", "content": "NVDA news"}], "dropped": 1}, separators=(",", ":")))')" \
  "  the search answer: only the result dated before today"
like "$(cat "$T_DIR/jina_server.py.log")" '"query": "NVDA outlook".*"authorization": "Bearer jk-int"' \
  "  Jina was asked with the key"

# What traderd sent.
is "$(request alpha 0 'r["headers"]["authorization"]')" "Bearer sk-int" "request: the model's key"
is "$(request alpha 0 '[t["function"]["name"] for t in r["body"]["tools"]]')" \
  '["get_price_local","buy","sell","add","multiply","get_information"]' \
  "request: AI-Trader's tools (get_information with JINA_API_KEY)"
is "$(request alpha 0 'r["body"]["tool_choice"]')" auto "request: tool_choice auto"
is "$(request alpha 0 '[m["role"] for m in r["body"]["messages"]]')" '["system","user"]' \
  "request 1: system prompt and user message"
OPEN=$(dbq "SELECT open FROM prices WHERE symbol = 'AAPL' AND date = '$D1'")
is "$(request alpha 0 "\"Today's date:\\n$D1\\n\" in r['body']['messages'][0]['content'] and \"'AAPL_price': \" in r['body']['messages'][0]['content']")" \
  true "  the system prompt has today's date and the opens"
is "$(request alpha 0 'r["body"]["messages"][1]["content"]')" \
  "Please analyze and update today's ($D1) positions." "  the user message"
is "$(request alpha 1 '[m["role"] for m in r["body"]["messages"]]')" \
  '["system","user","assistant","tool"]' "request 2: the history"
is "$(request alpha 1 'r["body"]["messages"][2]["tool_calls"][0]["id"] == r["body"]["messages"][3]["tool_call_id"] != None')" \
  true "  the tool answer has the call's id"
like "$(request alpha 1 'r["body"]["messages"][3]["content"]')" "\"open\":\"?$OPEN" \
  "  get_price_local answered today's open"
is "$(request alpha 2 '[m.get("tool_call_id") for m in r["body"]["messages"][5:]] == [c["id"] for c in r["body"]["messages"][4]["tool_calls"]]')" \
  true "request 3: both buys answered in order"
is "$(request alpha 2 'r["body"]["messages"][4]["reasoning_content"]')" "AAPL and MSFT look fine." \
  "  reasoning_content sent back as received"
is "$(request alpha 3 "\"Today's date:\\n$D2\\n\" in r['body']['messages'][0]['content'] and \"'AAPL': 10, 'MSFT': 5, 'NVDA': 0, 'CASH': \" in r['body']['messages'][0]['content']")" \
  true "day 2's prompt: the new date and yesterday's positions"

# --- faults ---------------------------------------------------------------------------------
trigger_job "{\"config_path\": \"configs/agent.json\", \"date_range\": [\"$D1\"], \"models\": [\"flaky\", \"dead\", \"deny\", \"hang\", \"garbled\", \"peek\", \"chatty\", \"textual\"]}"
JOB2=$JOB
is "$(wait_job "$JOB2")" partial "the fault job is partial"
detail() {
  jget "[d[\"$2\"] for d in j[\"progress\"][\"details\"] if d[\"model\"] == \"$1\"][0]"
}
for m in flaky hang garbled peek chatty; do
  is "$(detail $m status)" completed "$m: completed"
done
is "$(requests flaky)" 4 "flaky: 429 (Retry-After), 500, 503, then success"
is "$(requests hang)" 2 "hang: a timeout, then success"
is "$(requests garbled)" 4 "garbled: malformed, truncated, wrong content type, then success"
is "$(detail dead status)" failed "dead: 503 until the retries are exhausted fails"
like "$(detail dead error)" "step 1: transient LLM error: giving up after 4 attempts: HTTP 503 .*Scripted HTTP 503" \
  "  with a clear error: $(detail dead error)"
is "$(requests dead)" 4 "  1 + max_retries requests"
is "$(detail deny status)" failed "deny: 401 fails"
like "$(detail deny error)" "step 1: permanent LLM error: HTTP 401 .*Incorrect API key" \
  "  at once: $(detail deny error)"
is "$(requests deny)" 1 "  no retry"
is "$(detail textual status)" failed "textual: tool calls written as text fail the day"
like "$(detail textual error)" "not parsing tool calls: enable tool calling on the server" \
  "  saying what to fix: $(detail textual error)"
is "$(dbq "SELECT count(*) FROM positions WHERE model IN ('dead', 'deny', 'textual')")" 0 \
  "nothing committed for the failed model-days"

http GET "/results?date=$D1&model=peek&detail=full"
is "$(jget 'j["results"][0]["ai_reasoning"]["tool_usage"]')" '{"get_price_local":2}' \
  "peek: two price requests (by the earlier name get_price)"
is "$(dbq "SELECT count(*) FROM reasoning_logs r JOIN positions p ON p.id = r.position_id WHERE p.model = 'peek' AND r.role = 'tool' AND r.content LIKE '%in the future%This action will not be allowed.%'")" \
  1 "  the future date refused, the refusal stored in the reasoning"
is "$(dbq "SELECT content LIKE '%\"open\"%' AND content NOT LIKE '%close%' FROM reasoning_logs r JOIN positions p ON p.id = r.position_id WHERE p.model = 'peek' AND r.role = 'tool' ORDER BY r.id DESC LIMIT 1")" \
  1 "  today: the open only, never the close"
is "$(dbq "SELECT errors FROM tool_usage u JOIN positions p ON p.id = u.position_id WHERE p.model = 'peek' AND u.tool_name = 'get_price_local'")" \
  1 "  the refusal counted as a tool error"

http GET "/results?date=$D1&model=chatty&detail=full"
is "$(jget '[j["results"][0]["ai_reasoning"][k] for k in ("total_steps", "stop_signal_received")]')" \
  '[5,false]' "chatty: ended at max_steps without the stop signal"
is "$(jget 'j["results"][0]["ai_reasoning"]["reasoning_summary"]')" "Adding." "  its last text is the summary"
is "$(requests chatty)" 15 "  max_steps steps of max_completions_per_step completions"
is "$(request chatty 3 '[m["role"] for m in r["body"]["messages"]]')" '["system","user","assistant","user"]' \
  "  step 2 starts from the reply and the tool results"
like "$(request chatty 3 'r["body"]["messages"][3]["content"]')" '^Tool results: 3.0' \
  "  as AI-Trader re-prompts"

# --- a prompt template and request options, through traderd ---------------------------------
mkdir -p "$CONFIGS/prompts"
printf 'Date {date}; held {positions}; opens {today_buy_price}; say {STOP_SIGNAL}' >"$CONFIGS/prompts/p.txt"
python3 - "$CONFIGS/agent.json" "$CONFIGS/templ.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
m = dict([x for x in c["models"] if x["signature"] == "alpha"][0], signature="templ", basemodel="templ",
         temperature=0.1, max_tokens=300, drop_reasoning=True, extra_body={"enable_thinking": False})
c["models"] = [m]
c["agent_config"]["system_prompt_file"] = "configs/prompts/p.txt"
json.dump(c, open(sys.argv[2], "w"))
EOF
trigger_job "{\"config_path\": \"configs/templ.json\", \"date_range\": [\"$D1\"]}"
is "$(wait_job "$JOB")" completed "templ: a day with system_prompt_file and request options"
like "$(request templ 0 'r["body"]["messages"][0]["content"]')" "^Date $D1; held \{'AAPL': 0, 'MSFT': 0, 'NVDA': 0, 'CASH': 10000.0\}; opens \{'AAPL_price': .*\}; say <FINISH_SIGNAL>\$" \
  "  the template rendered as the system prompt"
is "$(request templ 0 '[r["body"][k] for k in ("temperature", "max_tokens", "enable_thinking")]')" '[0.1,300,false]' \
  "  temperature, max_tokens and extra_body sent"
is "$(request templ 1 '"reasoning_content" in r["body"]["messages"][2]')" false \
  "  echoed reasoning dropped (the provider refuses it)"
is "$(dbq "SELECT count(*) FROM trades t JOIN positions p ON p.id = t.position_id WHERE p.model = 'templ' AND t.symbol = 'MSFT'")" 1 \
  "  the {id, name, args} tool call executed"

# --- keys stay out of the database -----------------------------------------------------------
# Every request carried the config file's key (checked above), yet no row,
# free page or WAL frame of the database holds it.
db_dump >"$T_DIR/dump.sql"
like "$(grep -c 'openai_api_key_from' "$T_DIR/dump.sql")" '^[1-9]' \
  "the jobs' config snapshots say the keys were in the file"
grep -q 'sk-int' "$T_DIR/dump.sql"
ok $(($? != 1)) "the database dump has no \"sk-int\""
grep -r -a -q 'sk-int' $(db_files)
ok $(($? != 1)) "... nor do the database files, byte for byte"

# --- the default config's mock agent -----------------------------------------------------
trigger_job "{\"models\": [\"mock-agent\"], \"date_range\": [\"$D1\"]}"
is "$(wait_job "$JOB")" completed "the default config's mock agent completes"
http GET "/results?date=$D1&model=mock-agent&detail=full"
is "$(jget '[j["results"][0]["ai_reasoning"][k] for k in ("total_steps", "stop_signal_received")]')" \
  '[1,true]' "  one step (three completions) and the stop signal"
is "$(jget 'j["results"][0]["ai_reasoning"]["tool_usage"]')" '{"buy":1,"get_price_local":3}' \
  "  three prices, one buy"
is "$(jget 'len(j["results"][0]["trades"])')" 1 "  one trade"
is "$(requests mock/scripted)" 0 "  no network"

done_testing
