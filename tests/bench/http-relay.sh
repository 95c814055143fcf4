#!/usr/bin/env bash
# The L7 HTTP relay's cost per request (issue 6 point 5): wrk keep-alive requests to nginx, which runs under
# `ax run --name web --protocol http`, in four modes:
#   direct:      from the node's namespace to nginx's real node ip:port;
#   ax:          from under `ax run` to the virtual IP, no rule (after connect a plain kernel socket);
#   ax+other:    the same with a header rule on another service (must stay the direct socket);
#   ax+relay:    a header rule on `web` itself: every connection goes through the agent's HTTP relay.
# Prints medians of requests/s over RUNS runs. Traffic stays inside a namespace this script creates and removes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AX="$ROOT/out/bin/ax"
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNECTIONS=${CONNECTIONS:-8}
VIP=198.18.0.10
NODE_IP=10.77.0.10

for tool in nginx wrk; do command -v "$tool" >/dev/null || { echo "bench: $tool is missing; run 'make bench-deps'" >&2; exit 1; }; done
source "$ROOT/tests/bench/single-node.sh" axhttp

mkdir "$WORK/www"; head -c 1024 /dev/zero | tr '\0' x > "$WORK/www/index.html"
cat > "$WORK/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    server { listen 80; root $WORK/www; }
}
CONF
"${IN_NODE[@]}" "$AX" run --ip "$VIP" --name web --labels version=v1,zone=default --protocol http -- \
  nginx -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
NODE_PORT=""
for _ in $(seq 100); do
  NODE_PORT=$("${IN_NODE[@]}" "$AX" get servers -o json 2>/dev/null | python3 -c '
import json,sys
for s in json.load(sys.stdin)["items"]:
    if s["serviceAddr"] == "'"$VIP"':80": print(s["ipv4Addr"].rsplit(":",1)[1])' || true)
  [ -n "$NODE_PORT" ] && break; sleep 0.1
done
[ -n "$NODE_PORT" ] || { echo "bench: nginx never appeared in 'ax get servers'" >&2; exit 1; }

rule() { echo "{\"rules\":[{\"id\":\"$1\",\"destination\":\"$2\",\"match\":{\"headers\":{\"Cookie\":\"user=jason\"}},\"route\":{\"backends\":[{\"tags\":[\"version=v1\"]}]}}]}" > "$WORK/$1.json"
  "${IN_NODE[@]}" "$AX" create rule -f "$WORK/$1.json" >/dev/null; }
unrule() { "${IN_NODE[@]}" "$AX" delete rule "$1" >/dev/null; }
wrk_rps() { "$@" wrk -t 1 -c "$CONNECTIONS" -d "${SECONDS_PER_RUN}s" "http://$HOST/" | awk '/Requests\/sec/ {print $2}'; }
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

declare -a D A O R
for r in $(seq "$RUNS"); do
  HOST="$NODE_IP:$NODE_PORT"; D+=("$(wrk_rps "${IN_NODE[@]}")")
  HOST="$VIP:80"; A+=("$(wrk_rps "${IN_NODE[@]}" "$AX" run --)")
  rule other other; O+=("$(wrk_rps "${IN_NODE[@]}" "$AX" run --)"); unrule other
  rule web web; R+=("$(wrk_rps "${IN_NODE[@]}" "$AX" run --)"); unrule web
  echo "run $r/$RUNS: requests/s direct ${D[-1]} ax ${A[-1]} ax+other ${O[-1]} ax+relay ${R[-1]}" >&2
done
python3 - "$(median "${D[@]}")" "$(median "${A[@]}")" "$(median "${O[@]}")" "$(median "${R[@]}")" "$RUNS" "$CONNECTIONS" <<'PY'
import sys
d, a, o, r = map(float, sys.argv[1:5])
print(f"HTTP relay: wrk keep-alive requests/s to nginx, medians of {sys.argv[5]} runs, {sys.argv[6]} connections, "
      f"{open('/proc/cpuinfo').read().count('processor')} CPUs")
for name, value in (("direct", d), ("ax, no rule", a), ("ax, header rule on another service", o), ("ax, header rule (relay)", r)):
    print(f"{name:<38}{value:>12.0f}{value / d:>8.2f}")
PY
