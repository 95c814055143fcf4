#!/usr/bin/env bash
# `make demo`: the seed scenario on two nodes. Two network namespaces stand in for two nodes
# (node1 10.77.0.11, node2 10.77.0.12 on a bridge in a third namespace; no default route: nothing
# leaves them). Each runs the AppSwitch daemon with the other as neighbor; nginx serves on the
# virtual IP 198.18.0.1 on node1 and curl on node2 reaches it from the virtual IP 198.18.0.2 —
# node address to node address, no overlay, no proxy.
# Everything the demo makes (processes, namespaces, temp files) is removed on exit, pass or fail.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ax="$root/out/bin/ax"
[ -x "$ax" ] || { echo "demo: $ax not found: run \`make build\` first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (it creates network namespaces)" >&2; exit 1; }

id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
bridge="axt-$id-br"
work="/tmp/axt-$id"              # owner.pid keeps a concurrent test run's clean-up away from it
mkdir -p "$work/www" "$work/nginx"
echo $$ >"$work/owner.pid"
export PATH="$root/out/bin:$PATH"   # so that `ax` below is the one just built
declare -A daemon_pid
nginx_pid=

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
    for node in node1 node2; do stop "${daemon_pid[$node]:-}"; done
    for ns in "axt-$id-node1" "axt-$id-node2" "$bridge"; do
        if ip netns list | grep -q "^$ns\b"; then
            for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null; done
            ip netns del "$ns"
        fi
    done
    # The agents' socket-lock cgroups (children of this shell's cgroup), once the agents killed above have left them.
    local cgroup_root
    cgroup_root=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)$(sed -n 's/^0:://p' /proc/self/cgroup)
    for node in node1 node2; do
        local dir="$cgroup_root/axt-$id-$node"
        for _ in $(seq 50); do [ ! -d "$dir" ] || rmdir "$dir" 2>/dev/null || { sleep 0.1; continue; }; break; done
        [ ! -d "$dir" ] || echo "demo: could not remove cgroup $dir" >&2
    done
    if [ $status -ne 0 ]; then
        for node in node1 node2; do
            [ -s "$work/$node/daemon.log" ] || continue
            echo; echo "--- $node daemon log (last 20 lines) ---"; tail -n 20 "$work/$node/daemon.log"
        done
    fi
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# on NODE CMD…: run on a node, with that node's agent sockets
# (each agent also gets its own admin directory and socket-lock cgroup, so that two can share the machine)
node_prefix() {
    prefix=(ip netns exec "axt-$id-$1" env AX_SOCKET_DIR="$work/$1/sock" AX_ADMIN_SOCKET_DIR="$work/$1/admin"
            AX_SOCKET_LOCK_CGROUP="axt-$id-$1")
}
on() { local node=$1; shift; local prefix; node_prefix "$node"; "${prefix[@]}" "$@"; }
# spawn NODE CMD…: the same in the background; $spawned is the pid of CMD itself (ip execs env execs CMD), not of a
# subshell, so that stop() reaches it.
spawn() { local node=$1; shift; local prefix; node_prefix "$node"; "${prefix[@]}" "$@" & spawned=$!; }
show() { local node=$1; shift; printf '\n%s$ %s\n' "$node" "$*"; on "$node" "$@"; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND…: poll until COMMAND succeeds
    local deadline=$((SECONDS + $1)) what=$2; shift 2
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || { echo "demo: timed out waiting for $what" >&2; return 1; }
        sleep 0.1
    done
}

ip netns add "$bridge"
ip -n "$bridge" link add br0 type bridge
ip -n "$bridge" link set br0 up
declare -A address=([node1]=10.77.0.11 [node2]=10.77.0.12)
for node in node1 node2; do
    ns="axt-$id-$node"
    echo "== $node: network namespace $ns, eth0 ${address[$node]}/24 on a bridge, no default route"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add eth0 netns "$ns" type veth peer name "$node" netns "$bridge"
    ip -n "$bridge" link set "$node" master br0
    ip -n "$bridge" link set "$node" up
    ip -n "$ns" addr add "${address[$node]}/24" dev eth0
    ip -n "$ns" link set eth0 up
done

for node in node1 node2; do
    mkdir -p "$work/$node/sock"
    echo "== $node: ax daemon --node-interface eth0 --node-name $node --neighbors 10.77.0.11,10.77.0.12"
    spawn "$node" ax daemon --node-interface eth0 --node-name "$node" --neighbors 10.77.0.11,10.77.0.12 \
        >"$work/$node/daemon.log" 2>&1
    daemon_pid[$node]=$spawned
done
for node in node1 node2; do
    wait_for 30 "$node's daemon" on "$node" curl -sf --unix-socket "$work/$node/admin/api.sock" http://localhost/healthz
done
both_alive() { [ "$(on node2 ax get nodes | grep -c ' alive ')" = 2 ]; }
wait_for 30 "the two nodes to see each other" both_alive
show node2 ax get nodes

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
    server { listen 80; root $work/www; add_header X-Backend-Server node1; }
}
CONF
echo "served by nginx on node1 through a virtual IP" >"$work/www/index.html"

printf '\n%s$ %s\n' node1 "ax run --ip 198.18.0.1 -- nginx -g 'daemon off;' -c $work/nginx/nginx.conf &"
spawn node1 ax run --ip 198.18.0.1 -- nginx -g 'daemon off;' -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf"
nginx_pid=$spawned
server_on_node2() { on node2 ax get servers | grep -q '198\.18\.0\.1:80 '; }
wait_for 30 "nginx's server entry 198.18.0.1:80 to reach node2" server_on_node2

printf '\n%s$ %s\n' node2 "ax run --ip 198.18.0.2 curl -I 198.18.0.1"
curl_status=0
response=$(on node2 ax run --ip 198.18.0.2 curl -sI 198.18.0.1) || curl_status=$?
printf '%s\n' "$response"

show node2 ax get apps
show node2 ax get servers
show node1 ax get sockets

if [ $curl_status -ne 0 ] || ! grep -q '^HTTP/[0-9.]* 200' <<<"$response"; then
    echo; echo "demo: FAILED: curl through the virtual IP exited $curl_status"
    exit 1
fi
echo; echo "demo: OK: curl on node2 (198.18.0.2) reached nginx on node1 (198.18.0.1) through AppSwitch"
