#!/usr/bin/env bash
# Transient storage faults heal themselves: while an external writer holds
# the database past the busy timeout, while the database files are made
# read-only (chattr +i) and while the disk is full (a small tmpfs data
# directory, filled), a running job's model-days wait and are retried, never
# failed or left as holes, and the job completes once the fault is gone;
# meanwhile triggers answer 503 "unavailable" (never 500) and /health 503
# "unhealthy" (read-only, full). The parts that need chattr or mount (root)
# are skipped when not permitted. (Linux checks immutability when a file is
# opened: a trader-api connection opened before chattr may still write, so a
# trigger then is 503 or a job that completes, never 500.) On PostgreSQL
# the lock is an exclusive lock on the jobs tables held past the busy timeout;
# the read-only files and the full disk are SQLite's files (a PostgreSQL
# server answers for its own storage) and are skipped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon_lib.sh"

use_configs 2
# Model a's days take 1.5 s each, so a job of six days is still writing when
# a fault is made after its first day, even on a loaded machine.
cat >"$CONFIGS/faults.json" <<'EOF'
{"date_range": {"init_date": "2025-01-02"},
 "stock_symbols": ["AAPL", "MSFT", "NVDA"],
 "models": [{"signature": "a", "provider": "builtin", "strategy": "equal_weight", "delay_ms": 1500},
            {"signature": "b", "provider": "builtin", "strategy": "momentum"}]}
EOF
export MAX_CONCURRENT_JOBS=2 TRADER_DB_BUSY_TIMEOUT_MS=300

# The data directory on a small tmpfs of its own, when mount is permitted.
MOUNTED=0
mkdir -p "$T_HOME"
if mount -t tmpfs -o size=48m,mode=0700 tmpfs "$T_HOME" 2>/dev/null; then
  MOUNTED=1
  unmount() {
    "$STACK" down --home "$T_HOME" >/dev/null 2>&1
    chattr -i "$T_HOME"/trader.db* 2>/dev/null
    for _ in $(seq 1 50); do umount "$T_HOME" 2>/dev/null && break; sleep 0.1; done
    _cleanup
  }
  trap unmount EXIT
