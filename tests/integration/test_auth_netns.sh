#!/usr/bin/env bash
# Protected mode from a non-loopback address (CONTRACT section 6): the test
# creates a network namespace and a veth pair with private addresses (a /30
# in 10.200.0.0/16 picked from the pid), has nginx listen on the host side
# and runs curl inside the namespace; everything is removed at exit. With no
# key, a trigger from the namespace is 401 and says how to create a key,
# reads are open, and the server's own non-loopback address is not loopback
# either; with a write key the trigger is accepted, a read key gets 403.
# Every request is audited with the client's address. Skipped when
# `ip netns` is unavailable or the test is not root.
. "$(dirname "$0")/lib.sh"

command -v ip >/dev/null 2>&1 || skip_all "iproute2 (ip) is not installed"
[ "$(id -u)" -eq 0 ] || skip_all "creating a network namespace needs root"
ip netns list >/dev/null 2>&1 || skip_all "ip netns is unavailable"

export TRADER_DAEMON=off
NS=trader-test-$$
VH=trh$$
VN=trn$$
SUBNET=$((($$ % 16384) * 4))
HOST_IP=10.200.$((SUBNET / 256)).$((SUBNET % 256 + 1))
NS_IP=10.200.$((SUBNET / 256)).$((SUBNET % 256 + 2))

netns_cleanup() {
  ip netns del "$NS" 2>/dev/null # takes its end of the pair, and so the pair
  ip link del "$VH" 2>/dev/null
  _cleanup
}
trap netns_cleanup EXIT

{
  ip netns add "$NS" &&
    ip link add "$VH" type veth peer name "$VN" &&
    ip link set "$VN" netns "$NS" &&
    ip addr add "$HOST_IP/30" dev "$VH" &&
    ip link set "$VH" up &&
    ip netns exec "$NS" ip addr add "$NS_IP/30" dev "$VN" &&
    ip netns exec "$NS" ip link set "$VN" up &&
    ip netns exec "$NS" ip link set lo up
} 2>"$T_DIR/netns.err" || {
  sed 's/^/# /' "$T_DIR/netns.err"
  skip_all "cannot set up a network namespace with a veth pair"
}

export API_HOST=$HOST_IP
stack_up
BASE=http://$HOST_IP:$T_PORT
ctl prices synth --days 10 >/dev/null || bail "traderctl prices synth failed"

# remote METHOD PATH [AUTHORIZATION]: a request from inside the namespace.
remote() {
  local auth=() body=()
  [ $# -ge 3 ] && auth=(-H "Authorization: $3")
  [ "$1" = POST ] && body=(-H 'Content-Type: application/json' --data-binary '{}')
  STATUS=$(ip netns exec "$NS" curl -s -o "$T_DIR/body" -D "$T_DIR/headers" -w '%{http_code}' \
    -X "$1" "${auth[@]}" "${body[@]}" "$BASE$2") || STATUS=000
}

# last_audit: actor|client|status|outcome of the newest request row.
last_audit() {
  python3 - "$T_DB" <<'EOF'
import testdb, sys
con = testdb.connect(sys.argv[1])
row = con.execute("SELECT actor, client, status, outcome FROM audit_log"
                  " WHERE event = 'api_request' ORDER BY id DESC LIMIT 1").fetchone()
print("|".join("" if v is None else str(v) for v in row) if row else "")
EOF
}

remote GET /simulate/current
is "$STATUS" 404 "from $NS_IP: reads are open (no job yet: 404)"
remote POST /simulate/trigger
expect_error 401 unauthorized "no key, from $NS_IP: a trigger is refused (protected mode)"
like "$(jget 'j["message"]')" "protected mode" "... the message names protected mode"
like "$(jget 'j["message"]')" "traderctl keys create --name NAME --scope write" \
  "... and says how to create a key"
like "$(header WWW-Authenticate)" '^Bearer' "... WWW-Authenticate: Bearer"
is "$(last_audit)" "|$NS_IP|401|unauthorized" "... audited with the client's address"

http POST /simulate/trigger '{}'
expect_error 401 unauthorized "from the server's own $HOST_IP: not loopback either"
is "$(last_audit)" "|$HOST_IP|401|unauthorized" "... audited with that address"

WRITE=$(ctl keys create --name remote-ci 2>/dev/null)
READ=$(ctl keys create --name remote-ro --scope read 2>/dev/null)
remote POST /simulate/trigger "Bearer $READ"
expect_error 403 forbidden "from $NS_IP with a read key"
remote POST /simulate/trigger "Bearer $WRITE"
is "$STATUS" 202 "from $NS_IP with a write key: accepted"
is "$(jget 'j["status"]')" accepted "... the job is queued"
is "$(last_audit)" "remote-ci|$NS_IP|202|ok" "... audited with the key and the address"

done_testing
