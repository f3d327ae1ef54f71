#!/usr/bin/env bash
# The read API over the real Alpha Vantage prices (../shared/data beside the
# source tree; skipped when absent): /health describes the store as the
# files do, and an AI-Trader import replayed at the real opens is answered
# by /results with the values computed here straight from the files.
. "$(dirname "$0")/lib.sh"

need_real_prices

stack_up
PIDS=$(api_pids)
import_real_prices

# What the files say: symbol count, first and last dates.
read -r NSYM FIRST LAST < <(python3 - "$DATA" <<'EOF'
import glob, json, os, sys
dates = set()
files = glob.glob(os.path.join(sys.argv[1], "daily_prices_*.json"))
for f in files:
    dates.update(json.load(open(f))["Time Series (Daily)"])
print(len(files), min(dates), max(dates))
EOF
)
http GET /health
is "$(jget 'j["prices"]["symbols"]')" "$NSYM" "health: $NSYM symbols, as many as files"
is "$(jget 'j["prices"]["first_date"]')" "$FIRST" "  first date $FIRST"
is "$(jget 'j["prices"]["last_date"]')" "$LAST" "  last date $LAST"
is "$(jget 'j["prices"]["synthetic"]')" false "  real prices"

D0=2025-06-09 D1=2025-06-10 D2=2025-06-11
aitrader_fixture "$T_DIR/agent_data" $D0 $D1 $D2
ctl import-aitrader "$T_DIR/agent_data" >"$T_DIR/import.out" 2>&1 ||
  { sed 's/^/# /' "$T_DIR/import.out"; bail "traderctl import-aitrader failed"; }

# The same rules applied to the files' own numbers.
read -r CASH1 VALUE1 PROFIT1 CASH2 VALUE2 PROFIT2 < <(python3 - "$DATA" $D1 $D2 <<'EOF'
import json, os, sys
from decimal import Decimal
data, d1, d2 = sys.argv[1:]
def bar(sym, d):
    return json.load(open(os.path.join(data, "daily_prices_%s.json" % sym)))["Time Series (Daily)"][d]
def o(sym, d): return Decimal(bar(sym, d)["1. open"])
def c(sym, d): return Decimal(bar(sym, d)["4. close"])
def text(x):
    s = format(x.normalize(), "f")
    return s if "." in s else s + ".0"
cash = Decimal(10000) - 10 * o("AAPL", d1) - 2 * o("MSFT", d1)
v1 = cash + 10 * c("AAPL", d1) + 2 * c("MSFT", d1)
cash2 = cash + 4 * o("AAPL", d2)
v2 = cash2 + 6 * c("AAPL", d2) + 2 * c("MSFT", d2)
print(text(cash), text(v1), text(v1 - 10000), text(cash2), text(v2), text(v2 - v1))
EOF
)

http GET "/results?date=$D1&model=fx-a&detail=full"
is "$STATUS" 200 "results on $D1"
is "$(jget 'j["results"][0]["positions"]')" "{\"AAPL\":10,\"MSFT\":2,\"CASH\":$CASH1}" \
  "  positions and cash ($CASH1)"
grep -q "\"portfolio_value\":${VALUE1}[,}]" "$T_DIR/body"
ok $? "  portfolio_value $VALUE1 from the files' closes"
grep -q "\"profit\":${PROFIT1}[,}]" "$T_DIR/body"
ok $? "  profit $PROFIT1"
is "$(jget 'j["results"][0]["trades"][0]["price"]')" \
  "$(python3 -c "import json; print(float(json.load(open('$DATA/daily_prices_AAPL.json'))['Time Series (Daily)']['$D1']['1. open']))")" \
  "  AAPL filled at the file's open"

http GET "/results?model=fx-a"
is "$(jget 'j["date"]')" $D2 "latest date $D2"
is "$(jget 'j["results"][0]["positions"]')" "{\"AAPL\":6,\"MSFT\":2,\"CASH\":$CASH2}" "  positions ($CASH2)"
grep -q "\"portfolio_value\":${VALUE2}[,}]" "$T_DIR/body"
ok $? "  portfolio_value $VALUE2"
grep -q "\"profit\":${PROFIT2}[,}]" "$T_DIR/body"
ok $? "  profit $PROFIT2 against the previous day"

alive $PIDS
ok $? "trader-api processes alive"
done_testing
