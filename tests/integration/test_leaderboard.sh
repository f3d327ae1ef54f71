#!/usr/bin/env bash
# The default run over the real Alpha Vantage prices (../shared/data beside
# the source tree; skipped when absent): a catch-up of the default config's
# built-in models runs through traderd over every trading day, and
# `traderctl leaderboard` ranks them against QQQ buy and hold, whose value is
# checked here from the files themselves.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

DATA=$TOP_SRCDIR/../shared/data/alphavantage
[ -d "$DATA" ] || skip_all "no real price data at $DATA"

stack_up
ctl prices import "$DATA"/daily_prices_*.json >"$T_DIR/prices.out" 2>&1 ||
  { sed 's/^/# /' "$T_DIR/prices.out"; bail "traderctl prices import failed"; }

trigger_job '{"models": ["equal-weight", "momentum"]}'
is "$STATUS" 202 "catch-up of the default config's built-in models"
NDAYS=$(jget 'len(j["date_range"])')
is "$(wait_job "$JOB")" completed "the run completes"
is "$(jget 'j["progress"]["completed"]')" "$((NDAYS * 2))" "every model-day of $NDAYS days completed"

ctl leaderboard --json >"$T_DIR/board.json"
ok $? "traderctl leaderboard --json"
is "$(python3 - "$DATA/daily_prices_QQQ.json" "$T_DIR/board.json" "$JOB" "$NDAYS" <<'EOF'
import json, sys
from decimal import Decimal, ROUND_DOWN
series = json.load(open(sys.argv[1]))["Time Series (Daily)"]
b = json.load(open(sys.argv[2]), parse_float=Decimal)
o = Decimal(series[b["first_date"]]["1. open"])
c = Decimal(series[b["last_date"]]["4. close"])
want = (Decimal(10000) * c / o).quantize(Decimal("0.000001"), rounding=ROUND_DOWN)
print(b["job_id"] == sys.argv[3], b["trading_days"] == int(sys.argv[4]),
      sorted(m["model"] for m in b["models"]) == ["equal-weight", "momentum"],
      all(m["days"] == int(sys.argv[4]) and m["start_value"] == 10000 for m in b["models"]),
      b["benchmark"]["final_value"] == want)
EOF
)" "True True True True True" "leaderboard: the job, its days, both models, QQQ from the files"
ctl leaderboard | sed 's/^/# /'

done_testing
