#!/usr/bin/env bash
# traderctl db copy and db verify on a store filled by a real run: traderd
# runs the default config (built-in strategies and the mock LLM agent) over
# synthetic prices, an API key is made; the service stops and the store is
# copied into a new SQLite file, each table reported identical; the API
# started on the copy answers /simulate/status, /simulate/jobs, /results
# (detail=full, every date), /performance and /performance/series exactly
# as on the original, ETags included. A second copy into the copy is
# refused and changes nothing; db verify finds a changed value and names
# its table, row and column; a password in a URL is never shown; a missing
# location is a usage error. Then the round trip through PostgreSQL (a
# database of the suite's cluster, else a throwaway cluster of tests/
# pgcluster.sh; skipped without the server): the store copied into it, the
# API on it answering as on the original, a second copy refused, the copy
# copied back into a new file that equals the original, and db verify from
# PostgreSQL finding the value changed in the first copy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

use_configs 4
DATES="2025-01-03 2025-01-06 2025-01-07"
COPY=$T_DIR/copy.db
# file_q FILE QUERY: one value from a SQLite file (the copies are files on
# either engine).
file_q() {
  python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$1" "$2"
}
# on_sqlite_file FILE COMMAND...: COMMAND with FILE as the store (SQLite),
# whatever store the test's stack uses.
on_sqlite_file() {
  local file=$1
  shift
  TRADER_DATABASE_URL= TRADER_DB_PATH=$file "$@"
}

stack_up
ctl prices synth >/dev/null || bail "traderctl prices synth failed"
trigger_job '{"config_path": "configs/default_config.json", "start_date": "2025-01-03", "end_date": "2025-01-07"}'
is "$(wait_job "$JOB")" completed "a job of the default config (mock LLM agent included) completes"
[ "$(dbq 'SELECT count(*) > 0 FROM reasoning_logs')" = 1 ] && [ "$(dbq 'SELECT count(*) > 0 FROM trades')" = 1 ]
ok $? "  it stored trades and reasoning"
ctl keys create --name ops >/dev/null 2>&1 || bail "traderctl keys create failed"

# answers NAME: the read answers (status, ETag, body) of the running stack
# into $T_DIR/NAME.answers.
answers() {
  local p out=$T_DIR/$1.answers
  : >"$out"
  for p in "/simulate/status/$JOB" /simulate/jobs /performance /performance/series \
    "/performance?start_date=2025-01-06&end_date=2025-01-07"; do
    http GET "$p"
    printf '%s %s %s\n%s\n' "$p" "$STATUS" "$(header ETag)" "$(body)" >>"$out"
  done
  for d in $DATES; do
    http GET "/results?date=$d&detail=full"
    printf '/results %s %s %s\n%s\n' "$d" "$STATUS" "$(header ETag)" "$(body)" >>"$out"
  done
}
answers original
"$STACK" down --home "$T_HOME" >/dev/null 2>&1
ok $? "the service stops before the copy"

# --- SQLite -> SQLite -------------------------------------------------------------
ctl db copy --to "$COPY" >"$T_DIR/copy.out" 2>&1
ok $? "db copy into a new SQLite file" || sed 's/^/# /' "$T_DIR/copy.out"
is "$(grep -c ' rows copied$' "$T_DIR/copy.out")" 16 "  16 tables reported copied"
is "$(grep -c ', identical$' "$T_DIR/copy.out")" 17 "  then identical, and the total"
like "$(grep '^positions: .*identical$' "$T_DIR/copy.out")" '^positions: [1-9][0-9]* rows, identical$' \
  "  positions counted"
like "$(tail -1 "$T_DIR/copy.out")" '^copied and verified: 16 tables, [0-9]+ rows, identical$' \
  "  the summary"

on_sqlite_file "$COPY" stack_up
answers copy
http GET /health
is "$(jget 'j["database"]["path"]')" "$COPY" "  (the API read the copy)"
cmp -s "$T_DIR/original.answers" "$T_DIR/copy.answers"
ok $? "the API on the copy answers as on the original, ETags included" ||
  diff "$T_DIR/original.answers" "$T_DIR/copy.answers" | head -20 | sed 's/^/# /'
like "$(head -1 "$T_DIR/copy.answers")" "^/simulate/status/$JOB 200 " "  (the job's status is there)"
"$STACK" down --home "$T_HOME" >/dev/null 2>&1

# --- refusals and differences ----------------------------------------------------
SUM=$(sha256sum <"$COPY")
ctl db copy --to "$COPY" >"$T_DIR/again.out" 2>&1
is "$?" 1 "a copy into a store with rows fails"
like "$(cat "$T_DIR/again.out")" 'not empty \(table jobs has rows\)' "  saying why"
is "$(sha256sum <"$COPY")" "$SUM" "  and leaves it as it was"

ctl db verify --against "$COPY" >"$T_DIR/verify.out" 2>&1
ok $? "db verify: the copy is identical" || sed 's/^/# /' "$T_DIR/verify.out"
like "$(tail -1 "$T_DIR/verify.out")" '^compared: 16 tables, [0-9]+ rows, identical$' "  the summary"

python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE holdings SET quantity = quantity + 1 WHERE id = (SELECT max(id) FROM holdings)")
c.commit()' "$COPY"
ID=$(file_q "$COPY" 'SELECT max(id) FROM holdings')
ctl db verify --against "$COPY" >"$T_DIR/verify2.out" 2>&1
is "$?" 1 "db verify finds a changed value"
like "$(tail -1 "$T_DIR/verify2.out")" "table holdings differs: row id=$ID: quantity is [0-9]+ in this store but [0-9]+ in the other store" \
  "  naming the table, row and column"
