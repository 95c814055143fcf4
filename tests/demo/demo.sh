#!/usr/bin/env bash
# `make demo`: the seed scenario on one node. A network namespace stands in for the node
# (10.77.0.10/24, no default route: nothing leaves it); the AppSwitch daemon runs there, nginx
# serves on the virtual IP 198.18.0.1 and curl reaches it from the virtual IP 198.18.0.2.
# Everything the demo makes (processes, namespace, temp files) is removed on exit, pass or fail.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ax="$root/out/bin/ax"
[ -x "$ax" ] || { echo "demo: $ax not found: run \`make build\` first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (it creates a network namespace)" >&2; exit 1; }

id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns="axt-$id-demo"
work="/tmp/axt-$id"              # owner.pid keeps a concurrent test run's clean-up away from it
mkdir -p "$work/sock" "$work/www" "$work/nginx"
echo $$ >"$work/owner.pid"
export AX_SOCKET_DIR="$work/sock"
export PATH="$root/out/bin:$PATH"   # so that `ax` below is the one just built
daemon_pid= nginx_pid=

stop() {  # SIGTERM, then SIGKILL after 5 s
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    local status=$?
    set +e
    stop "$nginx_pid"
    stop "$daemon_pid"
    if ip netns list | grep -q "^$ns\b"; then
        for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns"
    fi
    if [ $status -ne 0 ] && [ -s "$work/daemon.log" ]; then
        echo; echo "--- daemon log (last 30 lines) ---"; tail -n 30 "$work/daemon.log"
    fi
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

on_node() { ip netns exec "$ns" "$@"; }
show() { printf '\n$ %s\n' "$*"; on_node "$@"; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND…: poll until COMMAND succeeds
    local deadline=$((SECONDS + $1)) what=$2; shift 2
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || { echo "demo: timed out waiting for $what" >&2; return 1; }
        sleep 0.1
    done
}

echo "== node: network namespace $ns, eth0 10.77.0.10/24, no default route"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name eth0-peer
ip -n "$ns" addr add 10.77.0.10/24 dev eth0
ip -n "$ns" link set eth0 up
ip -n "$ns" link set eth0-peer up

echo "== ax daemon --node-interface eth0 --node-name demo (socket dir $AX_SOCKET_DIR)"
on_node ax daemon --node-interface eth0 --node-name demo --ports 40000-60000 >"$work/daemon.log" 2>&1 &
daemon_pid=$!
wait_for 30 "the daemon's /healthz" curl -sf --unix-socket "$AX_SOCKET_DIR/api.sock" http://localhost/healthz

cat >"$work/nginx/nginx.conf" <<CONF
master_process on;
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
    access_log $work/nginx/access.log;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    server { listen 80; root $work/www; }
}
CONF
echo "served by nginx on a virtual IP" >"$work/www/index.html"

printf '\n$ %s\n' "ax run --ip 198.18.0.1 -- nginx -g 'daemon off;' -c $work/nginx/nginx.conf &"
on_node ax run --ip 198.18.0.1 -- nginx -g 'daemon off;' -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
server_listed() { on_node ax get servers | grep -q '198\.18\.0\.1:80 '; }
wait_for 30 "nginx's server entry 198.18.0.1:80" server_listed

printf '\n$ %s\n' "ax run --ip 198.18.0.2 -- curl -sI http://198.18.0.1/"
curl_status=0
response=$(on_node ax run --ip 198.18.0.2 -- curl -sI http://198.18.0.1/) || curl_status=$?
printf '%s\n' "$response"

show ax get apps
show ax get servers
show ax get sockets

if [ $curl_status -ne 0 ] || ! grep -q '^HTTP/[0-9.]* 200' <<<"$response"; then
    echo; echo "demo: FAILED: curl through the virtual IP exited $curl_status"
    exit 1
fi
echo; echo "demo: OK: curl on 198.18.0.2 reached nginx on 198.18.0.1 through AppSwitch"
