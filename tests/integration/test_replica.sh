#!/usr/bin/env bash
# Read replicas (issue 14): a throwaway PostgreSQL primary (tests/pgcluster.sh)
# and a hot standby made from it with `pg_basebackup -R` (tests/pgstandby.sh),
# streaming. Two API hosts: the stack's trader-api reads from the standby
# (scripts/stack --database-read-url) and writes to the primary, with traderd; a second
# stack (no traderd) reads the primary. A job triggered through the
# standby-reading host runs; once the standby has replayed the primary's WAL,
# /results, /performance, /simulate/status and /simulate/jobs answer the same
# bytes on both hosts. /health reports the standby and its lag without the
# URL's password, and 503 while replay is paused past the lag allowed
# (traderd's workers, read on the primary, stay up), reads the standby answers carry X-Trader-Replica-Lag, and
# what reads its own write (a cancel right after its trigger) is answered by
# the primary. Skipped when the PostgreSQL server is not installed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

PGCLUSTER=$TOP_SRCDIR/tests/pgcluster.sh
PGSTANDBY=$TOP_SRCDIR/tests/pgstandby.sh
# It makes its own primary and standby: once is enough.
! on_pg || skip_all "runs its own PostgreSQL clusters (in the SQLite pass)"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/pg_basebackup" ] && [ -x "$PGBIN/initdb" ] ||
  skip_all "no PostgreSQL server binaries (Debian: postgresql-15)"

# The clusters live outside T_DIR (private to root): as root they run as
# nobody, who must reach their directories.
PG_DIR=$(mktemp -d /tmp/trader-replica-XXXXXX) || bail "mktemp failed"
chmod 0755 "$PG_DIR"
HOME2=$T_DIR/home2
_replica_cleanup() {
  "$STACK" down --home "$HOME2" >/dev/null 2>&1
  _cleanup
  "$PGSTANDBY" stop "$PG_DIR/standby" >/dev/null 2>&1
  "$PGCLUSTER" stop "$PG_DIR/primary" >/dev/null 2>&1
  rm -rf "$PG_DIR"
}
trap _replica_cleanup EXIT

PRIMARY=$("$PGCLUSTER" start "$PG_DIR/primary" 2>"$PG_DIR/primary.err")
rc=$?
[ "$rc" -eq 77 ] && skip_all "no PostgreSQL server: $(cat "$PG_DIR/primary.err")"
[ "$rc" -eq 0 ] || { sed 's/^/# /' "$PG_DIR/primary.err"; bail "the primary did not start"; }
SURL=$("$PGSTANDBY" start "$PG_DIR/primary" "$PG_DIR/standby" 2>"$PG_DIR/standby.err") ||
  { sed 's/^/# /' "$PG_DIR/standby.err"; bail "the standby did not start"; }
SPORT=$(cat "$PG_DIR/standby/port")
# A password trust authentication ignores: /health must not show it.
STANDBY=${SURL/trader@/trader:s3cretpw@}

# psql_standby SQL: one value from the standby.
psql_standby() {
  "$PGBIN/psql" -h 127.0.0.1 -p "$SPORT" -U trader -d trader -XAtqc "$1"
}
is "$(psql_standby 'SELECT pg_is_in_recovery()')" t "the standby is in recovery (read-only)"

# trader-api refuses a read location it cannot use, quoting no URL.
API=$TOP_BUILDDIR/fcgi/trader-api
OUT=$(env -u TRADER_DATABASE_URL TRADER_DATA_DIR="$T_DIR/x" TRADER_DATABASE_READ_URL="$T_DIR/standby.db" \
  "$API" </dev/null 2>&1)
like "$? $OUT" '^1 .*must be a postgresql:// or postgres:// URL' \
  "a read location that is no PostgreSQL URL: trader-api does not start"
OUT=$(env -u TRADER_DATABASE_URL TRADER_DATA_DIR="$T_DIR/x" TRADER_DATABASE_READ_URL="$STANDBY" \
  "$API" </dev/null 2>&1)
like "$? $OUT" '^1 .*needs a PostgreSQL primary' "a standby beside a SQLite primary: refused too"
ok "$(grep -c s3cretpw <<<"$OUT")" "  the message has no password"

