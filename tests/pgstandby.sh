#!/usr/bin/env bash
# A hot standby of a throwaway cluster of tests/pgcluster.sh, for the replica
# test and bench/replica.sh:
#   tests/pgstandby.sh start PRIMARY_DIR DIR [PORT]   pg_basebackup -R + pg_ctl start;
#                                                     prints the standby's URL
#   tests/pgstandby.sh caught-up PRIMARY_DIR DIR      exits 0 once the standby has
#                                                     replayed the primary's WAL so far
#   tests/pgstandby.sh stop DIR                       pg_ctl stop (immediate), removes DIR
# The base backup streams over the primary's replication connection (its
# trust pg_hba has replication lines for loopback); -R writes primary_conninfo
# and standby.signal, so the server starts as a hot standby that streams from
# the primary. Like pgcluster.sh it runs as `nobody` when root, on 127.0.0.1
# and a socket in DIR; exits 77 when the server binaries are not installed.
set -euo pipefail
PGBIN=${PGBIN:-$(pg_config --bindir 2>/dev/null || true)}
[ -x "$PGBIN/pg_basebackup" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/pg_basebackup" ] || { echo "pgstandby: no PostgreSQL server (install postgresql)" >&2; exit 77; }
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
usage() {
  echo "usage: $0 start PRIMARY_DIR DIR [PORT] | caught-up PRIMARY_DIR DIR | stop DIR" >&2
  exit 2
}
# value PORT SQL: one value from the server on PORT.
value() {
  "$PGBIN/psql" -h 127.0.0.1 -p "$1" -U trader -d trader -XAtqc "$2"
}
cmd=${1:-}
case $cmd in
start)
  [ $# -ge 3 ] || usage
  pport=$(cat "$2/port")
  dir=$3
  port=${4:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "$(id -u)" -ne 0 ] || chown nobody:nogroup "$dir"
  as_owner "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$pport" -U trader -D "$dir/data" -R \
    -X stream -c fast >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  # A hot standby needs at least the primary's max_connections.
  maxconn=$(value "$pport" 'SHOW max_connections')
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c hot_standby=on -c fsync=off -c max_connections=$maxconn" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  echo "postgresql://trader@127.0.0.1:$port/trader"
  ;;
caught-up)
  [ $# -eq 3 ] || usage
  lsn=$(value "$(cat "$2/port")" 'SELECT pg_current_wal_lsn()')
  [ "$(value "$(cat "$3/port")" "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ]
  ;;
stop)
  [ $# -eq 2 ] || usage
  [ -d "$2/data" ] && as_owner "$PGBIN/pg_ctl" -D "$2/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$2"
  ;;
*)
  usage
  ;;
esac
