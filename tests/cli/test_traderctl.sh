#!/bin/sh
# traderctl end to end over real data directories: exit statuses (0 done,
# 1 failed, 2 usage), "traderctl: " messages, and the init/prices commands.
set -u
ctl="${TOP_BUILDDIR:-.}/daemon/traderctl"
tmp=$(mktemp -d /tmp/trader-test-ctl-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
unset TRADER_DATA_DIR TRADER_DB_PATH
n=0

ok() {
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

# check STATUS DESCRIPTION ARGS...: runs traderctl, expects STATUS.
check() {
    want=$1 desc=$2
    shift 2
    "$ctl" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" -eq "$want" ]
    ok $? "$desc (exit $got, want $want)"
    [ "$got" -eq "$want" ] || sed 's/^/#   /' "$tmp/err"
}

# has out|err TEXT DESCRIPTION: the last run printed TEXT there.
has() {
    grep -q -e "$2" "$tmp/$1"
    ok $? "$3"
}

lacks() {
    ! grep -q -e "$2" "$tmp/$1"
    ok $? "$3"
}

cat >"$tmp/aaa.json" <<'JSON'
{"Meta Data": {"2. Symbol": "AAA", "3. Last Refreshed": "2025-01-07"},
 "Time Series (Daily)": {
  "2025-01-07": {"1. open": "11.3000", "2. high": "11.9000", "3. low": "11.0000", "4. close": "11.5000", "5. volume": "1200"},
  "2025-01-06": {"1. open": "10.6000", "2. high": "12.0000", "3. low": "10.1000", "4. close": "11.2500", "5. volume": "200"}}}
JSON
printf '{"Note": "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day."}\n' >"$tmp/note.json"

check 2 "no command is a usage error"
has err "usage: traderctl" "usage printed"
check 0 "help" help
has out "prices import FILE" "help lists the commands"
check 0 "--help" --help
has out "prices import FILE" "--help lists the commands on stdout"
check 2 "unknown command" frobnicate
has err "^traderctl: unknown command \"frobnicate\"" "says which"
check 2 "unknown prices subcommand" prices frob
check 2 "prices alone" prices
has err "usage: traderctl \\[--home DIR\\] prices synth" "lists the prices commands"
check 2 "--home without a directory" --home
check 2 "unknown global option" --bogus init

check 0 "init" --home "$tmp/h" init
version=$(sed -n 's/^#define DB_SCHEMA_VERSION \([0-9]*\).*/\1/p' "${TOP_SRCDIR:-.}/src/store/db.h")
has out "schema version: $version\$" "prints the schema version (DB_SCHEMA_VERSION)"
has out "database: $tmp/h/trader.db" "prints the database path"
[ -f "$tmp/h/trader.db" ] && [ -d "$tmp/h/run" ] && [ -d "$tmp/h/log" ]
ok $? "data directory with run/ and log/"
check 0 "init again (idempotent)" --home="$tmp/h" init
check 2 "init takes no arguments" --home "$tmp/h" init now
TRADER_DATA_DIR="$tmp/e" "$ctl" init >/dev/null 2>&1
[ -f "$tmp/e/trader.db" ]
ok $? "TRADER_DATA_DIR names the data directory"
TRADER_DB_PATH="$tmp/elsewhere.db" "$ctl" --home "$tmp/h2" init >/dev/null 2>&1
[ -f "$tmp/elsewhere.db" ] && [ ! -f "$tmp/h2/trader.db" ]
ok $? "TRADER_DB_PATH names the database"
check 1 "an impossible data directory fails" --home /dev/null/x init
has err "^traderctl: cannot create directory" "and says why"

check 0 "info on an empty store" --home "$tmp/h" prices info
has out "no prices" "says there are none"
check 2 "import without files" --home "$tmp/h" prices import
check 1 "import an Alpha Vantage rate-limit answer" --home "$tmp/h" prices import "$tmp/aaa.json" "$tmp/note.json"
has err "^traderctl: nothing imported: $tmp/note.json" "names the file"
has err "Thank you for using Alpha Vantage" "quotes the message"
check 0 "info: still empty (all or nothing)" --home "$tmp/h" prices info
has out "no prices" "nothing was written"
check 0 "import" --home "$tmp/h" prices import "$tmp/aaa.json"
has out "2 bars inserted, 0 updated, 0 unchanged" "counts"
check 0 "import again" --home "$tmp/h" prices import "$tmp/aaa.json"
has out "0 bars inserted, 0 updated, 2 unchanged" "idempotent"
check 0 "info" --home "$tmp/h" prices info
has out "trading days: 2" "trading days"
has out "dates: 2025-01-06 .. 2025-01-07" "date span"
lacks out "SYNTHETIC" "real data is not called synthetic"
check 1 "synth refused in a real store" --home "$tmp/h" prices synth --days 3

check 2 "synth --days x" --home "$tmp/s" prices synth --days x
check 2 "synth --days 0" --home "$tmp/s" prices synth --days 0
check 2 "synth --seed -1" --home "$tmp/s" prices synth --seed -1
check 2 "synth --bogus" --home "$tmp/s" prices synth --bogus
check 1 "synth --start 2025-13-01" --home "$tmp/s" prices synth --start 2025-13-01
has err "invalid start date" "explains the date"
check 0 "synth" --home "$tmp/s" prices synth --days 5 --seed=3
has out "SYNTHETIC" "announces synthetic data"
has out "510 bars inserted" "102 symbols x 5 days"
check 0 "info on synthetic data" --home "$tmp/s" prices info
has out "SYNTHETIC" "says SYNTHETIC"
has out "trading days: 5" "5 trading days"
has out "universe 101 of 101, benchmark QQQ present" "coverage"
check 1 "real prices refused in a synthetic store" --home "$tmp/s" prices import "$tmp/aaa.json"
has err "SYNTHETIC" "explains"

echo "1..$n"
