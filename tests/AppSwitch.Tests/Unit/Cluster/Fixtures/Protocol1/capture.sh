#!/usr/bin/env bash
# Runs an agent of the previous release (protocol 1, no version range in push/pull) next to one of this tree in two
# network namespaces, in clear text (the default: no --gossip-key), records their gossip with tcpdump, and checks the
# mixed cluster works: both list each other alive, an app on each node reaches the other node's server by its
# virtual IP, neither counts decode failures. Root. Usage:
#   capture.sh OLD_OUT NEW_OUT PCAP     (OLD_OUT/NEW_OUT: the out/ of `make build` at the old commit and here)
# Leaves nothing behind (namespaces, processes, temp dir) pass or fail.
set -euo pipefail
OLD=$(realpath "${1:?out/ of the old build}"); NEW=$(realpath "${2:?out/ of this build}"); PCAP=$(realpath -m "${3:?pcap file}")
A=axcap-old-$$; B=axcap-new-$$; T=$(mktemp -d /tmp/axcap.XXXXXX); PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  ip netns pids "$A" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns pids "$B" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
ip netns add "$A"; ip netns add "$B"
ip link add vo netns "$A" type veth peer name vn netns "$B"
ip -n "$A" addr add 10.88.0.1/24 dev vo; ip -n "$A" link set vo up; ip -n "$A" link set lo up
ip -n "$B" addr add 10.88.0.2/24 dev vn; ip -n "$B" link set vn up; ip -n "$B" link set lo up
ip netns exec "$A" tcpdump -i vo -U -s 0 -w "$PCAP" port 7946 2>"$T/tcpdump.log" & PIDS+=($!)
sleep 1
daemon() { # ns out name neighbour dir
  ip netns exec "$1" "$2/bin/ax" daemon --socket-dir "$T/$5" --admin-socket-dir "$T/$5-admin" --rest-port 0 \
    --node-interface "$6" --node-name "$3" --cluster axtest --neighbors "$4" --log-level debug >"$T/$3.log" 2>&1 &
  PIDS+=($!)
}
daemon "$A" "$OLD" old1 10.88.0.2 a vo
daemon "$B" "$NEW" new1 10.88.0.1 b vn
ax() { local ns=$1 out=$2 dir=$3; shift 3; ip netns exec "$ns" env AX_SOCKET_DIR="$T/$dir" AX_ADMIN_SOCKET_DIR="$T/$dir-admin" "$out/bin/ax" "$@"; }
alive() { ax "$@" get nodes 2>/dev/null | grep -c alive || true; }
for i in $(seq 1 60); do [ "$(alive "$A" "$OLD" a)" = 2 ] && [ "$(alive "$B" "$NEW" b)" = 2 ] && break; sleep 0.5; done
echo "== old1 sees:"; ax "$A" "$OLD" a get nodes; echo "== new1 sees:"; ax "$B" "$NEW" b get nodes
ax "$A" "$OLD" a run --ip 198.18.0.4 -- socat TCP-LISTEN:7000,fork,reuseaddr "EXEC:echo from-old" >/dev/null 2>&1 & PIDS+=($!)
ax "$B" "$NEW" b run --ip 198.18.0.3 -- socat TCP-LISTEN:7000,fork,reuseaddr "EXEC:echo from-new" >/dev/null 2>&1 & PIDS+=($!)
listed() { ax "$@" get servers 2>/dev/null | grep -c ":7000" || true; }
for i in $(seq 1 60); do [ "$(listed "$A" "$OLD" a)" = 2 ] && [ "$(listed "$B" "$NEW" b)" = 2 ] && break; sleep 0.5; done
echo "== old1 servers:"; ax "$A" "$OLD" a get servers; echo "== new1 servers:"; ax "$B" "$NEW" b get servers
echo "== app on old1 -> 198.18.0.3:7000 (new1's server): $(ax "$A" "$OLD" a run -- socat -T 5 - TCP:198.18.0.3:7000 </dev/null 2>&1)"
echo "== app on new1 -> 198.18.0.4:7000 (old1's server): $(ax "$B" "$NEW" b run -- socat -T 5 - TCP:198.18.0.4:7000 </dev/null 2>&1)"
# Past one periodic push/pull each way (30 s) and some probes.
sleep "${CAPTURE_SECONDS:-35}"
stats() { ip netns exec "$1" curl -s --unix-socket "$T/$2-admin/api.sock" http://ax/api/v1/cluster/stats; echo; }
echo "== old1 stats: $(stats "$A" a)"; echo "== new1 stats: $(stats "$B" b)"
echo "== old1 sees:"; ax "$A" "$OLD" a get nodes; echo "== new1 sees:"; ax "$B" "$NEW" b get nodes
echo "== log lines about versions/decoding:"; grep -hiE "version|decode|refus" "$T/old1.log" "$T/new1.log" | head -20 || true
