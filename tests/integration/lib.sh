# shellcheck shell=bash
# Sourced by the integration tests (bash). Provides TAP output, a whole
# stack (scripts/stack) in a temporary data directory on a free loopback port,
# stopped on exit, an HTTP client over curl and JSON checks via python3.
#
# Environment: TOP_SRCDIR and TOP_BUILDDIR (set by `make check`; the tests
# run in a VPATH build); TRADER_TEST_KEEP=1 keeps the temporary directory.
# TRADER_TEST_PG_DIR: the directory of a running PostgreSQL cluster
# (tests/pgcluster.sh start; scripts/test's second pass): each test then gets
# a fresh database of its own there, which every process it starts uses
# (TRADER_DATABASE_URL), instead of the SQLite file T_HOME/trader.db.

set -u
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TOP_BUILDDIR=${TOP_BUILDDIR:-$TOP_SRCDIR}
TRADERCTL=$TOP_BUILDDIR/daemon/traderctl
STACK=$TOP_SRCDIR/scripts/stack
export TRADER_BUILDDIR=$TOP_BUILDDIR TRADER_CONFIGS_DIR=$TOP_SRCDIR/configs
unset TRADER_DATA_DIR TRADER_DB_PATH TRADER_DATABASE_URL TRADER_BINDIR API_HOST API_PORT
unset TRADER_AUTH_READS
# Rate limits far above what any test sends (test_ratelimit.sh sets its own).
export TRADER_RATE_WRITE=100000r/s TRADER_RATE_WRITE_BURST=100000
export TRADER_RATE_READ=100000r/s TRADER_RATE_READ_BURST=100000
# Live answers: the micro-cache may answer up to 1 s old, which a test reading
# right after a change would race (test_cache.sh turns it on).
export TRADER_MICROCACHE=off

# --- TAP ---------------------------------------------------------------------
_tap_n=0
_tap_failed=0

diag() {
  printf '# %s\n' "$@"
}