use_configs 2
cat >"$CONFIGS/replica.json" <<'EOF'
{"date_range": {"init_date": "2025-01-02"},
 "models": [{"signature": "ew", "provider": "builtin", "strategy": "equal_weight"},
            {"signature": "mock", "provider": "mock"}],
 "agent_config": {"initial_cash": 10000.0},
 "log_config": {"log_path": "agent_data"}}
EOF

# Every process of both stacks writes to the primary.
export TRADER_DATABASE_URL=$PRIMARY
# Host 2 first, without traderd, reading the primary; then the host under
# test, with traderd, reading the standby.
P2=$(free_port)
TRADER_DAEMON=off "$STACK" up --home "$HOME2" --port "$P2" --workers 1 >"$T_DIR/stack2.out" 2>&1 ||
  { sed 's/^/# /' "$T_DIR/stack2.out"; bail "the primary-reading stack did not start"; }
BASE2=http://127.0.0.1:$P2
OUT=$(env -u TRADER_DATABASE_URL "$STACK" up --home "$T_DIR/y" --database-read-url "$STANDBY" 2>&1)
like "$? $OUT" '^1 .*needs --database-url' "scripts/stack: a read URL without a primary is refused"
OUT=$("$STACK" up --home "$T_DIR/y" --database-read-url "$T_DIR/standby.db" 2>&1)
like "$? $OUT" '^1 .*invalid read URL' "  and so is one that is no PostgreSQL URL"
# Past a replay lag of 3 s the host is unhealthy (checked at the end).
TRADER_REPLICA_MAX_LAG_SECONDS=3 stack_up --database-read-url "$STANDBY"
OUT=$("$STACK" status --home "$T_HOME")
like "$OUT" "reads from: postgresql://127\\.0\\.0\\.1:$SPORT/trader" "scripts/stack status names the standby"
ok "$(grep -c s3cretpw <<<"$OUT")" "  without its password"
ctl prices synth >/dev/null || bail "traderctl prices synth failed"

http GET /health
is "$(jget 'j["database"]["engine"]')" postgresql "/health: engine postgresql"
is "$(jget 'j["database"]["read_replica"]["standby"]')" true "/health: reads come from a hot standby"
like "$(jget 'j["database"]["read_replica"]["replay_lag_seconds"]')" '^[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$' \
  "/health: with its replay lag in seconds"
like "$(jget 'j["database"]["read_replica"]["path"]')" "^postgresql://.*127\\.0\\.0\\.1:$SPORT/trader\$" \
  "/health: the standby's location"
ok "$(grep -c s3cretpw "$T_DIR/body")" "/health: never the URL's password"
is "$(jget 'j["database"]["read_replica"]["max_lag_seconds"]')" 3 "/health: the lag allowed"

# A trigger through the standby-reading host: written on the primary, and
# answered from it (202 with the new job, which the standby may not have yet).
trigger_job '{"config_path": "configs/replica.json", "start_date": "2025-01-03", "end_date": "2025-01-10"}'
is "$STATUS" 202 "a trigger through the standby-reading host is accepted"
is "$(BASE=$BASE2 job_field "$JOB" 'j["job_id"]')" "$JOB" "  the job is on the primary at once"
is "$(wait_job "$JOB")" completed "the job completes (status read through the standby)"
wait_until "$PGSTANDBY" caught-up "$PG_DIR/primary" "$PG_DIR/standby"
ok $? "the standby replays the primary's WAL"

# same PATH DESCRIPTION: the same status and body on both hosts.
same() {
  local a b sa
  http GET "$1"
  sa=$STATUS a=$(body)
  BASE=$BASE2 http GET "$1"
  b=$(body)
  is "$sa $a" "$STATUS $b" "$2: the standby answers as the primary" ||
    diag "standby: $sa $(head -c 300 <<<"$a")" "primary: $STATUS $(head -c 300 <<<"$b")"
}
same "/results?date=2025-01-10&detail=full" "/results?date=...&detail=full"
same "/results?start_date=2025-01-03&end_date=2025-01-10" "/results over a range"
same "/performance" "/performance"
same "/performance/series?start_date=2025-01-03&end_date=2025-01-10" "/performance/series"
same "/simulate/status/$JOB?details=all" "/simulate/status"
same "/simulate/jobs" "/simulate/jobs"
is "$(jget 'j["jobs"][0]["job_id"]')" "$JOB" "  the job is listed"

