# Sourced by the single-node benches (run.sh, http-relay.sh): one node namespace whose veth peer sits in
# a namespace of its own (no default route), an agent in it, and a clean-up trap that removes both.
# Expects ROOT, AX and NODE_IP; takes the temp-dir prefix as $1. Sets WORK, NS, IN_NODE, AGENT_PID; a
# script that starts a server sets SERVER_PID so that the trap stops it.
[ -x "$AX" ] || { echo "bench: $AX is missing; run 'make build' first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }

WORK=$(mktemp -d "/tmp/$1.XXXXXX")
chmod 755 "$WORK"   # nginx workers (www-data) read pages from it
TAG=$1-$(basename "$WORK" | tail -c 7 | tr 'A-Z' 'a-z')
NS=$TAG-n1
PEER=$TAG-br
AGENT_PID=""; SERVER_PID=""

cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null || true
  [ -n "$AGENT_PID" ] && wait "$AGENT_PID" 2>/dev/null || true
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ip netns del "$PEER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NS"; ip netns add "$PEER"
ip link add eth0 netns "$NS" type veth peer name eth0 netns "$PEER"
ip -n "$NS" addr add "$NODE_IP/24" dev eth0
ip -n "$NS" link set lo up; ip -n "$NS" link set eth0 up; ip -n "$PEER" link set eth0 up
# Tens of thousands of short connections leave their client ports in TIME_WAIT; without reuse the
# ephemeral range fills up and connect() slows down, then fails (EADDRNOTAVAIL), for every mode.
ip netns exec "$NS" sysctl -q -w net.ipv4.tcp_tw_reuse=1
IN_NODE=(ip netns exec "$NS" env AX_SOCKET_DIR="$WORK/sock" AX_ADMIN_SOCKET_DIR="$WORK/admin")

"${IN_NODE[@]}" "$AX" daemon --socket-dir "$WORK/sock" --node-interface eth0 --rest-port 0 >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 100); do [ -S "$WORK/sock/ax.sock" ] && [ -S "$WORK/admin/api.sock" ] && break; sleep 0.1; done
[ -S "$WORK/sock/ax.sock" ] || { cat "$WORK/agent.log" >&2; echo "bench: agent did not start" >&2; exit 1; }
