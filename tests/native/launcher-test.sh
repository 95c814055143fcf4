#!/usr/bin/env bash
# Tests of the static launcher `ax` against tests/native/fake_agent.py.
# Needs root (network namespaces). Usage: launcher-test.sh [path/to/ax]
# Builds native-shims into a temp dir when no path is given.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/ax-native-test.XXXXXX)
agent_pid=
cleanup() {
    [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

if [ $# -ge 1 ]; then
    ax=$1
else
    make -s -C "$root/native-shims" OUT="$work/bin" >/dev/null || { echo "build failed"; exit 1; }
    ax=$work/bin/ax
fi

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; shift; printf '     %s\n' "$@"; }

# start_agent [fake_agent options...]: a fresh fake agent serving $work/sock.
start_agent() {
    stop_agent
    rm -f "$work/log.jsonl"
    python3 "$here/fake_agent.py" --dir "$work/sock" --log "$work/log.jsonl" "$@" 2>"$work/agent.err" &
    agent_pid=$!
    for _ in $(seq 50); do
        [ -S "$work/sock/ax.sock" ] && return 0
        sleep 0.1
    done
    echo "fake agent did not start"; cat "$work/agent.err"; exit 1
}
stop_agent() {
    if [ -n "$agent_pid" ]; then
        kill "$agent_pid" 2>/dev/null
        wait "$agent_pid" 2>/dev/null
        agent_pid=
    fi
    rm -f "$work/sock/ax.sock"
}

# check NAME EXPECTED_RC EXPECTED_STDOUT_REGEX EXPECTED_STDERR_REGEX -- command...
check() {
    local name=$1 want_rc=$2 want_out=$3 want_err=$4
    shift 5
    local out err rc
    out=$(AX_SOCKET_DIR=$work/sock timeout 10 "$@" 2>"$work/stderr")
    rc=$?
    err=$(cat "$work/stderr")
    if [ "$rc" != "$want_rc" ]; then
        bad "$name" "exit $rc, want $want_rc" "stdout: $out" "stderr: $err"
    elif ! [[ "$out" =~ $want_out ]]; then
        bad "$name" "stdout does not match /$want_out/:" "$out"
    elif ! [[ "$err" =~ $want_err ]]; then
        bad "$name" "stderr does not match /$want_err/:" "$err"
    else
        ok "$name"
    fi
}

log_has() { # log_has NAME PYTHON_EXPR_ON_RECORD
    local name=$1 expr=$2
    sleep 0.2
    if python3 -c "
import json,sys
r=[json.loads(l) for l in open('$work/log.jsonl')][-1]
sys.exit(0 if ($expr) else 1)" 2>/dev/null; then ok "$name"; else bad "$name" "log: $(tail -1 "$work/log.jsonl" 2>/dev/null)"; fi
}

# --- the binary --------------------------------------------------------
if file "$ax" | grep -q 'statically linked' && ! ldd "$ax" >/dev/null 2>&1; then
    ok "binary is static ($(stat -c %s "$ax") bytes)"
else
    bad "binary is static" "$(file "$ax")"
fi

# --- no daemon -----------------------------------------------------------
check "no daemon: exact message" 1 '^$' \
    '^ax: cannot reach the AppSwitch daemon at '"$work"'/sock/ax.sock \(is `ax daemon` running\?\)$' -- \
    "$ax" run -- true
check "no daemon: --socket-dir in run options wins" 1 '^$' \
    '^ax: cannot reach the AppSwitch daemon at /nonexistent/ax.sock ' -- \
    "$ax" run --ip 1.2.3.4 --socket-dir /nonexistent --new-netns -- true
check "no daemon: global --socket-dir=" 1 '^$' 'daemon at /nonexistent2/ax.sock ' -- \
    "$ax" --socket-dir=/nonexistent2 run true
check "no daemon: --socket-dir after the command is the app's" 1 '^$' "daemon at $work/sock/ax.sock " -- \
    "$ax" run --ip 1.2.3.4 cmd --socket-dir /nonexistent
check "run --help without a daemon" 0 '--interface' '^$' -- "$ax" run --help
check "run -h lists --socket-dir" 0 '--socket-dir' '^$' -- "$ax" run -h

# --- normal runs -----------------------------------------------------------
start_agent
check "exit code propagates" 7 '^$' '^$' -- "$ax" run -- sh -c 'exit 7'
log_has "RUN carries argv, AX_ env, version 1" \
    "r['argv']==['--','sh','-c','exit 7'] and 'AX_SOCKET_DIR=$work/sock' in r['env'] and r['version']==1"
log_has "listener is a seccomp notify fd" "r['listener_target']=='anon_inode:seccomp notify' and r['launcher_closed']"
check "env forwarding: AX_*, POD_NAME, KUBERNETES_POD_NAME only" 0 '^$' '^$' -- \
    env -i PATH="$PATH" AX_SOCKET_DIR="$work/sock" AX_FOO=bar POD_NAME=p1 KUBERNETES_POD_NAME=k1 NOT_AX=x \
    "$ax" run --name web true
log_has "env forwarded" "sorted(r['env'])==sorted(['AX_FOO=bar','AX_SOCKET_DIR=$work/sock','POD_NAME=p1','KUBERNETES_POD_NAME=k1'])"
check "app sees the original environment" 0 '^x-y$' '^$' -- env NOT_AX=x-y "$ax" run -- sh -c 'echo $NOT_AX'
check "args after the command are untouched" 0 '^a b|--ip|c$' '^$' -- \
    "$ax" run --ip 1.1.1.1 printf '%s|' 'a b' --ip c
check "missing command" 127 '^$' '^ax: nosuchcmd-xyz: command not found$' -- "$ax" run --ip 1.2.3.4 nosuchcmd-xyz
check "missing command with a path" 127 '^$' '^ax: /nonexistent/bin: command not found$' -- "$ax" run /nonexistent/bin
check "not executable" 126 '^$' '^ax: /etc/passwd: Permission denied$' -- "$ax" run /etc/passwd
check "PATH search" 0 '^hello$' '^$' -- env PATH=/nonexistent:/usr/bin "$ax" run echo hello
# The app's fds must be what the same command has without ax, plus the listener copy the
# launcher leaves for a restarted agent (ls lists its own fds: what it inherited plus its
# directory fd). The copy's number is the one the LISTENER frame announced.
fds_plain=$(echo $(ls /proc/self/fd))
fds_ax=$(AX_SOCKET_DIR="$work/sock" sh -c 'echo $(exec '"$ax"' run -- ls /proc/self/fd)')
reclaim=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1]).get("reclaim_fd",""))' "$work/log.jsonl")
fds_expected=$(echo $( (echo $fds_plain | tr ' ' '\n'; echo "$reclaim") | sort))
fds_got=$(echo $(echo $fds_ax | tr ' ' '\n' | sort))
if [ -n "$reclaim" ] && [ "$fds_got" = "$fds_expected" ]; then ok "no fd leaks into the app (but the listener copy at $reclaim)"
else bad "no fd leaks into the app" "got [$fds_ax], want [$fds_plain] plus the listener copy [$reclaim]"; fi
check "new netns: nothing of the host's" 0 '^$' '^$' -- \
    "$ax" run -- sh -c '[ "$(readlink /proc/self/ns/net)" != "'"$(readlink /proc/self/ns/net)"'" ]'
