#!/usr/bin/env bash
# GET /performance over the real Alpha Vantage prices (../shared/data beside
# the source tree; skipped when absent), the way AI-Trader's October 2025
# table was made: runs with init_date 2025-10-01 imported from AI-Trader's
# files, measured to 2025-10-29. QQQ must come out at AI-Trader's +5.39 %
# (bought at the 10-01 close), and every metric of every model must match
# what perf_check.py computes from values worked out here straight from the
# price files: "buyer" buys on the first session and holds, "cash" never
# trades (a flat series), "late" starts on 10-09 and has a day missing.
. "$(dirname "$0")/lib.sh"

need_real_prices

stack_up
import_real_prices

# The agent_data files and, beside them, the expected value series.
python3 - "$DATA" "$T_DIR/agent_data" "$T_DIR/expect.json" <<'EOF' || bail "fixture failed"
import json, os, sys
from decimal import Decimal
data, out, expect_path = sys.argv[1:]
def series(sym):
    return json.load(open(os.path.join(data, "daily_prices_%s.json" % sym)))["Time Series (Daily)"]
px = {s: series(s) for s in ("QQQ", "NVDA", "AAPL", "MSFT")}
days = sorted(d for d in px["QQQ"] if "2025-10-01" <= d <= "2025-10-29")
assert days[0] == "2025-10-01" and days[-1] == "2025-10-29", days
o = lambda s, d: Decimal(px[s][d]["1. open"])
c = lambda s, d: Decimal(px[s][d]["4. close"])
def write(sig, lines):
    os.makedirs(os.path.join(out, sig, "position"))
    with open(os.path.join(out, sig, "position", "position.jsonl"), "w") as f:
        for i, (d, act, pos) in enumerate(lines):
            line = {"date": d, "id": i}
            if act:
                line["this_action"] = {"action": act[0], "symbol": act[1], "amount": act[2]}
            line["positions"] = pos
            f.write(json.dumps(line) + "\n")
no = ("no_trade", "", 0)
# buyer: 10 NVDA and 5 AAPL at the 10-02 open, held.
cash = Decimal(10000) - 10 * o("NVDA", days[1]) - 5 * o("AAPL", days[1])
held = {"NVDA": 10, "AAPL": 5, "CASH": float(cash)}
write("buyer", [(days[0], None, {"CASH": 10000.0}),
                (days[1], ("buy", "NVDA", 10), {"NVDA": 10, "CASH": float(10000 - 10 * o("NVDA", days[1]))}),
                (days[1], ("buy", "AAPL", 5), held)] +
               [(d, no, held) for d in days[2:]])
buyer = [Decimal(10000)] + [cash + 10 * c("NVDA", d) + 5 * c("AAPL", d) for d in days[1:]]
# cash: never trades.
write("cash", [(days[0], None, {"CASH": 10000.0})] + [(d, no, {"CASH": 10000.0}) for d in days[1:]])
# late: starts on 10-09 (its init date), buys 10 MSFT on 10-10, has no line
# for 10-20 (a missing day), holds to the end.
start = days.index("2025-10-09")
lcash = Decimal(10000) - 10 * o("MSFT", days[start + 1])
lheld = {"MSFT": 10, "CASH": float(lcash)}
ldays = [d for d in days[start + 1:] if d != "2025-10-20"]
write("late", [(days[start], None, {"CASH": 10000.0}), (ldays[0], ("buy", "MSFT", 10), lheld)] +
              [(d, no, lheld) for d in ldays[1:]])
late = [Decimal(10000)] + [lcash + 10 * c("MSFT", d) for d in ldays]
text = lambda xs: [str(x) for x in xs]
json.dump({"models": {"buyer": {"dates": days, "values": text(buyer)},
                      "cash": {"dates": days, "values": ["10000"] * len(days)},
                      "late": {"dates": [days[start]] + ldays, "values": text(late)}},
           "benchmark": {"dates": days, "closes": text(c("QQQ", d) for d in days)}},
          open(expect_path, "w"))
EOF
ctl import-aitrader "$T_DIR/agent_data" >"$T_DIR/import.out" 2>&1 ||
  { sed 's/^/# /' "$T_DIR/import.out"; bail "traderctl import-aitrader failed"; }
JOB=$(sed -n 's/^imported .* as job \(.*\)$/\1/p' "$T_DIR/import.out")

http GET "/performance?job_id=$JOB"
is "$STATUS" 200 "performance of the imported job"
is "$(jget '[j["start_date"], j["end_date"], j["base_date"]]')" \
  '["2025-10-02","2025-10-29","2025-10-01"]' "  period 10-02 .. 10-29, base day 10-01"
is "$(jget 'round(j["benchmark"]["total_return_pct"], 2)')" 5.39 "  QQQ +5.39 %, as AI-Trader's table"
is "$(jget 'abs(j["benchmark"]["total_return_pct"] - (635.77 / 603.25 - 1) * 100) < 1e-9')" true \
  "  QQQ = 635.77 / 603.25 - 1 (the 10-01 and 10-29 closes)"
cp "$T_DIR/body" "$T_DIR/perf.json"
is "$(python3 "$TOP_SRCDIR/tests/integration/perf_check.py" "$T_DIR/perf.json" "$T_DIR/expect.json")" ok \
  "  every metric of every model and of QQQ as computed from the files"
is "$(jget '[m["model"] for m in j["models"] if m["sharpe"] is None and m["sortino"] is None]')" \
  '["cash"]' "  the flat series has null ratios"
is "$(jget '[m["trades"] for m in j["models"]]')" \
  "$(jget '[{"buyer": 2, "cash": 0, "late": 1}[m["model"]] for m in j["models"]]')" "  trades counted"

# The same period by dates, and the benchmark seen from one model.
http GET "/performance?start_date=2025-10-01&end_date=2025-10-29"
is "$(jget 'round(j["benchmark"]["total_return_pct"], 2)')" 5.39 "by dates from 10-01: QQQ +5.39 %"
http GET "/performance?start_date=2025-10-13&models=late"
is "$(jget '[m["model"] for m in j["models"]]')" '["late"]' "models=late from 10-13"
is "$(jget 'j["base_date"]')" 2025-10-10 "  base day 10-10"

http GET "/performance/series?job_id=$JOB"
is "$STATUS" 200 "series"
is "$(python3 - "$T_DIR/body" "$T_DIR/expect.json" "$T_DIR/perf.json" <<'EOF'
import json, sys
from decimal import Decimal
s, e, p = (json.load(open(f)) for f in sys.argv[1:])
ok = s["dates"] == e["benchmark"]["dates"]
for name, m in e["models"].items():
    want = dict(zip(m["dates"], m["values"]))
    got = dict(zip(s["dates"], s["series"][name]))
    ok &= all(Decimal(str(got[d])) == Decimal(v) for d, v in want.items())
    ok &= all(v is None for d, v in got.items() if d not in want)
q = s["series"]["QQQ"]
ok &= q[0] == 10000 and q[-1] == p["benchmark"]["end_value"]
print(ok)
EOF
)" True "  each model's values on their dates, null elsewhere; QQQ from 10000"

ctl leaderboard --job "$JOB" --json >"$T_DIR/board.json"
is "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])))' \
  "$T_DIR/board.json" "$T_DIR/perf.json")" True "traderctl leaderboard --json = GET /performance"
ctl leaderboard --job "$JOB" >"$T_DIR/board.txt"
like "$(grep 'QQQ buy and hold' "$T_DIR/board.txt")" '\+5\.39%' "leaderboard table: QQQ +5.39 %"
sed 's/^/# /' "$T_DIR/board.txt"

done_testing