fi
stack_up
ctl prices synth --days 25 >/dev/null || bail "traderctl prices synth failed"
mapfile -t DATES < <(ctl prices info 2>/dev/null | grep -o '20[0-9-]\{8\}' | head -0)
mapfile -t DATES < <(python3 -c 'import testdb
for (d,) in testdb.connect().execute("SELECT DISTINCT date FROM prices WHERE date > ? ORDER BY date", ("2025-01-02",)):
    print(d)')
[ "${#DATES[@]}" -ge 20 ] || bail "expected 20 trading days, got ${#DATES[@]}"
TLOG=$T_HOME/log/traderd.log

# run_a FIRST LAST: a job of model a (slow) over DATES[FIRST..LAST]; returns
# once one of its days has completed. Sets AJOB.
run_a() {
  trigger_job "{\"config_path\": \"configs/faults.json\", \"models\": [\"a\"], \"start_date\": \"${DATES[$1]}\", \"end_date\": \"${DATES[$2]}\"}"
  AJOB=$JOB
  wait_until a_progressed
}
a_progressed() { [ "$(job_field "$AJOB" 'j["progress"]["completed"]')" -ge 1 ] 2>/dev/null; }
# trigger_b I: a trigger that has to write (model b is free).
trigger_b() {
  http POST /simulate/trigger "{\"config_path\": \"configs/faults.json\", \"models\": [\"b\"], \"date_range\": [\"${DATES[$1]}\"]}"
}
# healed NAME: job AJOB completed, every day completed, none retried as failed.
healed() {
  is "$(wait_job "$AJOB")" completed "$1: the job completes"
  is "$(jget '[j["progress"][k] for k in ("completed", "failed", "pending")]')" "[6,0,0]" \
    "$1: all 6 model-days completed, none failed or left out"
  is "$(dbq "SELECT count(*) FROM job_details WHERE job_id = '$AJOB' AND (status <> 'completed' OR error IS NOT NULL)")" 0 \
    "$1: no hole, no error stored"
}
healthy() {
  http GET /health
  [ "$STATUS" = 200 ]
}
# retries: how often the daemon met a storage fault and tried again, while
# running a model-day or claiming the next (a fault made between a commit
# and the next claim meets the claim first).
retries() { grep -cE 'storage unavailable, trying again|cannot claim a model-day' "$TLOG" 2>/dev/null || true; }
# retried_since N: the daemon has met a fault and tried again since retries said N
# (a function, so wait_until counts afresh each time).
retried_since() { [ "$(retries)" -gt "$1" ]; }

# --- the database locked past the busy timeout ---------------------------------------------
run_a 0 5
ok $? "job a running"
if on_pg; then
  psql -X -q -d "$T_DB" >/dev/null <<EOF &
BEGIN;
LOCK TABLE jobs, job_details IN ACCESS EXCLUSIVE MODE;
\\! touch '$T_DIR/locked'
SELECT pg_sleep(3);
ROLLBACK;
EOF
else
  python3 - "$T_HOME/trader.db" "$T_DIR/locked" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(3)
c.execute("ROLLBACK")
EOF
fi
HOLDER=$!
wait_until test -e "$T_DIR/locked"
before=$(retries)
trigger_b 0
is "$STATUS:$(jget 'j["error"]')" "503:unavailable" "locked: a trigger gets 503 unavailable"
wait "$HOLDER"
healed locked
[ "$(retries)" -gt "$before" ]
ok $? "locked: the daemon met the lock and retried"
trigger_b 0
is "$STATUS" 202 "after the lock, triggers work again"
is "$(wait_job "$(jget 'j["job_id"]')")" completed "  and that job completes"

# --- a read-only database ---------------------------------------------------------------------
if on_pg; then
  skip "SQLite only: read-only database files (chattr +i)"
elif chattr +i "$T_DIR" 2>/dev/null && chattr -i "$T_DIR"; then
  run_a 6 11
  before=$(retries)
  chattr +i "$T_HOME"/trader.db "$T_HOME"/trader.db-wal "$T_HOME"/trader.db-shm
  http GET /health
  is "$STATUS:$(jget 'j["status"]'):$(jget 'j["storage"]["writable"]')" "503:unhealthy:false" \
    "read-only: /health 503 unhealthy, storage not writable"
  trigger_b 1
  like "$STATUS:$(jget 'j.get("error", "accepted")')" "^(503:unavailable|202:accepted)$" \
    "read-only: a trigger gets 503 unavailable (or was written by an old connection)"
  [ "$STATUS" = 202 ] && BJOB=$(jget 'j["job_id"]') || BJOB=
  wait_until retried_since "$before"
  ok $? "read-only: the daemon's writes fail and are retried"
  chattr -i "$T_HOME"/trader.db "$T_HOME"/trader.db-wal "$T_HOME"/trader.db-shm
  healed read-only
  [ -z "$BJOB" ] || is "$(wait_job "$BJOB")" completed "read-only: the job a trigger queued completes"
  wait_until healthy
  ok $? "read-only: /health healthy again"
else
  skip "chattr not permitted: no read-only database test"
fi

# --- a full disk --------------------------------------------------------------------------------
if on_pg; then
  skip "SQLite only: the database's disk full (PostgreSQL keeps its files elsewhere)"
elif [ "$MOUNTED" = 1 ]; then
  run_a 12 17
  # An empty WAL, so the next write must grow a file on the full disk.
  python3 - "$T_HOME/trader.db" <<'EOF'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
for _ in range(200):
    if c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0:
        break
    time.sleep(0.05)
EOF
  dd if=/dev/zero of="$T_HOME/filler" bs=64k 2>/dev/null
  http GET /health
  is "$STATUS:$(jget 'j["status"]'):$(jget 'j["storage"]["full"]')" "503:unhealthy:true" \
    "disk full: /health 503 unhealthy, storage full"
  trigger_b 2
  is "$STATUS:$(jget 'j["error"]')" "503:unavailable" "disk full: a trigger gets 503 unavailable"
  sleep 2 # the fault lasts a while; no assertion depends on this pause
  rm -f "$T_HOME/filler"
  healed "disk full"
  wait_until healthy
  ok $? "disk full: /health healthy again"
else
  skip "mount not permitted: no full disk test"
fi

done_testing
