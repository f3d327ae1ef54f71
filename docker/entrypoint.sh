#!/bin/sh
# The image's entrypoint (the specification's dual-mode deployment):
#   serve                      (default) nginx + trader-api + traderd in the foreground
#   batch [traderctl run ...]  one simulation to its end, then exit with its status
#   anything else              run as a command (e.g. traderctl prices import ...)
set -e
case "${1:-serve}" in
serve)
  [ $# -gt 0 ] && shift
  exec /opt/trader/bin/trader-stack up --foreground "$@"
  ;;
batch)
  shift
  exec /opt/trader/bin/traderctl run "$@"
  ;;
*)
  exec "$@"
  ;;
esac