check "--new-netns=false keeps the namespace" 0 '^$' '^$' -- \
    "$ax" run --new-netns=false -- sh -c '[ "$(readlink /proc/self/ns/net)" = "'"$(readlink /proc/self/ns/net)"'" ]'
stop_agent

# ip binds its netlink socket: bind() is trapped, so the agent must answer.
start_agent --continue
check "ip link in the new netns: only lo, up" 0 '^lo: <LOOPBACK,UP,LOWER_UP>$' '^$' -- \
    "$ax" run -- sh -c 'ip -o link | cut -d" " -f2,3'
stop_agent
start_agent --continue
check "the filter traps connect (nc to loopback)" 1 '' '' -- \
    "$ax" run -- python3 -c 'import socket; s=socket.socket(); s.connect(("127.0.0.1", 9))'
connect_nr=$(python3 -c 'import platform; print({"x86_64": 42, "aarch64": 203}[platform.machine()])')
log_has "connect was seen by the agent" "any(c['nr']==$connect_nr for c in r['trapped'])"
stop_agent

start_agent --continue --interface ax-test0
check "--interface creates it, up" 0 '^lo ax-test0 <[A-Z_,]*,UP[,>]' '^$' -- \
    "$ax" run --interface ax-test0 -- sh -c 'echo $(ip -o link | cut -d" " -f2 | tr -d :) $(ip -o link show ax-test0 | cut -d" " -f3)'
stop_agent
if ip link show ax-test0 >/dev/null 2>&1; then bad "interface stayed out of the host"; else ok "interface stayed out of the host"; fi
start_agent --interface 'bad/name'
check "bad interface name" 1 '^$' "^ax: invalid interface name 'bad/name'$" -- "$ax" run true
stop_agent

# --- users -------------------------------------------------------------------
start_agent --user nobody
check "--user nobody" 0 "^$(id -u nobody) $(id -g nobody) nobody $(getent passwd nobody | cut -d: -f6)$" '^$' -- \
    "$ax" run -- sh -c 'echo $(id -u) $(id -g) $USER $HOME'
