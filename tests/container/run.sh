#!/usr/bin/env bash
# The optional container suite (`scripts/test --container`; not part of the
# default run). No registry is reachable, so the Debian 12 base image is made
# here: debootstrap (minbase) from the machine's configured Debian mirror,
# imported into podman and tagged as the Dockerfile's debian:12-slim. Then
# docker/Dockerfile is built and run: /health answers 200, the default
# simulation runs to completed, and `batch` runs one simulation to its end
# with the leaderboard; docker/docker-compose.yml, started with podman-compose,
# serves the same. podman uses runc (crun fails on this kernel's mixed
# cgroups) and lower nofile/nproc ulimits. Prints TAP, then "N passed, N
# failed". Keeps the images (rebuilds reuse them); TRADER_CONTAINER_WORK
# holds the base image's root file system while it is made.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${TRADER_CONTAINER_WORK:-$ROOT/build/container}
NAME=trader-test-$$
VOLUME=trader-test-data-$$
PODMAN=(podman --runtime runc)
LIMITS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
n=0
failed=0

ok() {
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
  return "$1"
}
finish() {
  [ -n "${COMPOSE_UP:-}" ] && compose down -v >/dev/null 2>&1
  "${PODMAN[@]}" rm -f "$NAME" >/dev/null 2>&1
  "${PODMAN[@]}" volume rm -f "$VOLUME" >/dev/null 2>&1
  echo "1..$n"
  echo "$((n - failed)) passed, $failed failed"
  [ "$failed" -eq 0 ]
}
trap finish EXIT
bail() {
  ok 1 "$1"
  exit 1
}

# Tools from Debian (with sudo when not root).
missing=()
for p in debootstrap podman runc podman-compose; do command -v "$p" >/dev/null || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    debootstrap podman runc podman-compose >/dev/null ||
    bail "installing debootstrap, podman, runc and podman-compose"
fi

# The configured mirror: deb822 sources first, then the one-line format.
MIRROR=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$MIRROR" ] || bail "no Debian mirror configured in /etc/apt"

mkdir -p "$WORK"

# --- the base image ---------------------------------------------------------------------
if ! "${PODMAN[@]}" image exists trader-base:bookworm; then
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -5 "$WORK/debootstrap.log"; bail "debootstrap from $MIRROR"; }
  tar -C "$WORK/rootfs" -c . | "${PODMAN[@]}" import - trader-base:bookworm >/dev/null 2>&1 ||
    bail "podman import"
  rm -rf "$WORK/rootfs"
fi
ok 0 "base image from debootstrap ($MIRROR)"
"${PODMAN[@]}" tag trader-base:bookworm docker.io/library/debian:12-slim

# --- the image ---------------------------------------------------------------------------
"${PODMAN[@]}" build --pull=never "${LIMITS[@]}" -f "$ROOT/docker/Dockerfile" -t trader:test "$ROOT" \
  >"$WORK/build.log" 2>&1
ok $? "docker/Dockerfile builds" || { tail -20 "$WORK/build.log" | sed 's/^/# /'; exit 1; }

# serves LABEL CONTAINER: the container published on $PORT answers /health
# 200, then runs the default simulation (triggered from inside: while no API
# key exists only loopback clients may trigger) to completed and serves it.
serves() {
  local label=$1 container=$2 code=000 job status=
  for _ in $(seq 1 120); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health") && [ "$code" = 200 ] && break
    sleep 1
  done
  [ "$code" = 200 ]
  ok $? "$label: /health answers 200 (got $code)"
  "${PODMAN[@]}" exec "$container" traderctl prices synth >/dev/null
  ok $? "$label: synthetic prices loaded in the container"
  job=$("${PODMAN[@]}" exec "$container" curl -s -X POST -H 'Content-Type: application/json' -d '{}' \
    http://127.0.0.1:8080/simulate/trigger | python3 -c 'import json,sys; print(json.load(sys.stdin).get("job_id", ""))')
  [ -n "$job" ]
  ok $? "$label: the default simulation is queued ($job)"
  for _ in $(seq 1 300); do
    status=$(curl -s "http://127.0.0.1:$PORT/simulate/status/$job" |
      python3 -c 'import json,sys; print(json.load(sys.stdin).get("status", ""))')
    case $status in completed | partial | failed | cancelled) break ;; esac
    sleep 1
  done
  [ "$status" = completed ]
  ok $? "$label:   and completes (status $status)"
  curl -s "http://127.0.0.1:$PORT/results" | grep -q '"results"'
  ok $? "$label:   its results are served"
}

# --- serve: /health and the default simulation ------------------------------------------------
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${PODMAN[@]}" run -d --name "$NAME" "${LIMITS[@]}" -p "127.0.0.1:$PORT:8080" -v "$VOLUME:/data" \
  trader:test >/dev/null
ok $? "the container starts (serve)"
serves serve "$NAME"
"${PODMAN[@]}" rm -f "$NAME" >/dev/null

# --- batch ----------------------------------------------------------------------------------
# A fresh data volume: the commands other than serve/batch pass through.
"${PODMAN[@]}" volume rm -f "$VOLUME" >/dev/null
"${PODMAN[@]}" run --rm "${LIMITS[@]}" -v "$VOLUME:/data" trader:test traderctl prices synth >/dev/null
"${PODMAN[@]}" run --rm "${LIMITS[@]}" -v "$VOLUME:/data" trader:test \
  batch --start 2025-02-03 --end 2025-02-07 >"$WORK/batch.out" 2>&1
ok $? "batch: exit 0" || tail -5 "$WORK/batch.out" | sed 's/^/# /'
grep -q "Leaderboard of job" "$WORK/batch.out"
ok $? "  prints the leaderboard"

# --- compose: docker/docker-compose.yml serves the same --------------------------------------
# podman-compose runs plain podman: runc and the limits come from a containers.conf.
printf '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\n' \
  >"$WORK/containers.conf"
compose() {
  CONTAINERS_CONF="$WORK/containers.conf" TRADER_PUBLISH="127.0.0.1:$PORT" \
    podman-compose -p "trader-test-$$" -f "$ROOT/docker/docker-compose.yml" "$@"
}
COMPOSE_UP=1
compose up -d >"$WORK/compose.log" 2>&1
ok $? "compose: up" || tail -10 "$WORK/compose.log" | sed 's/^/# /'
serves compose "trader-test-$$_trader_1"
