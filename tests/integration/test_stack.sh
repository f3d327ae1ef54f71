#!/usr/bin/env bash
# scripts/stack itself: up is idempotent, status reports each part with its
# pids, a taken port stops `up` before anything starts, everything written
# goes under the data directory, and `down` stops only the processes it
# started (checking each pid still runs its program) and waits for them.
# status names the database; on PostgreSQL a second stack (another home and
# port, the same --database-url) is a second host of the same service.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T_DIR/cwd"
cd "$T_DIR/cwd" || bail "cd"
stack_up
PIDS=$(api_pids)
NGINX=$(cat "$T_HOME/run/nginx.pid")

"$STACK" status --home "$T_HOME" >"$T_DIR/status.out"
ok $? "status: exit 0 while running"
like "$(grep '^trader-api' "$T_DIR/status.out")" "running +pid ${PIDS% }\$" "  lists the trader-api pids"
like "$(grep '^nginx' "$T_DIR/status.out")" "running +pid $NGINX\$" "  lists nginx's pid"
is "$(wc -w <<<"$PIDS")" 2 "--workers 2 started two processes"

"$STACK" up --home "$T_HOME" --port "$T_PORT" --workers 2 >/dev/null 2>&1
ok $? "up again: exit 0"
is "$(api_pids)" "$PIDS" "  same trader-api processes"
is "$(cat "$T_HOME/run/nginx.pid")" "$NGINX" "  same nginx"
is "$(pgrep -c -f "nginx -p $T_HOME/nginx")" 1 "  one nginx master for this home"

http GET /simulate/current
is "$STATUS" 404 "the API answers through nginx"
is "$(stat -c %a "$T_HOME/run")" 700 "run/ is private (0700)"
is "$(stat -c %a "$T_HOME/run/trader-api.sock")" 600 "the socket is 0600"
is "$(ls -A "$T_DIR/cwd")" "" "nothing written to the working directory"
# The installation's OpenAPI document, the dashboard's pages and Debian's
# Chart.js are only read: not counted.
FILES=$(sed -nE 's/^ *(pid|error_log|access_log|[a-z_]+_(temp|cache)_path|alias|server unix:) *([^ ;]+).*/\3/p' \
  "$T_HOME/nginx/nginx.conf" | grep -v '/openapi\.json$' |
  grep -vxF -e "$(cd "$TOP_SRCDIR/nginx/dashboard" && pwd)/" \
    -e /usr/share/javascript/chart.js/chart.min.js)
is "$(wc -l <<<"$FILES")" 11 "nginx.conf names 11 files and directories"
is "$(grep -v "^$T_HOME/" <<<"$FILES")" "" "  all under the data directory"
[ -f "$T_HOME/log/nginx-access.log" ] && [ -f "$T_HOME/log/nginx-error.log" ]
ok $? "nginx logs under log/"

# A second stack on the same port: refused before anything starts.
OTHER=$T_DIR/other
"$STACK" up --home "$OTHER" --port "$T_PORT" >"$T_DIR/other.out" 2>&1
is "$?" 1 "up on a taken port: exit 1"
like "$(cat "$T_DIR/other.out")" "port $T_PORT .* already in use" "  says so"
is "$(ls "$OTHER/run" 2>/dev/null)" "" "  started nothing"
"$STACK" status --home "$OTHER" >/dev/null 2>&1
is "$?" 3 "  status of that home: exit 3 (stopped)"

# down never kills a process it did not start, even with its pid in a file.
sleep 600 &
STRANGER=$!
mkdir -p "$OTHER/run"
echo "$STRANGER" >"$OTHER/run/trader-api.pid"
echo "$STRANGER" >"$OTHER/run/nginx.pid"
"$STACK" down --home "$OTHER" >/dev/null 2>&1
ok $? "down with foreign pids in the pid files: exit 0"
kill -0 "$STRANGER" 2>/dev/null
ok $? "  the foreign process is alive"
[ ! -f "$OTHER/run/trader-api.pid" ]
ok $? "  the stale pid file is removed"
kill "$STRANGER"
wait "$STRANGER" 2>/dev/null

