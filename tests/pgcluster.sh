#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, in a directory of its own:
#   tests/pgcluster.sh start DIR [PORT]   initdb + pg_ctl start; prints the URL
#   tests/pgcluster.sh stop DIR           pg_ctl stop (fast), then removes DIR
# It listens on a Unix socket in DIR and on 127.0.0.1:PORT (trust
# authentication, loopback only). PostgreSQL refuses to run as root: as root
# it runs as the user `nobody`, which then owns DIR.
set -euo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PGBIN/initdb" ] || { echo "pgcluster: no PostgreSQL server (install postgresql)" >&2; exit 77; }
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] || { echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2; }
case $cmd in
start)
  port=${3:-$(free_port)}
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$dir"
  as_owner "$PGBIN/initdb" -D "$dir/data" -U trader -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c wal_level=replica -c max_wal_senders=4" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$PGBIN/createdb" -h "$dir" -p "$port" -U trader trader
  echo "postgresql://trader@127.0.0.1:$port/trader"
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop DIR [PORT]" >&2
  exit 2
  ;;
esac
