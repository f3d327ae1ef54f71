#!/usr/bin/env bash
# The default run over the real Alpha Vantage prices (../shared/data beside
# the source tree; skipped when absent): a catch-up of the default config's
# built-in models runs through traderd over every trading day, and
# `traderctl leaderboard` ranks them against QQQ bought at the close of the
# base day and held, whose value and metrics are checked here from the files
# themselves (perf_check.py), as is GET /performance through nginx.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

need_real_prices

stack_up
import_real_prices

trigger_job '{"models": ["equal-weight", "momentum"]}'
is "$STATUS" 202 "catch-up of the default config's built-in models"
NDAYS=$(jget 'len(j["date_range"])')
is "$(wait_job "$JOB")" completed "the run completes"
is "$(jget 'j["progress"]["completed"]')" "$((NDAYS * 2))" "every model-day of $NDAYS days completed"

ctl leaderboard --json >"$T_DIR/board.json"
ok $? "traderctl leaderboard --json"
is "$(python3 - "$DATA/daily_prices_QQQ.json" "$T_DIR/board.json" "$NDAYS" "$T_DIR/expect.json" <<'EOF'
import json, sys
from decimal import Decimal, ROUND_DOWN
series = json.load(open(sys.argv[1]))["Time Series (Daily)"]
b = json.load(open(sys.argv[2]), parse_float=Decimal)
# The init date is before the first price: no base day, QQQ bought at the
# first day's open (None stands for that moment).
days = sorted(d for d in series if b["start_date"] <= d <= b["end_date"])
o = Decimal(series[days[0]]["1. open"])
c = Decimal(series[b["end_date"]]["4. close"])
want = (Decimal(10000) * c / o).quantize(Decimal("0.000001"), rounding=ROUND_DOWN)
print(b["base_date"] is None and b["benchmark"]["bought_at"] == "open" and b["start_date"] == min(series),
      b["benchmark"]["trading_days"] == int(sys.argv[3]),
      sorted(m["model"] for m in b["models"]) == ["equal-weight", "momentum"],
      all(m["trading_days"] == int(sys.argv[3]) and m["start_value"] == 10000 for m in b["models"]),
      b["benchmark"]["end_value"] == want)
json.dump({"models": {}, "benchmark": {"dates": [None] + days,
                                       "closes": [str(o)] + [series[d]["4. close"] for d in days]}},
          open(sys.argv[4], "w"))
EOF
)" "True True True True True" "leaderboard: both models over every day, QQQ from the first open, as the files say"

# Each model's values as stored; perf_check.py recomputes the metrics.
python3 - "$T_DB" "$T_DIR/expect.json" "$JOB" <<'EOF'
import json, testdb, sys
from decimal import Decimal
con = testdb.connect(sys.argv[1])
e = json.load(open(sys.argv[2]))
days = e["benchmark"]["dates"]
micro = lambda v: str(Decimal(v) / 10**6)
for (model,) in con.execute("SELECT DISTINCT model FROM positions WHERE job_id=?", (sys.argv[3],)):
    rows = con.execute("SELECT date, portfolio_value, prev_value FROM positions WHERE job_id=?"
                       " AND model=? ORDER BY date", (sys.argv[3], model)).fetchall()
    e["models"][model] = {"dates": [days[0]] + [r[0] for r in rows],
                          "values": [micro(rows[0][2])] + [micro(r[1]) for r in rows]}
json.dump(e, open(sys.argv[2], "w"))
EOF
http GET "/performance?job_id=$JOB"
is "$STATUS" 200 "GET /performance of the job"
cp "$T_DIR/body" "$T_DIR/perf.json"
is "$(python3 "$TOP_SRCDIR/tests/integration/perf_check.py" "$T_DIR/perf.json" "$T_DIR/expect.json")" ok \
  "  every metric of both models and of QQQ, recomputed from the stored values and the files"
is "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])))' \
  "$T_DIR/board.json" "$T_DIR/perf.json")" True "  the same answer as traderctl leaderboard --json"
ctl leaderboard | sed 's/^/# /'

done_testing
