#!/usr/bin/env bash
# `make bench-cluster`: our gossip (tests/bench/gossip-bench, N members in one process) side by side with
# HashiCorp Serf from Debian (N `serf agent` processes), both at their default LAN profile, all on 127.0.0.1.
# Each side runs in a network namespace of its own, so that lo carries only its traffic (bytes per member
# are read from lo's counters there: wire bytes including IP/UDP/TCP headers, the same measure for both).
#   join convergence : from the start of the last member/agent (started one after another, each joining the
#                      first) until every one lists all N alive
#   failure detection: from kill -9 of one member/agent until every other lists it dead (Serf: failed)
# Serf agents are started one after another, each once the previous answers on RPC; ours are started with the
# same mean gap. Env: N (default 100), N_LARGE (ours only, default 300), QUIET_SECONDS (default 10).
# Everything started here (agents, namespaces, temp files) is removed on exit, pass or fail.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${N:-100}
N_LARGE=${N_LARGE:-300}
QUIET_SECONDS=${QUIET_SECONDS:-10}
DOTNET=${DOTNET:-dotnet}

[ "$(id -u)" = 0 ] || { echo "cluster-vs-serf: needs root (network namespaces)" >&2; exit 1; }

# Serf and the msgpack module the Serf RPC reader uses (Debian packages).
need=()
command -v serf >/dev/null 2>&1 || need+=(serf)
/usr/bin/python3 -c 'import msgpack' 2>/dev/null || need+=(python3-msgpack)
if [ ${#need[@]} -gt 0 ]; then
    echo "cluster-vs-serf: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/ax-bench-cluster.XXXXXX)
ns_serf="axbench-$$-serf"
ns_ours="axbench-$$-ours"

cleanup() {
    local ns pid
    for ns in "$ns_serf" "$ns_ours"; do
        ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ns in "$ns_serf" "$ns_ours"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done

echo "== building gossip-bench"
"$DOTNET" build -c Release --nologo -v:q "$root/tests/bench/gossip-bench" -o "$work/gossip-bench" >"$work/build.log" 2>&1 \
    || { cat "$work/build.log"; exit 1; }

# RESULT lines → result_<side>_<key>
collect() {
    local side=$1 file=$2 key value
    while read -r _ key value; do
        printf -v "result_${side}_${key}" '%s' "$value"
    done < <(grep '^RESULT ' "$file")
}
get() { local v="result_$1_$2"; echo "${!v:-}"; }

echo "== Serf $(serf version | head -n1), N=$N"
timeout 300 ip netns exec "$ns_serf" /usr/bin/python3 "$root/tests/bench/serf_bench.py" \
    --nodes "$N" --quiet-seconds "$QUIET_SECONDS" | tee "$work/serf.out"
collect serf "$work/serf.out"
for pid in $(ip netns pids "$ns_serf"); do kill -KILL "$pid" 2>/dev/null || true; done
gap=$(get serf serf_start_gap_ms)
gap=${gap:-50}

echo "== ours, N=$N (started ${gap} ms apart)"
timeout 300 ip netns exec "$ns_ours" "$DOTNET" "$work/gossip-bench/GossipBench.dll" \
    --nodes "$N" --stagger-ms "$gap" --quiet-seconds "$QUIET_SECONDS" | tee "$work/ours.out"
collect ours "$work/ours.out"

echo "== ours, N=$N_LARGE (started ${gap} ms apart)"
timeout 300 ip netns exec "$ns_ours" "$DOTNET" "$work/gossip-bench/GossipBench.dll" \
    --nodes "$N_LARGE" --stagger-ms "$gap" --quiet-seconds "$QUIET_SECONDS" | tee "$work/large.out"
collect large "$work/large.out"

ratio() { if [ -n "$1" ] && [ -n "$2" ] && [ "$2" != 0 ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo "n/a"; fi; }
cell() { if [ -n "$1" ]; then echo "$1"; else echo "n/a"; fi; }
row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$(cell "$2")" "$(cell "$3")" "$(ratio "$2" "$3")" "$(cell "$4")"; }

echo
echo "== $(date -u +%F), $(nproc) CPUs, LAN profiles, 127.0.0.1 (ratio = ours / Serf; lower is better)"
echo "| metric (N=$N unless noted) | ours | Serf | ratio | ours N=$N_LARGE |"
echo "|---|---|---|---|---|"
row "join convergence after the last start, max (ms)" "$(get ours join_ms)" "$(get serf serf_join_ms)" "$(get large join_ms)"
row "kill -9 → dead/failed on every other member (ms)" "$(get ours dead_ms)" "$(get serf serf_dead_ms)" "$(get large dead_ms)"
row "bytes/s per member on lo, quiet (wire, with headers)" "$(get ours lo_bytes_per_s_per_member)" "$(get serf serf_lo_bytes_per_s_per_member)" "$(get large lo_bytes_per_s_per_member)"
row "bytes/s per member, gossip payload (our counters)" "$(get ours bytes_per_s_per_member)" "" "$(get large bytes_per_s_per_member)"
row "new entry on every member, p50 (ms)" "$(get ours state_p50_ms)" "" "$(get large state_p50_ms)"
row "new entry on every member, p99 (ms)" "$(get ours state_p99_ms)" "" "$(get large state_p99_ms)"