# ok STATUS DESCRIPTION: passes when STATUS is 0.
ok() {
  _tap_n=$((_tap_n + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $_tap_n - $2"
  else
    echo "not ok $_tap_n - $2"
    _tap_failed=$((_tap_failed + 1))
  fi
  return "$1"
}

# is GOT WANT DESCRIPTION
is() {
  [ "$1" = "$2" ]
  ok $? "$3" || diag "got:  '$1'" "want: '$2'"
}

# like GOT ERE DESCRIPTION
like() {
  [[ "$1" =~ $2 ]]
  ok $? "$3" || diag "got:  '$1'" "want: /$2/"
}

skip() {
  _tap_n=$((_tap_n + 1))
  echo "ok $_tap_n # SKIP $1"
}

# skip_all REASON: the whole file is skipped.
skip_all() {
  echo "1..0 # SKIP $1"
  exit 0
}

# bail REASON: a setup failure; the rest cannot run.
bail() {
  echo "Bail out! $1"
  exit 1
}

done_testing() {
  check_answers
  echo "1..$_tap_n"
  [ "$_tap_failed" -eq 0 ]
}

# --- the stack -----------------------------------------------------------------
T_DIR=$(mktemp -d /tmp/trader-itest-XXXXXX) || bail "mktemp failed"
T_HOME=$T_DIR/home
T_PORT=

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the database ----------------------------------------------------------------
# T_DB: the stack's database, the SQLite file or (TRADER_TEST_PG_DIR) the URL
# of this test's own PostgreSQL database (C collation), with the SQLite
# functions the tests' checks use (compat.sql, seen by testdb.py only).
# The checks read it through testdb.py (dbq, db_digest, db_dump; Python:
# `import testdb`), which speaks both engines.
PGCLUSTER=$TOP_SRCDIR/tests/pgcluster.sh
T_PGNAMES=()
export PYTHONPATH=$TOP_SRCDIR/tests/integration${PYTHONPATH:+:$PYTHONPATH}

# on_pg: true when the tests run on PostgreSQL.
on_pg() {
  [ -n "${TRADER_TEST_PG_DIR:-}" ]
}

# fresh_home DIR: T_HOME=DIR with a database of its own: DIR/trader.db, or on
# PostgreSQL a new database (TRADER_DATABASE_URL for what the test starts
# from now on). Sets T_DB.
fresh_home() {
  T_HOME=$1
  T_DB=$T_HOME/trader.db
  if on_pg; then
    local name
    name=t_$$_$(basename "$T_DIR" | tr -dc 'A-Za-z0-9' | tr 'A-Z' 'a-z')_${#T_PGNAMES[@]}
    T_DB=$("$PGCLUSTER" newdb "$TRADER_TEST_PG_DIR" "$name" 2>"$T_DIR/newdb.err") &&
      psql -X -q -v ON_ERROR_STOP=1 -d "$T_DB" -f "$TOP_SRCDIR/tests/integration/compat.sql" \
        >/dev/null 2>>"$T_DIR/newdb.err" ||
      bail "no PostgreSQL test database: $(cat "$T_DIR/newdb.err")"
    T_PGNAMES+=("$name")
    export TRADER_DATABASE_URL=$T_DB
  fi
  export TRADER_TEST_DB=$T_DB
}
fresh_home "$T_HOME"

# sqlite_only REASON: true on SQLite; on PostgreSQL one TAP skip saying why
# the check that follows does not apply there. Usage:
#   if sqlite_only "what the file check is"; then ...checks...; fi
sqlite_only() {
  on_pg || return 0
  skip "SQLite only: $1"
  return 1
}

T_SERVERS=()
_cleanup() {
  local p
  for p in "${T_SERVERS[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "$T_PORT" ] && "$STACK" down --home "$T_HOME" >/dev/null 2>&1
  if on_pg && [ "${TRADER_TEST_KEEP:-0}" != 1 ]; then
    for p in "${T_PGNAMES[@]}"; do "$PGCLUSTER" dropdb "$TRADER_TEST_PG_DIR" "$p" >/dev/null 2>&1; done
  fi
  if [ "${TRADER_TEST_KEEP:-0}" = 1 ]; then
    echo "# kept $T_DIR" >&2
  else
    rm -rf "$T_DIR"
  fi
}
trap _cleanup EXIT

# test_server NAME SCRIPT [ARGS...]: starts tests/SCRIPT (a Python test
# server taking --port-file) in the background, stopped on exit; waits for
# its port and sets SERVER_PORT to it.
test_server() {
  local name=$1 script=$2 i
  shift 2
  python3 "$TOP_SRCDIR/tests/$script" --port-file "$T_DIR/$name.port" "$@" \
    >>"$T_DIR/$name.out" 2>&1 &
  T_SERVERS+=($!)
  for i in $(seq 1 100); do
    [ -s "$T_DIR/$name.port" ] && break
    sleep 0.1
  done
  [ -s "$T_DIR/$name.port" ] || bail "test server $name did not start"
  SERVER_PORT=$(tr -d '\n' <"$T_DIR/$name.port")
}

# stack_up [ARGS...]: the whole stack in T_HOME on a free port, 2 workers.
stack_up() {
  [ -x "$TRADERCTL" ] || bail "traderctl not built: $TRADERCTL"
  [ -x "$TOP_BUILDDIR/fcgi/trader-api" ] || bail "trader-api not built"
  T_PORT=$(free_port)
  BASE=http://127.0.0.1:$T_PORT
  "$STACK" up --home "$T_HOME" --port "$T_PORT" --workers 2 "$@" >"$T_DIR/stack-up.out" 2>&1 ||
    { sed 's/^/# /' "$T_DIR/stack-up.out"; bail "scripts/stack up failed"; }
}

# api_pids: the pids of the trader-api processes the stack started.
api_pids() {
  tr '\n' ' ' <"$T_HOME/run/trader-api.pid"
}

# alive PID...: true when every pid still runs trader-api.
alive() {
  local pid exe
  for pid in "$@"; do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    [ "${exe##*/}" = trader-api ] || return 1
  done
}

ctl() {
  "$TRADERCTL" --home "$T_HOME" "$@"
}

# need_real_prices: DATA, the real Alpha Vantage price files (../shared/data
# beside the source tree); the whole file is skipped when they are absent.
need_real_prices() {
  DATA=$TOP_SRCDIR/../shared/data/alphavantage
  [ -d "$DATA" ] || skip_all "no real price data at $DATA"
}

# import_real_prices: the files of need_real_prices into the stack's store.
import_real_prices() {
  ctl prices import "$DATA"/daily_prices_*.json >"$T_DIR/prices.out" 2>&1 ||
    { sed 's/^/# /' "$T_DIR/prices.out"; bail "traderctl prices import failed"; }
}

# --- HTTP ----------------------------------------------------------------------
# http METHOD PATH [BODY [CONTENT_TYPE]]: sets STATUS; the body is in
# $T_DIR/body and the headers in $T_DIR/headers. BODY "@FILE" sends a file.
http() {
  local method=$1 path=$2 args=()
  if [ $# -ge 3 ]; then
    args=(-H "Content-Type: ${4:-application/json}" --data-binary "$3")
  fi
  STATUS=$(curl -s --path-as-is -o "$T_DIR/body" -D "$T_DIR/headers" -w '%{http_code}' \
    -X "$method" "${args[@]}" "$BASE$path") || STATUS=000
  [ "$STATUS" = 000 ] || record_answer "$method" "$path"
}

# --- OpenAPI: every answer of http() is checked against docs/openapi.json ----------
T_ANSWERS=$T_DIR/answers
NPM_TOOLS=${TRADER_NPM_DIR:-$TOP_BUILDDIR/npm}

# record_answer METHOD PATH: keeps the last answer (status, body) for
# check_answers.
record_answer() {
  local n=1
  mkdir -p "$T_ANSWERS"
  # Counted from the file: http() also runs in subshells ($(...)).
  [ -f "$T_ANSWERS/index" ] && n=$(($(wc -l <"$T_ANSWERS/index") + 1))
  cp "$T_DIR/body" "$T_ANSWERS/$n.body" 2>/dev/null || : >"$T_ANSWERS/$n.body"
  printf '%s %s %s\n' "$STATUS" "$1" "$2" >>"$T_ANSWERS/index"
}

# check_answers: one test: every recorded answer is documented by the OpenAPI
# description with a matching schema (tests/openapi_check.cjs); skipped when
# the npm tools are not installed (scripts/npm-tools).
check_answers() {
  [ -f "$T_ANSWERS/index" ] || return 0
  local n
  n=$(wc -l <"$T_ANSWERS/index")
  if [ ! -d "$NPM_TOOLS/node_modules" ] || ! command -v node >/dev/null; then
    skip "OpenAPI check of the answers: no npm tools in $NPM_TOOLS (scripts/npm-tools)"
    return 0
  fi
  node "$TOP_SRCDIR/tests/openapi_check.cjs" "$NPM_TOOLS" answers "$TOP_SRCDIR/docs/openapi.json" \
    "$T_ANSWERS" >"$T_DIR/answers.out" 2>&1
  ok $? "all $n answers match the OpenAPI description" ||
    sed 's/^/# /' "$T_DIR/answers.out" | head -20
  rm -rf "$T_ANSWERS"
}

body() {
  cat "$T_DIR/body"
}

# header NAME: the value of a response header (first one).
header() {
  sed -n "s/^$1: *\\(.*\\)\\r\$/\\1/Ip" "$T_DIR/headers" | head -1
}

# jget EXPR: evaluates the Python expression EXPR with j = the JSON body;
# strings print as they are, anything else as compact JSON. Prints
# "<invalid json>" when the body is not JSON.
jget() {
  python3 - "$1" "$T_DIR/body" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[2]))
except ValueError:
    print("<invalid json>")
    sys.exit(0)
try:
    v = eval(sys.argv[1], {"j": j})
except (KeyError, IndexError, TypeError) as e:
    print("<missing: %r>" % (e,))
    sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
EOF
}

# expect_error STATUS CODE DESCRIPTION: the last answer is that JSON error.
expect_error() {
  is "$STATUS" "$1" "$3: HTTP $1"
  is "$(jget 'j["error"]')" "$2" "$3: error $2"
  like "$(jget 'type(j["message"]).__name__')" '^str$' "$3: has a message"
}

# db_digest: a digest of the database's content but the heartbeat rows
# (traderd rewrites them all the time) and the audit rows of API requests
# (every mutating request adds one, refused or not).
db_digest() {
  python3 "$TOP_SRCDIR/tests/integration/testdb.py" --digest
}

# dbq QUERY: the first value of QUERY over the stack's database (nothing for
# no row or NULL); on PostgreSQL with the SQLite functions of compat.sql and
# booleans as 1/0.
dbq() {
  python3 "$TOP_SRCDIR/tests/integration/testdb.py" "$1"
}

# db_dump: every row of the database, one line each (SQLite: its SQL dump).
db_dump() {
  python3 "$TOP_SRCDIR/tests/integration/testdb.py" --dump
}

# db_files: the files that hold the database's bytes: the SQLite file and its
# -wal/-shm, or (after a checkpoint) the PostgreSQL database's directory and
# the cluster's WAL.
db_files() {
  if on_pg; then
    psql -X -q -d "$T_DB" -c CHECKPOINT >/dev/null
    echo "$TRADER_TEST_PG_DIR/data/base/$(psql -X -A -t -d "$T_DB" \
      -c 'SELECT oid FROM pg_database WHERE datname = current_database()')"
    echo "$TRADER_TEST_PG_DIR/data/pg_wal"
  else
    ls -d "$T_HOME"/trader.db*
  fi
}

# --- fixtures --------------------------------------------------------------------
# aitrader_fixture DIR D0 D1 D2: an AI-Trader agent_data directory with two
# models. fx-a starts on D0, buys 10 AAPL and 2 MSFT on D1 (with a log) and
# sells 4 AAPL on D2; fx-b starts on D0 and does nothing on D1. The CASH
# values in the files are deliberately not the replayed ones (the importer
# reports that as warnings and stores the replay).
aitrader_fixture() {
  local dir=$1 d0=$2 d1=$3 d2=$4
  mkdir -p "$dir/fx-a/position" "$dir/fx-a/log/$d1" "$dir/fx-b/position"
  cat >"$dir/fx-a/position/position.jsonl" <<EOF
{"date": "$d0", "id": 0, "positions": {"AAPL": 0, "MSFT": 0, "CASH": 10000.0}}
{"date": "$d1", "id": 1, "this_action": {"action": "buy", "symbol": "AAPL", "amount": 10}, "positions": {"AAPL": 10, "MSFT": 0, "CASH": 7000.0}}
{"date": "$d1", "id": 2, "this_action": {"action": "buy", "symbol": "MSFT", "amount": 2}, "positions": {"AAPL": 10, "MSFT": 2, "CASH": 6000.0}}
{"date": "$d2", "id": 3, "this_action": {"action": "sell", "symbol": "AAPL", "amount": 4}, "positions": {"AAPL": 6, "MSFT": 2, "CASH": 7000.0}}
EOF
  cat >"$dir/fx-a/log/$d1/log.jsonl" <<EOF
{"signature": "fx-a", "new_messages": [{"role": "user", "content": "Please analyze and update today's ($d1) positions."}]}
{"signature": "fx-a", "new_messages": [{"role": "assistant", "content": "Buying AAPL and MSFT. <FINISH_SIGNAL>"}]}
EOF
  cat >"$dir/fx-b/position/position.jsonl" <<EOF
{"date": "$d0", "id": 0, "positions": {"AAPL": 0, "CASH": 10000.0}}
{"date": "$d1", "id": 1, "this_action": {"action": "no_trade", "symbol": "", "amount": 0}, "positions": {"AAPL": 0, "CASH": 10000.0}}
EOF
}

# expected_fx_a D0 D1 D2: what the contract's trading rules give for fx-a,
# computed here from the stored price text with exact decimals: one line per
# day "DATE CASH VALUE PROFIT" (shortest decimal text).
expected_fx_a() {
  python3 - "$@" <<'EOF'
import sys, testdb
from decimal import Decimal
d0, d1, d2 = sys.argv[1:]
con = testdb.connect()
def px(col, sym, d):
    return Decimal(con.execute("SELECT %s FROM prices WHERE symbol=? AND date=?" % col,
                               (sym, d)).fetchone()[0])
def text(x):
    s = format(x.normalize(), "f")
    return s if "." in s else s + ".0"
cash = Decimal("10000")
prev = cash
cash -= 10 * px("open", "AAPL", d1) + 2 * px("open", "MSFT", d1)
v1 = cash + 10 * px("close", "AAPL", d1) + 2 * px("close", "MSFT", d1)
print(d1, text(cash), text(v1), text(v1 - prev))
cash += 4 * px("open", "AAPL", d2)
v2 = cash + 6 * px("close", "AAPL", d2) + 2 * px("close", "MSFT", d2)
print(d2, text(cash), text(v2), text(v2 - v1))
EOF
}
