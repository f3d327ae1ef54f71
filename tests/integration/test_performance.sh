#!/usr/bin/env bash
# GET /performance, /performance/series and /results with a date range over
# HTTP through nginx, on synthetic prices and days run by traderd: a builtin
# model over two weeks, and the mock agent (with pricing) starting later in
# another job. Every metric is recomputed by perf_check.py from the stored
# values and QQQ's stored closes; costs from the stored tokens at the
# configured prices; pages of /results against the whole range; every
# invalid parameter gets the contract's 400 and an empty period 404.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

use_configs 2
cat >"$CONFIGS/perf.json" <<'EOF'
{"date_range": {"init_date": "2025-01-02"},
 "models": [{"signature": "ew", "provider": "builtin", "strategy": "equal_weight"},
            {"signature": "mock", "provider": "mock",
             "pricing": {"prompt_usd_per_1m": 2.5, "completion_usd_per_1m": 10}}],
 "agent_config": {"initial_cash": 10000.0},
 "log_config": {"log_path": "agent_data"}}
EOF

stack_up
ctl prices synth >/dev/null || bail "traderctl prices synth failed"
trigger_job '{"config_path": "configs/perf.json", "models": ["ew"], "start_date": "2025-01-03", "end_date": "2025-01-17"}'
JOB1=$JOB
is "$(wait_job "$JOB1")" completed "ew runs 2025-01-03 .. 01-17"
trigger_job '{"config_path": "configs/perf.json", "models": ["mock"], "start_date": "2025-01-08", "end_date": "2025-01-17"}'
JOB2=$JOB
is "$(wait_job "$JOB2")" completed "mock runs 2025-01-08 .. 01-17 in another job"

# expect MODEL_FILTER FROM TO: the stored values of each model in [FROM, TO]
# and QQQ's closes from the period's base day, as perf_check.py takes them.
expect() {
  python3 - "$T_DB" "$@" <<'EOF'
import json, testdb, sys
from decimal import Decimal
con = testdb.connect(sys.argv[1])
models, lo, hi = sys.argv[2].split(","), sys.argv[3], sys.argv[4]
micro = lambda v: str(Decimal(v) / 10**6)
prev_day = lambda d: con.execute("SELECT max(date) FROM prices WHERE date < ? AND close IS NOT NULL",
                                 (d,)).fetchone()[0]
e = {"models": {}}
for m in models:
    rows = con.execute("SELECT date, portfolio_value, prev_value FROM positions WHERE model=?"
                       " AND date BETWEEN ? AND ? ORDER BY date", (m, lo, hi)).fetchall()
    if rows:
        e["models"][m] = {"dates": [prev_day(rows[0][0])] + [r[0] for r in rows],
                          "values": [micro(rows[0][2])] + [micro(r[1]) for r in rows]}
first = min(x["dates"][1] for x in e["models"].values())
last = max(x["dates"][-1] for x in e["models"].values())
q = con.execute("SELECT date, close FROM prices WHERE symbol='QQQ' AND date BETWEEN ? AND ?"
                " ORDER BY date", (prev_day(first), last)).fetchall()
e["benchmark"] = {"dates": [r[0] for r in q], "closes": [r[1] for r in q]}
print(json.dumps(e))
EOF
}

# check_perf QUERY MODELS FROM TO DESCRIPTION
check_perf() {
  http GET "/performance?$1"
  cp "$T_DIR/body" "$T_DIR/perf.json"
  expect "$2" "$3" "$4" >"$T_DIR/expect.json"
  is "$STATUS $(python3 "$TOP_SRCDIR/tests/integration/perf_check.py" "$T_DIR/perf.json" "$T_DIR/expect.json")" \
    "200 ok" "$5"
}

check_perf "" ew,mock 0000 9999 "whole history: every metric of ew, mock (starting later) and QQQ"
is "$(jget '[j["start_date"], j["end_date"], j["base_date"], j["benchmark"]["bought_on"]]')" \
  '["2025-01-03","2025-01-17","2025-01-02","2025-01-02"]' "  period and base day"
is "$(jget '{m["model"]: m["trading_days"] for m in j["models"]}')" '{"ew":11,"mock":8}' "  days per model"
is "$(jget '[m["cost_usd"] for m in j["models"] if m["model"] == "ew"]')" '[null]' "  unpriced model: cost null"
check_perf "job_id=$JOB2" mock 0000 9999 "job_id of the second job: mock only"
check_perf "models=ew&start_date=2025-01-10" ew 2025-01-10 9999 "models=ew from 01-10 (V0 = the 01-09 close)"
is "$(jget 'j["base_date"]')" 2025-01-09 "  base day 01-09"
check_perf "end_date=2025-01-07" ew,mock 0000 2025-01-07 "up to 01-07: mock, which starts on 01-08, is absent"
is "$(jget '[m["model"] for m in j["models"]]')" '["ew"]' "  only ew"

