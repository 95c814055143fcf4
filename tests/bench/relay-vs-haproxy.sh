#!/usr/bin/env bash
# Relay benchmark (issue 5 point 4): the AppSwitch relay against haproxy, same machine, same run.
# Two node namespaces joined by a veth pair, an agent on each (one cluster). netbench's server runs under
# `ax run` on n1 with `--expose 80:N2:8080`, so n2's agent relays N2:8080 to it; haproxy (mode tcp) runs in n2
# on N2:8081 towards the same server. The client runs in n2 without AppSwitch:
#   direct:  to the server's node ip:port on n1 (the floor both relays add to),
#   relay:   N2:8080,  haproxy: N2:8081.
# (a) connect–request–close cycles, (b) one bulk transfer. Medians over RUNS runs; relay/haproxy ratios.
# Traffic stays inside namespaces this script creates (no default route) and removes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AX="$ROOT/out/bin/ax"
RUNS=${RUNS:-5}
CYCLES=${CYCLES:-5000}
BULK_BYTES=${BULK_BYTES:-1073741824}
RELAY_COPY=${RELAY_COPY:-splice}   # the relay's copy engine: splice or buffers
VIP=198.18.0.1
N1=10.77.0.11
N2=10.77.0.12

[ -x "$AX" ] || { echo "bench: $AX is missing; run 'make build' first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
command -v haproxy >/dev/null || { echo "bench: haproxy is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/axrelay.XXXXXX)
TAG=axr-$(basename "$WORK" | tail -c 7 | tr 'A-Z' 'a-z')
NS1=$TAG-n1; NS2=$TAG-n2
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  # The server lives in a network namespace of its own (ax run's), out of reach of `ip netns pids`.
  pkill -f "^$WORK/netbench server" 2>/dev/null || true
  for ns in "$NS1" "$NS2"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; done
  ip netns del "$NS1" 2>/dev/null || true
  ip netns del "$NS2" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

gcc -O2 -Wall -pthread -o "$WORK/netbench" "$ROOT/tests/bench/netbench.c"

ip netns add "$NS1"; ip netns add "$NS2"
ip link add eth0 netns "$NS1" type veth peer name eth0 netns "$NS2"
ip -n "$NS1" addr add "$N1/24" dev eth0; ip -n "$NS2" addr add "$N2/24" dev eth0
for ns in "$NS1" "$NS2"; do
  ip -n "$ns" link set lo up; ip -n "$ns" link set eth0 up
  # Many short connections: reuse TIME_WAIT ports instead of running out of them.
  ip netns exec "$ns" sysctl -q -w net.ipv4.tcp_tw_reuse=1
done
in_ns() { local ns=$1 dir=$2; shift 2; ip netns exec "$ns" env AX_SOCKET_DIR="$dir" AX_ADMIN_SOCKET_DIR="$dir-admin" "$@"; }

for i in 1 2; do
  ns=$TAG-n$i; dir=$WORK/sock$i
  ip netns exec "$ns" env AX_SOCKET_DIR="$dir" AX_ADMIN_SOCKET_DIR="$dir-admin" AX_RELAY_COPY="$RELAY_COPY" "$AX" daemon --socket-dir "$dir" --node-interface eth0 --node-name "n$i" --rest-port 0 \
    --cluster axrelay --neighbors "$N1,$N2" >"$WORK/agent$i.log" 2>&1 &
  PIDS+=($!)
done
RELAY_PID=${PIDS[1]}   # ip netns exec, env and the ax launcher exec: this is n2's agent
for i in 1 2; do
  for _ in $(seq 100); do [ -S "$WORK/sock$i/ax.sock" ] && [ -S "$WORK/sock$i-admin/api.sock" ] && break; sleep 0.1; done
  [ -S "$WORK/sock$i/ax.sock" ] || { cat "$WORK/agent$i.log" >&2; echo "bench: agent n$i did not start" >&2; exit 1; }
done

in_ns "$NS1" "$WORK/sock1" "$AX" run --ip "$VIP" --expose "80:$N2:8080" -- "$WORK/netbench" server 80 >"$WORK/server.log" 2>&1 &
PIDS+=($!)
# Wait for n2's relay to listen, and read the server's node address from it.
TARGET=""
for _ in $(seq 200); do
  TARGET=$(in_ns "$NS2" "$WORK/sock2" "$AX" get proxies -o json 2>/dev/null | python3 -c '
import json,sys
for p in json.load(sys.stdin)["items"]:
    if p["listener"] == "'"$N2"':8080" and p["state"] == "listening" and not p["dialers"].startswith("<none>"): print(p["dialers"].split()[0])' || true)
  [ -n "$TARGET" ] && break; sleep 0.1
done
[ -n "$TARGET" ] || { cat "$WORK"/agent*.log >&2; echo "bench: n2 never listed a listening relay" >&2; exit 1; }

cat >"$WORK/haproxy.cfg" <<CFG
global
    maxconn 4096
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
listen relay
    bind $N2:8081
    server app $TARGET
CFG
ip netns exec "$NS2" haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
HAPROXY_PID=$!
PIDS+=($HAPROXY_PID)
listening() { ip netns exec "$NS2" bash -c "exec 3<>/dev/tcp/$N2/8081" 2>/dev/null; }
for _ in $(seq 100); do listening && break; sleep 0.1; done
listening || { cat "$WORK/haproxy.log" >&2; echo "bench: haproxy did not listen" >&2; exit 1; }

field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"; }
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
client() { ip netns exec "$NS2" "$WORK/netbench" "$1" "$2" "$3" "$4" | field "$5"; }
cycles() { client cycles "$1" "$2" "$CYCLES" per_second; }
# CPU time (user+system clock ticks, all threads) a process spent; summed over the bulk runs of each relay,
# it gives CPU seconds per GiB relayed, which other load on the machine disturbs far less than throughput.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
RELAY_TICKS=0; HAPROXY_TICKS=0
bulk() {
  local pid=""; [ "$2" = 8080 ] && pid=$RELAY_PID; [ "$2" = 8081 ] && pid=$HAPROXY_PID
  local before=0; [ -n "$pid" ] && before=$(ticks "$pid")
  client bulk "$1" "$2" "$BULK_BYTES" gbit_per_second
  [ "$2" = 8080 ] && echo $(( $(ticks "$pid") - before )) >>"$WORK/relay.ticks"
  [ "$2" = 8081 ] && echo $(( $(ticks "$pid") - before )) >>"$WORK/haproxy.ticks"
  return 0
}

declare -a CD CR CH BD BR BH
for r in $(seq "$RUNS"); do
  # Alternate the order so that drift (other load, CPU frequency) does not favour one side.
  if [ $((r % 2)) = 1 ]; then
    CR+=("$(cycles "$N2" 8080)"); CH+=("$(cycles "$N2" 8081)"); BR+=("$(bulk "$N2" 8080)"); BH+=("$(bulk "$N2" 8081)")
  else
    CH+=("$(cycles "$N2" 8081)"); CR+=("$(cycles "$N2" 8080)"); BH+=("$(bulk "$N2" 8081)"); BR+=("$(bulk "$N2" 8080)")
  fi
  CD+=("$(cycles "${TARGET%:*}" "${TARGET##*:}")"); BD+=("$(bulk "${TARGET%:*}" "${TARGET##*:}")")
  echo "run $r/$RUNS: cycles/s direct ${CD[-1]} relay ${CR[-1]} haproxy ${CH[-1]}; Gbit/s direct ${BD[-1]} relay ${BR[-1]} haproxy ${BH[-1]}" >&2
done

python3 - "$(median "${CD[@]}")" "$(median "${CR[@]}")" "$(median "${CH[@]}")" \
          "$(median "${BD[@]}")" "$(median "${BR[@]}")" "$(median "${BH[@]}")" "$RUNS" "$CYCLES" "$BULK_BYTES" "$(cat /proc/loadavg)" "$RELAY_COPY" \
          "$(awk '{s+=$1} END {print s+0}' "$WORK/relay.ticks")" "$(awk '{s+=$1} END {print s+0}' "$WORK/haproxy.ticks")" "$(getconf CLK_TCK)" <<'PY'
import sys
cd, cr, ch, bd, br, bh = map(float, sys.argv[1:7]); runs, cycles, size, load, copy = sys.argv[7:12]
gib = int(runs) * int(size) / (1 << 30)
rcpu, hcpu = (int(t) / int(sys.argv[14]) / gib for t in sys.argv[12:14])
print(f"Relay ({copy} copy) vs haproxy, medians of {runs} runs ({cycles} cycles, {int(size) >> 20} MiB bulk), "
      f"{open('/proc/cpuinfo').read().count('processor')} CPUs, loadavg after: {' '.join(load.split()[:3])}")
print(f"{'workload':<34}{'direct':>10}{'relay':>10}{'haproxy':>10}{'relay/haproxy':>15}")
print(f"{'connect-request-close (cycles/s)':<34}{cd:>10.0f}{cr:>10.0f}{ch:>10.0f}{cr/ch:>15.2f}")
print(f"{'bulk transfer (Gbit/s)':<34}{bd:>10.2f}{br:>10.2f}{bh:>10.2f}{br/bh:>15.2f}")
print(f"{'bulk: relay CPU (s per GiB)':<34}{'':>10}{rcpu:>10.3f}{hcpu:>10.3f}{rcpu/hcpu:>15.2f}")
PY
