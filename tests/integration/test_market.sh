#!/usr/bin/env bash
# Splits and trading costs through the whole stack. First on a small
# TIME_SERIES_DAILY_ADJUSTED sample written here (a 2-for-1 split of AAA in
# its split coefficients) with a config charging commission and slippage:
# /results shows each trade's slipped price and fee, the split as a corporate
# action, and values computed by hand; /performance sums the fees;
# position.jsonl records both. Then on
# the real Alpha Vantage data (../shared/data beside the source tree; that
# part is skipped when absent): O'Reilly's 15-for-1 split effective
# 2025-06-10, imported from Alpha Vantage's SPLITS answer, held through by a
# built-in model and the mock agent: no -63 % drop, the value is continuous.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

use_configs 2
cat >"$CONFIGS/market-fees.json" <<'EOF2'
{"date_range": {"init_date": "2025-02-28"}, "stock_symbols": ["AAA", "BBB"],
 "trading": {"commission_per_trade": 1.0, "commission_bps": 10, "slippage_bps": 10},
 "models": [{"signature": "ew-fees", "provider": "builtin", "strategy": "equal_weight"}],
 "log_config": {"log_path": "agent_data"}}
EOF2
# bar OPEN CLOSE COEF: one DAILY_ADJUSTED bar.
bar() {
  printf '{"1. open": "%s", "2. high": "%s", "3. low": "%s", "4. close": "%s", "5. adjusted close": "%s", "6. volume": "1000", "7. dividend amount": "0.0000", "8. split coefficient": "%s"}' \
    "$1" "$1" "$2" "$2" "$2" "$3"
}
adjusted() {
  printf '{"Meta Data": {"1. Information": "Daily Time Series with Splits and Dividend Events", "2. Symbol": "%s", "3. Last Refreshed": "2025-03-05"}, "Time Series (Daily)": {"2025-03-05": %s, "2025-03-04": %s, "2025-03-03": %s}}\n' \
    "$1" "$2" "$3" "$4"
}
adjusted AAA "$(bar 5.3 5.4 1.0)" "$(bar 5.1 5.2 2.0)" "$(bar 10.0 10.0 1.0)" >"$T_DIR/AAA.json"
adjusted BBB "$(bar 31.0 31.0 1.0)" "$(bar 30.0 30.0 1.0)" "$(bar 30.0 30.0 1.0)" >"$T_DIR/BBB.json"

stack_up
ctl prices import "$T_DIR/AAA.json" "$T_DIR/BBB.json" >"$T_DIR/import.out" 2>&1
ok $? "DAILY_ADJUSTED files imported" || sed 's/^/# /' "$T_DIR/import.out"
like "$(cat "$T_DIR/import.out")" "splits: 1" "  one split among the coefficients"

trigger_job '{"config_path": "configs/market-fees.json", "start_date": "2025-03-03", "end_date": "2025-03-05"}'
[ -n "$JOB" ] || bail "the job with trading costs was not accepted"
is "$(wait_job "$JOB")" completed "a job with trading costs completes"

# Fills at the open x 1.001; fee 1 + 0.1 % of the total; 5000 per symbol buys
# 498 AAA at 10.01 and 166 BBB at 30.03, each costing 4984.98 + 5.98498.
http GET "/results?date=2025-03-03&model=ew-fees&detail=full"
is "$(jget 'j["results"][0]["trades"]')" \
  '[{"id":1,"action":"buy","symbol":"AAA","amount":498,"price":10.01,"total":4984.98,"fee":5.98498},{"id":2,"action":"buy","symbol":"BBB","amount":166,"price":30.03,"total":4984.98,"fee":5.98498}]' \
  "trades carry the slipped price and the fee"
is "$(jget 'j["results"][0]["positions"]["CASH"]')" 18.07004 "  cash 10000 - 2 x 4990.96498"
is "$(jget 'j["results"][0]["daily_pnl"]')" '{"profit":-21.92996,"return_pct":-0.2192996,"portfolio_value":9978.07004}' \
  "  P&L includes the costs"
is "$(jget 'j["results"][0]["corporate_actions"]')" '[]' "  no corporate action that day"

http GET "/results?date=2025-03-04&model=ew-fees&detail=full"
is "$(jget 'j["results"][0]["corporate_actions"]')" \
  '[{"action":"split","symbol":"AAA","effective_date":"2025-03-04","factor":"2.0","shares_before":498,"shares_after":996,"price":5.1,"cash":0.0}]' \
  "the 2-for-1 split is the day's corporate action"
is "$(jget 'j["results"][0]["positions"]["AAA"]')" 996 "  498 AAA became 996"
# 18.07004 + 996 x 5.2 + 166 x 30 = 10177.27004.
is "$(jget 'j["results"][0]["daily_pnl"]["portfolio_value"]')" 10177.27004 "  value continuous"

http GET "/performance?job_id=$JOB"
is "$(jget '[(m["model"], m["trades"], m["fees_usd"]) for m in j["models"]]')" '[["ew-fees",2,11.96996]]' \
  "/performance sums the fees: 2 x 5.98498"