like "$(grep -c ', identical$' "$T_DIR/verify2.out") $(grep -E '^holdings: [0-9]+ rows, DIFFERENT$' "$T_DIR/verify2.out")" \
  '^15 holdings: [0-9]+ rows, DIFFERENT$' "  after comparing every table: 15 identical, holdings different"

ctl db copy --to "postgresql://trader:pw-s3cret-x@127.0.0.1:1/none?password=pw-s3cret-y" \
  >"$T_DIR/secret.out" 2>&1
is "$?" 1 "a copy into an unreachable PostgreSQL fails"
! grep -q 's3cret' "$T_DIR/secret.out"
ok $? "  without showing a password" || sed 's/^/# /' "$T_DIR/secret.out"

ctl db copy >"$T_DIR/usage.out" 2>&1
is "$?" 2 "db copy without --to is a usage error"
like "$(cat "$T_DIR/usage.out")" 'usage: traderctl .*db copy --to LOCATION' "  with the usage"

# --- SQLite -> PostgreSQL -> SQLite -------------------------------------------------
# A PostgreSQL database of this test's own: on the suite's cluster when it
# runs on one (TRADER_TEST_PG_DIR), else on a throwaway cluster started here.
PGCLUSTER=$TOP_SRCDIR/tests/pgcluster.sh
PG_TMP= PG_NAME=
pg_cleanup() {
  _cleanup
  if [ -n "$PG_NAME" ]; then
    "$PGCLUSTER" dropdb "$TRADER_TEST_PG_DIR" "$PG_NAME" >/dev/null 2>&1
  elif [ -n "$PG_TMP" ]; then
    "$PGCLUSTER" stop "$PG_TMP/cluster" >/dev/null 2>&1
    rm -rf "$PG_TMP"
  fi
}
trap pg_cleanup EXIT
if [ ! -x "$PGCLUSTER" ]; then
  PG_URL=
elif [ -n "${TRADER_TEST_PG_DIR:-}" ]; then
  PG_NAME=t_dbcopy_$$
  PG_URL=$("$PGCLUSTER" newdb "$TRADER_TEST_PG_DIR" "$PG_NAME" 2>"$T_DIR/pg.err")
else
  PG_TMP=$(mktemp -d /tmp/trader-dbcopy-pg-XXXXXX) && chmod 0711 "$PG_TMP"
  PG_URL=$("$PGCLUSTER" start "$PG_TMP/cluster" 2>"$T_DIR/pg.err")
fi
PG_RC=$?
if [ ! -x "$PGCLUSTER" ]; then
  skip "SQLite -> PostgreSQL -> SQLite: no tests/pgcluster.sh in this tree"
elif [ "$PG_RC" -eq 77 ]; then
  skip "SQLite -> PostgreSQL -> SQLite: no PostgreSQL server installed (Debian postgresql-15)"
elif [ "$PG_RC" -ne 0 ] || [ -z "$PG_URL" ]; then
  ok 1 "a PostgreSQL database for the copy"
  sed 's/^/# /' "$T_DIR/pg.err"
else
  BACK=$T_DIR/back.db
  ctl db copy --to "$PG_URL" >"$T_DIR/topg.out" 2>&1
  ok $? "db copy into PostgreSQL" || sed 's/^/# /' "$T_DIR/topg.out"
  is "$(grep -c ', identical$' "$T_DIR/topg.out")" 17 "  every table identical"

  TRADER_DATABASE_URL=$PG_URL stack_up
  answers pg
  cmp -s "$T_DIR/original.answers" "$T_DIR/pg.answers"
  ok $? "the API on PostgreSQL answers as on the original, ETags included" ||
    diff "$T_DIR/original.answers" "$T_DIR/pg.answers" | head -20 | sed 's/^/# /'
  http GET /health
  like "$(jget 'j["database"]["path"]')" "^postgresql://.*@${PG_URL#*@}\$" \
    "  (the API read PostgreSQL)"
  "$STACK" down --home "$T_HOME" >/dev/null 2>&1

  ctl db copy --to "$PG_URL" >"$T_DIR/topg2.out" 2>&1
  is "$?" 1 "a copy into a PostgreSQL store with rows fails"
  like "$(cat "$T_DIR/topg2.out")" 'not empty \(table jobs has rows\)' "  saying why"

  TRADER_DATABASE_URL=$PG_URL ctl db copy --to "$BACK" >"$T_DIR/back.out" 2>&1
  ok $? "db copy from PostgreSQL into a new SQLite file" || sed 's/^/# /' "$T_DIR/back.out"
  is "$(grep -c ', identical$' "$T_DIR/back.out")" 17 "  every table identical"
  ctl db verify --against "$BACK" >"$T_DIR/verify-back.out" 2>&1
  ok $? "the round trip's file equals the original store" || sed 's/^/# /' "$T_DIR/verify-back.out"
  TRADER_DATABASE_URL=$PG_URL ctl db verify --against "$COPY" >"$T_DIR/verify-pg.out" 2>&1
  is "$?" 1 "db verify from PostgreSQL finds the changed value of the first copy"
  like "$(tail -1 "$T_DIR/verify-pg.out")" "table holdings differs: row id=$ID: quantity" \
    "  naming it"
fi

done_testing
