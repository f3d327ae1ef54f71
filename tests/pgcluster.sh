#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, in a directory of its own:
#   tests/pgcluster.sh start DIR [PORT]   initdb + pg_ctl start; prints the URL
#   tests/pgcluster.sh newdb DIR NAME     a fresh database NAME; prints its URL
#   tests/pgcluster.sh dropdb DIR NAME    drops NAME (closing its connections)
#   tests/pgcluster.sh stop DIR           pg_ctl stop (fast), then removes DIR
# It listens on a Unix socket in DIR and on 127.0.0.1:PORT (trust
# authentication, loopback only), with the C collation and UTF-8 (text sorts
# byte-wise, as in SQLite). PostgreSQL refuses to run as root: as root it
# runs as the user `nobody`, which then owns DIR (DIR's parents must let
# nobody through). Exits 77 when the server binaries are not installed
# (Debian: postgresql-15, under /usr/lib/postgresql/15/bin).
set -euo pipefail
PGBIN=${PGBIN:-$(pg_config --bindir 2>/dev/null || true)}
[ -x "$PGBIN/initdb" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "pgcluster: no PostgreSQL server (install postgresql)" >&2; exit 77; }
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
usage() {
  echo "usage: $0 start DIR [PORT] | newdb DIR NAME | dropdb DIR NAME | stop DIR" >&2
  exit 2
}
# The port of the running cluster in DIR.
port_of() {
  [ -s "$1/port" ] || { echo "pgcluster: no cluster in $1" >&2; exit 1; }
  cat "$1/port"
}
cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] || usage
case $cmd in
start)
  port=${3:-$(free_port)}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" -eq 0 ]; then
    chown nobody:nogroup "$dir"
    runuser -u nobody -- test -w "$dir" ||
      { echo "pgcluster: user nobody cannot write $dir (a parent directory is closed to it)" >&2; exit 1; }
  fi
  as_owner "$PGBIN/initdb" -D "$dir/data" -U trader -A trust --no-sync -E UTF8 --locale=C \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c wal_level=replica -c max_wal_senders=4 -c max_connections=300" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  "$PGBIN/createdb" -h "$dir" -p "$port" -U trader trader
  echo "postgresql://trader@127.0.0.1:$port/trader"
  ;;
newdb)
  name=${3:-}
  [ -n "$name" ] || usage
  port=$(port_of "$dir")
  "$PGBIN/createdb" -h "$dir" -p "$port" -U trader -T template0 -E UTF8 --locale=C "$name"
  echo "postgresql://trader@127.0.0.1:$port/$name"
  ;;
dropdb)
  name=${3:-}
  [ -n "$name" ] || usage
  "$PGBIN/dropdb" -h "$dir" -p "$(port_of "$dir")" -U trader --force --if-exists "$name"
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  usage
  ;;
esac