POS=$T_HOME/agent_data/ew-fees/position/position.jsonl
grep -q '"this_action": {"action": "buy", "symbol": "AAA", "amount": 498, "price": 10.01, "fee": 5.98498}' "$POS"
ok $? "position.jsonl records price and fee"
grep -q '"date": "2025-03-04", "id": 3, "this_action": {"action": "split", "symbol": "AAA", "amount": 498, "factor": "2.0", "cash": 0.0}, "positions": {"AAA": 996, "BBB": 166, "CASH": 18.07004}' "$POS"
ok $? "position.jsonl records the split"

DATA=$TOP_SRCDIR/../shared/data
if [ ! -f "$DATA/splits/splits_ORLY.json" ] || [ ! -f "$DATA/alphavantage/daily_prices_ORLY.json" ]; then
  skip "no real ORLY data under $DATA"
  done_testing
  exit
fi

cat >"$CONFIGS/orly.json" <<'EOF2'
{"date_range": {"init_date": "2025-06-06"}, "stock_symbols": ["ORLY"],
 "agent_config": {"initial_cash": 100000.0},
 "models": [{"signature": "hold-orly", "provider": "builtin", "strategy": "equal_weight"},
            {"signature": "mock-orly", "provider": "mock"}],
 "log_config": {"log_path": "agent_data"}}
EOF2
ctl prices import "$DATA/alphavantage/daily_prices_ORLY.json" "$DATA/splits/splits_ORLY.json" \
  >"$T_DIR/orly.out" 2>&1
ok $? "real ORLY prices and Alpha Vantage's SPLITS answer imported" || sed 's/^/# /' "$T_DIR/orly.out"

trigger_job '{"config_path": "configs/orly.json", "start_date": "2025-06-09", "end_date": "2025-06-11"}'
[ -n "$JOB" ] || bail "the ORLY job was not accepted"
is "$(wait_job "$JOB")" completed "holding ORLY through 2025-06-10 completes"

# What the rules give, from the files (their first day is 2025-06-09): all
# the cash into ORLY at 2025-06-09's open, held; 15 times the shares from
# 2025-06-10.
read -r N CASH V9 V10 P10 < <(python3 - "$DATA/alphavantage/daily_prices_ORLY.json" <<'EOF2'
import json, sys
from decimal import Decimal
s = json.load(open(sys.argv[1]))["Time Series (Daily)"]
o = Decimal(s["2025-06-09"]["1. open"])
n = int(Decimal(100000) // o)
cash = Decimal(100000) - n * o
v9 = cash + n * Decimal(s["2025-06-09"]["4. close"])
v10 = cash + 15 * n * Decimal(s["2025-06-10"]["4. close"])
def text(x):
    t = format(x.normalize(), "f")
    return t if "." in t else t + ".0"
print(n, text(cash), text(v9), text(v10), text(v10 - v9))
EOF2
)
http GET "/results?date=2025-06-09&model=hold-orly"
is "$(jget 'j["results"][0]["positions"]')" "{\"ORLY\":$N,\"CASH\":$CASH}" "hold-orly holds $N ORLY on 2025-06-09"
is "$(jget 'j["results"][0]["daily_pnl"]["portfolio_value"]')" "$V9" "  value $V9"
http GET "/results?date=2025-06-10&model=hold-orly&detail=full"
is "$(jget 'j["results"][0]["positions"]')" "{\"ORLY\":$((N * 15)),\"CASH\":$CASH}" \
  "  $((N * 15)) ORLY on 2025-06-10"
is "$(jget 'j["results"][0]["daily_pnl"]["portfolio_value"]')" "$V10" "  value $V10"
is "$(jget 'j["results"][0]["daily_pnl"]["profit"]')" "$P10" "  profit $P10 against 2025-06-09"
is "$(jget 'abs(j["results"][0]["daily_pnl"]["return_pct"]) < 5')" true "  continuous: no -63 % drop"
is "$(jget 'j["results"][0]["corporate_actions"]')" \
  "[{\"action\":\"split\",\"symbol\":\"ORLY\",\"effective_date\":\"2025-06-10\",\"factor\":\"15.0000\",\"shares_before\":$N,\"shares_after\":$((N * 15)),\"price\":90.0,\"cash\":0.0}]" \
  "  the split shown as the day's corporate action"
grep -q "\"date\": \"2025-06-10\", \"id\": [0-9]*, \"this_action\": {\"action\": \"split\", \"symbol\": \"ORLY\", \"amount\": $((N * 14)), \"factor\": \"15.0000\", \"cash\": 0.0}" \
  "$T_HOME/agent_data/hold-orly/position/position.jsonl"
ok $? "  and in position.jsonl"

http GET "/results?date=2025-06-10&model=mock-orly"
is "$(jget 'abs(j["results"][0]["daily_pnl"]["return_pct"]) < 5')" true "the mock agent's value is continuous too"
is "$(dbq "SELECT count(*) FROM reasoning_logs r JOIN positions p ON p.id = r.position_id
  WHERE p.model = 'mock-orly' AND p.date = '2025-06-10' AND r.role = 'system'
  AND r.content LIKE '%ORLY split 15-for-1 (factor 15.0000) effective 2025-06-10%'")" 1 \
  "  its prompt of 2025-06-10 tells of the split"

done_testing
