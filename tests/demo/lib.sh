# Shared by the demos (sourced): node namespaces on a bridge (no default route: nothing leaves them), an AppSwitch
# daemon on each, and the helpers `on`, `spawn`, `show`, `wait_for`. Everything made here (processes in `pids`,
# namespaces, socket-lock cgroups, $work) is removed on exit, pass or fail.
# The caller sets `nodes` (names) and `address` (name → IPv4 on the bridge's /24) before `make_nodes`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ax="$root/out/bin/ax"
demo=$(basename "$0" .sh)
[ -x "$ax" ] || { echo "$demo: $ax not found: run \`make build\` first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "$demo: needs root (it creates network namespaces)" >&2; exit 1; }

id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
bridge="axt-$id-br"
work="/tmp/axt-$id"              # owner.pid keeps a concurrent test run's clean-up away from it
mkdir -p "$work"
echo $$ >"$work/owner.pid"
export PATH="$root/out/bin:$PATH"   # so that `ax` below is the one just built
declare -A daemon_pid
pids=()                             # other processes to stop on exit (servers, socat, …)

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
    for pid in "${pids[@]}"; do stop "$pid"; done
    for node in "${nodes[@]}"; do stop "${daemon_pid[$node]:-}"; done
    for ns in "${nodes[@]/#/axt-$id-}" "$bridge"; do
        if ip netns list | grep -q "^$ns\b"; then
            for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null; done
            ip netns del "$ns"
        fi
    done
    # The agents' socket-lock cgroups (children of this shell's cgroup), once the agents killed above have left them.
    local cgroup_root
    cgroup_root=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)$(sed -n 's/^0:://p' /proc/self/cgroup)
    for node in "${nodes[@]}"; do
        local dir="$cgroup_root/axt-$id-$node"
        for _ in $(seq 50); do [ ! -d "$dir" ] || rmdir "$dir" 2>/dev/null || { sleep 0.1; continue; }; break; done
        [ ! -d "$dir" ] || echo "$demo: could not remove cgroup $dir" >&2
    done
    if [ $status -ne 0 ]; then
        for node in "${nodes[@]}"; do
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
        [ $SECONDS -lt $deadline ] || { echo "$demo: timed out waiting for $what" >&2; return 1; }
        sleep 0.1
    done
}

# make_nodes: a namespace per node with eth0 on the bridge.
make_nodes() {
    ip netns add "$bridge"
    ip -n "$bridge" link add br0 type bridge
    ip -n "$bridge" link set br0 up
    for node in "${nodes[@]}"; do
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
}

# start_daemons [FLAG…]: `ax daemon` on every node, each with all nodes as neighbors, then waits until they see
# each other.
start_daemons() {
    local neighbors
    neighbors=$(IFS=,; echo "${address[*]}")
    for node in "${nodes[@]}"; do
        mkdir -p "$work/$node/sock"
        echo "== $node: ax daemon --node-interface eth0 --node-name $node --neighbors $neighbors $*"
        spawn "$node" ax daemon --node-interface eth0 --node-name "$node" --neighbors "$neighbors" "$@" \
            >"$work/$node/daemon.log" 2>&1
        daemon_pid[$node]=$spawned
    done
    for node in "${nodes[@]}"; do
        wait_for 30 "$node's daemon" on "$node" curl -sf --unix-socket "$work/$node/admin/api.sock" http://localhost/healthz
    done
    all_alive() { [ "$(on "${nodes[-1]}" ax get nodes | grep -c ' alive ')" = "${#nodes[@]}" ]; }
    wait_for 30 "the nodes to see each other" all_alive
}
