#!/usr/bin/env bash
# First data-path benchmark (issue 2): the same client program talks to the same server
#   direct: to the server's real node ip:port, from the node's namespace (no AppSwitch on the client);
#   ax:     to the server's virtual IP, from a client under `ax run`.
# (a) connect–request–close cycles, (b) one bulk transfer. Prints medians over RUNS runs and ax/direct.
# ROUTE_RULE=1: the server is the named service `bench` with an Amalgam8 route rule, so every ax connect is
# chosen by the rule picker (the cost of L4 rules next to the plain path).
# ROUTE_RULE=2: the server is the `http` service `bench` and a header rule (L7) exists for another service only:
# the connect path must stay the direct socket (the relay is used only for the rule's own service).
# Traffic stays inside a network namespace this script creates (no default route) and removes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AX="$ROOT/out/bin/ax"
RUNS=${RUNS:-5}
CYCLES=${CYCLES:-10000}
BULK_BYTES=${BULK_BYTES:-1073741824}
ROUTE_RULE=${ROUTE_RULE:-0}
VIP=198.18.0.1
NODE_IP=10.77.0.10

source "$ROOT/tests/bench/single-node.sh" axbench
gcc -O2 -Wall -pthread -o "$WORK/netbench" "$ROOT/tests/bench/netbench.c"

SERVICE_FLAGS=()
[ "$ROUTE_RULE" = 1 ] && SERVICE_FLAGS=(--name bench)
[ "$ROUTE_RULE" = 2 ] && SERVICE_FLAGS=(--name bench --protocol http)
"${IN_NODE[@]}" "$AX" run --ip "$VIP" "${SERVICE_FLAGS[@]}" -- "$WORK/netbench" server 80 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
if [ "$ROUTE_RULE" = 1 ]; then
  echo '{"rules":[{"id":"bench","destination":"bench","route":{"backends":[{"tags":["zone=default"]}]}}]}' > "$WORK/rule.json"
  "${IN_NODE[@]}" "$AX" create rule -f "$WORK/rule.json" >/dev/null
elif [ "$ROUTE_RULE" = 2 ]; then
  echo '{"rules":[{"id":"other","destination":"other","match":{"headers":{"Cookie":"user=jason"}},"route":{"backends":[{"tags":["v2"]}]}}]}' \
    > "$WORK/rule.json"
  "${IN_NODE[@]}" "$AX" create rule -f "$WORK/rule.json" >/dev/null
fi
NODE_PORT=""
for _ in $(seq 100); do
  NODE_PORT=$("${IN_NODE[@]}" "$AX" get servers -o json 2>/dev/null | python3 -c '
import json,sys
for s in json.load(sys.stdin)["items"]:
    if s["serviceAddr"] == "'"$VIP"':80": print(s["ipv4Addr"].rsplit(":",1)[1])' || true)
  [ -n "$NODE_PORT" ] && break; sleep 0.1
done
[ -n "$NODE_PORT" ] || { echo "bench: the server never appeared in 'ax get servers'" >&2; exit 1; }

field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"; }
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

declare -a CD CA BD BA
direct() { "${IN_NODE[@]}" "$WORK/netbench" "$1" "$NODE_IP" "$NODE_PORT" "$2" | field "$3"; }
via_ax() { "${IN_NODE[@]}" "$AX" run -- "$WORK/netbench" "$1" "$VIP" 80 "$2" | field "$3"; }
for r in $(seq "$RUNS"); do
  # Alternate which mode goes first so that drift (page cache, CPU frequency) does not favour one.
  if [ $((r % 2)) = 1 ]; then
    CD+=("$(direct cycles "$CYCLES" per_second)"); CA+=("$(via_ax cycles "$CYCLES" per_second)")
    BD+=("$(direct bulk "$BULK_BYTES" gbit_per_second)"); BA+=("$(via_ax bulk "$BULK_BYTES" gbit_per_second)")
  else
    CA+=("$(via_ax cycles "$CYCLES" per_second)"); CD+=("$(direct cycles "$CYCLES" per_second)")
    BA+=("$(via_ax bulk "$BULK_BYTES" gbit_per_second)"); BD+=("$(direct bulk "$BULK_BYTES" gbit_per_second)")
  fi
  echo "run $r/$RUNS: cycles/s direct ${CD[-1]} ax ${CA[-1]}; Gbit/s direct ${BD[-1]} ax ${BA[-1]}" >&2
done

cd_m=$(median "${CD[@]}"); ca_m=$(median "${CA[@]}"); bd_m=$(median "${BD[@]}"); ba_m=$(median "${BA[@]}")
python3 - "$cd_m" "$ca_m" "$bd_m" "$ba_m" "$RUNS" "$CYCLES" "$BULK_BYTES" "$ROUTE_RULE" <<'PY'
import sys
cd, ca, bd, ba = map(float, sys.argv[1:5]); runs, cycles, size = sys.argv[5:8]
mode = {'1': ' (route rule on the service)', '2': ' (header rule on another service)'}.get(sys.argv[8], '')
print(f"AppSwitch data path{mode}, medians of {runs} runs ({cycles} cycles, {int(size) >> 20} MiB bulk), {open('/proc/cpuinfo').read().count('processor')} CPUs")
print(f"{'workload':<34}{'direct':>12}{'ax':>12}{'ax/direct':>11}")
print(f"{'connect-request-close (cycles/s)':<34}{cd:>12.0f}{ca:>12.0f}{ca/cd:>11.2f}")
print(f"{'bulk transfer (Gbit/s)':<34}{bd:>12.2f}{ba:>12.2f}{ba/bd:>11.2f}")
PY