"$STACK" down --home "$T_HOME" >"$T_DIR/down.out" 2>&1
ok $? "down: exit 0"
! alive $PIDS 2>/dev/null && [ -z "$(for p in $PIDS $NGINX; do readlink "/proc/$p/exe"; done 2>/dev/null)" ]
ok $? "  every process it started is gone"
[ ! -e "$T_HOME/run/trader-api.pid" ] && [ ! -e "$T_HOME/run/nginx.pid" ] &&
  [ ! -e "$T_HOME/run/trader-api.sock" ]
ok $? "  pid files and socket removed"
"$STACK" status --home "$T_HOME" >"$T_DIR/status.out"
is "$?" 3 "  status: exit 3"
! grep -q running "$T_DIR/status.out"
ok $? "  no part running"
"$STACK" down --home "$T_HOME" >/dev/null 2>&1
ok $? "down again: exit 0"

# Up again in the same home: the database and port are reused.
"$STACK" up --home "$T_HOME" --port "$T_PORT" --workers 3 >/dev/null 2>&1
ok $? "up again after down"
is "$(wc -w <<<"$(api_pids)")" 3 "  --workers 3"
http GET /simulate/current
is "$STATUS" 404 "  answering"

"$STACK" up --home "$T_DIR/bad" --port 70000 >/dev/null 2>&1
is "$?" 1 "an invalid port is refused"
"$STACK" frobnicate >/dev/null 2>&1
is "$?" 2 "an unknown command is a usage error"

# The database: status names it (a URL without its credentials); a URL of
# another kind is refused before anything starts, and not echoed.
"$STACK" status --home "$T_HOME" >"$T_DIR/status.out"
if on_pg; then
  is "$(sed -n 's/^database: //p' "$T_DIR/status.out")" "${T_DB/:\/\/trader@/://}" \
    "status names the database URL, without its user"
else
  is "$(sed -n 's/^database: //p' "$T_DIR/status.out")" "$T_HOME/trader.db" "status names the database file"
fi
"$STACK" up --home "$T_DIR/bad" --port "$(free_port)" --database-url "mysql://u:s3cret@h/db" \
  >"$T_DIR/bad.out" 2>&1
is "$?" 1 "a database URL of another kind is refused"
! grep -q s3cret "$T_DIR/bad.out" && [ ! -e "$T_DIR/bad/run" ]
ok $? "  without echoing it, and nothing started"

# Two hosts: a second stack with a data directory and port of its own on the
# same PostgreSQL database answers about what the first one stored.
if on_pg; then
  H2=$T_DIR/host2
  P2=$(free_port)
  TRADER_DAEMON=off "$STACK" up --home "$H2" --port "$P2" --workers 1 --database-url "$T_DB" \
    >"$T_DIR/host2.out" 2>&1
  ok $? "a second host on the same database: up" || sed 's/^/# /' "$T_DIR/host2.out"
  ctl prices synth --days 10 >/dev/null || bail "traderctl prices synth failed"
  http POST /simulate/trigger '{}'
  is "$STATUS" 202 "  a job triggered on the first host"
  J=$(jget 'j["job_id"]')
  BASE=http://127.0.0.1:$P2
  http GET "/simulate/status/$J"
  is "$STATUS $(jget 'j["job_id"]')" "200 $J" "  the second host knows it"
  BASE=http://127.0.0.1:$T_PORT
  "$STACK" down --home "$H2" >/dev/null 2>&1
  ok $? "  the second host stops"
  [ -d "$H2/run" ] && [ -z "$(ls "$H2" | grep '^trader\.db')" ]
  ok $? "  its data directory holds no database file"
else
  skip "PostgreSQL only: two hosts (stacks) sharing one database"
fi

done_testing
