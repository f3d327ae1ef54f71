#!/usr/bin/env bash
# traderctl prices fetch / update against a local Alpha Vantage stand-in
# (tests/alphavantage_server.py, TRADER_ALPHAVANTAGE_URL): TIME_SERIES_DAILY
# and SPLITS for the 101 symbols and QQQ; a missing key, a refused key
# ("Error Message") and a rate limit ("Information") stop it with the
# service's message and exit 1; the next run resumes where it stopped
# (fetched symbols are not requested again); a repeated or forced fetch
# changes nothing; the per-day request budget stops it; `update` fetches
# then queues a catch-up job.
. "$(dirname "$0")/lib.sh"

export TRADER_CONFIGS_DIR=$TOP_SRCDIR/configs TRADER_ALPHAVANTAGE_PACE_SECONDS=0
unset ALPHAADVANTAGE_API_KEY
# server NAME ARGS...: a stand-in logging to $T_DIR/NAME.log; sets the URL.
server() {
  test_server "$1" alphavantage_server.py --key good-key --log "$T_DIR/$1.log" "${@:2}"
  touch "$T_DIR/$1.log"
  export TRADER_ALPHAVANTAGE_URL="http://127.0.0.1:$SERVER_PORT/query"
}
digest() {
  dbq "SELECT group_concat(symbol || date || open || high || low || close || volume, ';') FROM (SELECT * FROM prices ORDER BY symbol, date)" | sha256sum
  dbq "SELECT group_concat(symbol || effective_date || factor, ';') FROM splits"
}

ctl prices fetch >"$T_DIR/out" 2>&1
is "$?" 1 "no key: exit 1"
like "$(cat "$T_DIR/out")" "ALPHAADVANTAGE_API_KEY is not set" "  says which variable"

server limited --limit-after 30
export ALPHAADVANTAGE_API_KEY=wrong-key
ctl prices fetch >"$T_DIR/out" 2>&1
is "$?" 1 "a refused key: exit 1"
like "$(cat "$T_DIR/out")" "refused the request for [A-Z]+: Error Message: the parameter apikey is invalid" \
  "  with Alpha Vantage's message"
is "$(dbq "SELECT count(*) FROM prices")" 0 "  nothing imported"

export ALPHAADVANTAGE_API_KEY=good-key
ctl prices fetch --daily-limit 0 >"$T_DIR/out" 2>&1
is "$?" 1 "a rate limit after 30 answers: exit 1"
like "$(cat "$T_DIR/out")" "limits requests for [A-Z]+: Information: Thank you for using Alpha Vantage" \
  "  with the in-band Information text"
like "$(cat "$T_DIR/out")" "stopped with 15 of 102 symbols up to date: run again later" "  and where it stopped"
is "$(dbq "SELECT count(*) FROM price_symbols")" 15 "  15 symbols imported (daily bars and splits each)"
head -30 "$T_DIR/limited.log" | awk '{print $2}' | sort -u >"$T_DIR/first"

server full
ctl prices fetch --daily-limit 0 >"$T_DIR/out" 2>&1
is "$?" 0 "the next run: exit 0"
like "$(cat "$T_DIR/out")" "fetched 87 symbols, 15 already up to date, 174 requests" "  resumes where it stopped"
is "$(awk '{print $2}' "$T_DIR/full.log" | sort -u | comm -12 - "$T_DIR/first" | wc -l)" 0 \
  "  the 15 fetched symbols are not requested again"
is "$(dbq "SELECT count(*) FROM price_symbols")" 102 "  101 symbols and QQQ"
is "$(dbq "SELECT count(*) FROM prices WHERE symbol = 'QQQ'")" 10 "  QQQ's bars"
is "$(dbq "SELECT symbol || ' ' || effective_date || ' ' || factor FROM splits")" "AAPL 2025-01-08 2.0000" \
  "  AAPL's split"
is "$(dbq "SELECT open FROM prices WHERE symbol = 'MSFT' AND date = '2025-01-02'")" \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Time Series (Daily)"]["2025-01-02"]["1. open"])' \
    "$T_HOME/prices/alphavantage/TIME_SERIES_DAILY_MSFT.json")" "  the published text is stored"

before=$(digest)
n=$(wc -l <"$T_DIR/full.log")
ctl prices fetch --daily-limit 0 >"$T_DIR/out" 2>&1
is "$?" 0 "again: exit 0"
like "$(cat "$T_DIR/out")" "fetched 0 symbols, 102 already up to date, 0 requests" "  nothing to do"
is "$(wc -l <"$T_DIR/full.log")" "$n" "  no request made"
ctl prices fetch --force --symbols AAPL,QQQ --daily-limit 0 >"$T_DIR/out" 2>&1
is "$?" 0 "--force --symbols AAPL,QQQ: exit 0"
is "$(($(wc -l <"$T_DIR/full.log") - n))" 4 "  4 requests"
is "$(digest)" "$before" "  the store is unchanged (idempotent)"

rm -f "$T_HOME"/prices/alphavantage/requests-*
n=$(wc -l <"$T_DIR/full.log")
ctl prices fetch --force --symbols AAPL,MSFT,AMZN --daily-limit 3 >"$T_DIR/out" 2>&1
is "$?" 1 "the day's request budget (3): exit 1"
like "$(cat "$T_DIR/out")" "daily request limit \\(3\\) is reached" "  says so"
is "$(($(wc -l <"$T_DIR/full.log") - n))" 3 "  exactly 3 requests made"
ctl prices fetch --pace -1 >/dev/null 2>&1
is "$?" 2 "--pace -1: usage error"

out=$(ctl update --daily-limit 0 --config configs/default_config.json 2>&1)
is "$?" 0 "update: exit 0"
like "$out" "job [0-9a-f-]{36}: [0-9]+ model-days" "  queues a catch-up job"
is "$(dbq "SELECT status || ' ' || (CASE WHEN config_path LIKE '%default_config.json' THEN 1 ELSE 0 END) FROM jobs")" "pending 1" \
  "  pending, for traderd"
out=$(ctl update --daily-limit 0 2>&1)
like "$out" "already active" "update again while it is pending: says the job is active"

done_testing