stop_agent
start_agent --user 12345
check "--user numeric, not in passwd" 0 '^12345 12345 12345$' '^$' -- "$ax" run -- sh -c 'echo $(id -u) $(id -g) $(id -G)'
stop_agent
start_agent --user 0
check "--user 0 (root) keeps root" 0 '^0 root$' '^$' -- "$ax" run -- sh -c 'echo $(id -u) $USER'
stop_agent
# Supplementary groups come from /etc/group (a user listed as a member somewhere).
member=$(awk -F: '$4 != "" { split($4, m, ","); print m[1]; exit }' /etc/group)
if [ -n "$member" ] && id "$member" >/dev/null 2>&1; then
    start_agent --continue --user "$member"   # id may ask nscd/systemd over AF_UNIX: let it
    check "--user $member gets its supplementary groups" 0 "^$(id -G "$member" | tr ' ' '\n' | sort -n | xargs)\$" '^$' -- \
        "$ax" run -- sh -c 'id -G | tr " " "\n" | sort -n | xargs'
    stop_agent
fi
start_agent --user no-such-user
check "unknown user" 1 '^$' "^ax: unknown user 'no-such-user'$" -- "$ax" run true
stop_agent

# --- agent refusals and failures ------------------------------------------------
start_agent --error-at plan --error-code 2 --error-message 'run: --ip: not an IPv4 address'
check "ERROR instead of PLAN" 2 '^$' '^ax: run: --ip: not an IPv4 address$' -- "$ax" run --ip x true
stop_agent
start_agent --error-at ready --error-code 9 --error-message 'registration failed'
check "ERROR instead of READY" 9 '^$' '^ax: registration failed$' -- "$ax" run true
stop_agent
start_agent --error-at ready --error-code 0 --error-message 'zero'
check "ERROR with exit code 0 still fails" 1 '^$' '^ax: zero$' -- "$ax" run true
stop_agent
for when in plan ready; do
    start_agent --close-at $when
    check "agent closes at $when" 1 '^$' "^ax: the AppSwitch daemon at $work/sock/ax.sock closed the connection unexpectedly$" -- \
        "$ax" run true
    stop_agent
    start_agent --garble $when
    check "garbled $when" 1 '^$' 'closed the connection unexpectedly$' -- "$ax" run true
    stop_agent
done
start_agent
big=$(head -c 120000 /dev/zero | tr '\0' a)
check "RUN over 1 MiB is refused" 2 '^$' 'too long' -- "$ax" run -- true $big $big $big $big $big $big $big $big $big
stop_agent
start_agent --command-index 5
check "command index out of range" 1 '^$' 'closed the connection unexpectedly$' -- "$ax" run true
stop_agent

# --- dispatch to the CLI and the agent ---------------------------------------------
lib=$work/lib
mkdir -p "$lib/cli" "$lib/agent"
printf '#!/bin/sh\necho "cli $*|$AX_SOCKET_DIR"\n' >"$lib/cli/ax-cli"
printf '#!/bin/sh\necho "agent $*|$AX_SOCKET_DIR"\n' >"$lib/agent/appswitch-agent"
chmod +x "$lib/cli/ax-cli" "$lib/agent/appswitch-agent"
check "get goes to the CLI" 0 '^cli get apps\|' '^$' -- env AX_LIBEXEC_DIR="$lib" "$ax" get apps
check "no args go to the CLI" 0 '^cli \|' '^$' -- env AX_LIBEXEC_DIR="$lib" "$ax"
check "--help goes to the CLI" 0 '^cli --help\|' '^$' -- env AX_LIBEXEC_DIR="$lib" "$ax" --help
check "daemon goes to the agent" 0 '^agent --clean --ports 1-2\|' '^$' -- \
    env AX_LIBEXEC_DIR="$lib" "$ax" daemon --clean --ports 1-2
check "global --socket-dir is exported and removed" 0 '^cli get apps\|/x/y$' '^$' -- \
    env AX_LIBEXEC_DIR="$lib" "$ax" --socket-dir /x/y get apps
check "global --socket-dir= before daemon" 0 '^agent --clean\|/q$' '^$' -- \
    env AX_LIBEXEC_DIR="$lib" "$ax" --socket-dir=/q daemon --clean
check "missing CLI" 1 '^$' "^ax: cannot find /nonexistent/cli/ax-cli \(is AppSwitch installed completely\?\)$" -- \
    env AX_LIBEXEC_DIR=/nonexistent "$ax" version
# Without AX_LIBEXEC_DIR: <dir of the real binary>/../lib/appswitch.
mkdir -p "$work/prefix/bin"
cp "$ax" "$work/prefix/bin/ax"
ln -s "$work/prefix/bin/ax" "$work/ax-link"
check "libdir from /proc/self/exe (through a symlink)" 1 '^$' \
    "^ax: cannot find $work/prefix/lib/appswitch/agent/appswitch-agent " -- env -u AX_LIBEXEC_DIR "$work/ax-link" daemon

echo "passed $pass, failed $fail"
[ "$fail" = 0 ]