http GET "/results?date=2025-01-10"
like "$(header X-Trader-Replica-Lag)" '^[0-9]+\.[0-9]{3}$' "a read from the standby says its lag (X-Trader-Replica-Lag)"
ETAG=$(header ETag)
STATUS=$(curl -s -o /dev/null -D "$T_DIR/headers" -w '%{http_code}' -H "If-None-Match: $ETAG" \
  "$BASE/results?date=2025-01-10")
is "$STATUS" 304 "  revalidated: 304"
like "$(header X-Trader-Replica-Lag)" '^[0-9]+\.[0-9]{3}$' "  with the lag too"
BASE=$BASE2 http GET "/results?date=2025-01-10"
is "$(header X-Trader-Replica-Lag)" "" "a read from the primary has no such header"
BASE=$BASE2 http GET /health
is "$(jget 'j["database"].get("read_replica", "none")')" none "/health without a read replica has none"

# A standby whose replay stops: its lag grows past the 3 s allowed (traderd's
# heartbeat writes every 2 s) and /health answers 503 saying why; traderd's
# workers, read on the primary, stay up. Replay resumed, the host is healthy.
psql_standby 'SELECT pg_wal_replay_pause()' >/dev/null
health_is() {
  http GET /health
  [ "$STATUS" = "$1" ]
}
wait_until health_is 503
ok $? "/health: 503 once the standby's replay lag is past the limit"
like "$(jget 'j["database"]["read_replica"]["error"]')" '^replay lag [0-9.]+ s is past the 3 s allowed' \
  "  read_replica.error says why"
is "$(jget 'j["services"]["traderd"]["status"]') $(jget 'len(j["services"]["traderd"]["workers"])')" "up 1" \
  "  traderd is up, its worker listed"
BEAT=$(jget 'j["services"]["traderd"]["last_heartbeat"]')
OLD_BEAT=$(psql_standby 'SELECT max(last_heartbeat) FROM workers')
[[ "$BEAT" > "$OLD_BEAT" ]]
ok $? "  its heartbeat read on the primary, newer than the standby's" || diag "$BEAT vs $OLD_BEAT"
psql_standby 'SELECT pg_wal_replay_resume()' >/dev/null
wait_until health_is 200
ok $? "replay resumed: healthy again"

# Reading one's own write: a cancel right after its trigger is answered by
# the primary (the standby may not show the job yet). traderd is stopped
# first, so the job is still pending when the cancel comes.
PID=$(traderd_pid)
kill -TERM "$PID"
wait_until test ! -e "/proc/$PID"
trigger_job '{"config_path": "configs/replica.json", "models": ["ew"], "start_date": "2025-01-13", "end_date": "2025-01-17"}'
is "$STATUS" 202 "a second trigger through the standby-reading host (traderd stopped)"
http POST "/simulate/cancel/$JOB" '{}'
is "$STATUS" 200 "its cancel right after, through the same host"
is "$(jget 'j["job_id"]') $(jget 'j["status"]')" "$JOB cancelled" \
  "  answers with the cancelled job, read on the primary"

# A write key made on the primary works at once through the standby host
# (keys of writes are read on the primary).
KEY=$(ctl keys create --name replica --scope write 2>/dev/null | grep -Eo '[A-Za-z0-9_-]{32,}' | head -1)
STATUS=$(curl -s -o "$T_DIR/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' --data-binary '{"job_id": "nope"}' "$BASE/simulate/cancel/nope")
is "$STATUS" 404 "a new write key is accepted at once (the cancel of an unknown job: 404)"

# The standby is read-only: anything written through it would fail.
like "$(psql_standby 'CREATE TABLE x (a int)' 2>&1)" "read-only transaction" \
  "the standby refuses writes"
done_testing