# --- tokens and cost -----------------------------------------------------------------------
http GET "/results?start_date=2025-01-01&end_date=2025-01-31&model=mock&detail=full"
cp "$T_DIR/body" "$T_DIR/mock.json"
http GET "/performance?models=mock"
is "$(python3 - "$T_DIR/mock.json" "$T_DIR/body" <<'EOF'
import json, sys
from decimal import Decimal, ROUND_HALF_UP
days = json.load(open(sys.argv[1]))["results"]
perf = json.load(open(sys.argv[2]), parse_float=Decimal)["models"][0]
def cost(t):  # $2.5 and $10 per million tokens, to the micro-dollar
    c = Decimal(t["prompt_tokens"]) * Decimal("2.5") / 10**6 + Decimal(t["completion_tokens"]) * 10 / 10**6
    return c.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
want = [cost(d["ai_reasoning"]["token_usage"]) for d in days]
got = [Decimal(str(d["ai_reasoning"]["cost_usd"])) for d in days]
tok = lambda k: sum(d["ai_reasoning"]["token_usage"][k] for d in days)
print(len(days) == 8 and got == want and sum(want) > 0, perf["cost_usd"] == sum(want),
      perf["tokens"] == {"prompt": tok("prompt_tokens"), "completion": tok("completion_tokens"),
                         "total": tok("total_tokens")},
      perf["trades"] == sum(len(d["trades"]) for d in days))
EOF
)" "True True True True" "cost per day from the tokens at the configured prices; summed with tokens and trades"

# --- /performance/series -------------------------------------------------------------------
http GET "/performance/series"
is "$STATUS" 200 "series"
is "$(python3 - "$T_DIR/body" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
d, ew, mock, q = s["dates"], s["series"]["ew"], s["series"]["mock"], s["series"]["QQQ"]
print(d[0] == "2025-01-02" and d[-1] == "2025-01-17" and len(d) == 12,
      None not in ew and ew[0] == 10000 and len(ew) == len(d),
      mock[:d.index("2025-01-07")] == [None] * d.index("2025-01-07") and mock[d.index("2025-01-07")] == 10000,
      q[0] == 10000 and None not in q)
EOF
)" "True True True True" "dates from the base day; mock null before its base day 01-07 (10000 there); QQQ from 10000"

# --- /results with a range -------------------------------------------------------------------
http GET "/results?start_date=2025-01-03&end_date=2025-01-17"
cp "$T_DIR/body" "$T_DIR/all.json"
is "$(jget '[j["start_date"], j["end_date"], j["count"], j["total"]]')" '["2025-01-03","2025-01-17",19,19]' \
  "results 01-03 .. 01-17: 11 + 8 days"
is "$(jget '[(r["date"], r["model"]) for r in j["results"]] == sorted((r["date"], r["model"]) for r in j["results"])')" \
  true "  ordered by date then model"
http GET "/results?start_date=2025-01-03&end_date=2025-01-17&limit=5&offset=3"
is "$(python3 -c 'import json, sys
a, p = (json.load(open(f)) for f in sys.argv[1:])
print(p["count"] == 5 and p["total"] == 19 and p["results"] == a["results"][3:8])' "$T_DIR/all.json" "$T_DIR/body")" \
  True "  limit=5&offset=3 is that slice"
http GET "/results?end_date=2025-01-06&model=ew"
is "$(jget '[j["start_date"], j["end_date"]] + [r["date"] for r in j["results"]]')" \
  '["2025-01-03","2025-01-06","2025-01-03","2025-01-06"]' "  end_date alone, one model: from its first day"
http GET "/results?start_date=2025-01-17&job_id=$JOB2"
is "$(jget '[(r["model"], r["job_id"]) for r in j["results"]]')" "[[\"mock\",\"$JOB2\"]]" "  start_date alone, one job"

# --- invalid parameters and empty periods ------------------------------------------------------
bad() { # PATH CODE DESCRIPTION
  http GET "$1"
  expect_error "${4:-400}" "$2" "$3"
}
bad "/performance?start_date=2025-02-30" invalid_date "performance: not a real date"
bad "/performance/series?end_date=20250117" invalid_date "series: not YYYY-MM-DD"
bad "/performance?start_date=2025-01-10&end_date=2025-01-09" invalid_request "performance: start after end"
bad "/performance?models=ew,,mock" invalid_request "performance: empty model name"
bad "/performance?models=ew%20x" invalid_request "performance: a space in a signature"
bad "/performance?job_id=x%27%3B" invalid_request "performance: job_id syntax"
bad "/performance?models=ew&models=mock" invalid_request "performance: a parameter twice"
bad "/results?start_date=2025-01-10&end_date=2025-01-09" invalid_request "results: start after end"
bad "/results?date=2025-01-03&start_date=2025-01-03" invalid_request "results: date with a range"
bad "/results?start_date=2025-01-03&limit=0" invalid_request "results: limit 0"
bad "/results?start_date=2025-01-03&limit=10001" invalid_request "results: limit over 10000"
bad "/results?start_date=2025-01-03&offset=-1" invalid_request "results: negative offset"
bad "/results?start_date=2025-13-01" invalid_date "results: month 13"
bad "/performance?job_id=no-such-job" no_data "performance of an unknown job: 404" 404
bad "/performance?start_date=2030-01-01" no_data "performance of an empty period: 404" 404
bad "/performance?models=nobody" no_data "performance of an unknown model: 404" 404
bad "/results?start_date=2030-01-01" no_data "results of an empty range: 404" 404

done_testing
