#!/usr/bin/env bash
# `make demo-istio`: Istio traffic management applied by AppSwitch, no sidecar. Two node namespaces (node1
# 10.77.0.21, node2 10.77.0.22 on a bridge; nothing leaves them), an agent on each dialling "istiod" at
# 127.0.0.1:15010 — the stand-in Pilot of the tests (tests/xds-pilot, real ADS with Envoy v3 resources shaped as
# istiod's proxyless generator writes them), reached through socat. bookinfo's reviews v1 (node1) and v2 (node2) run
# under `ax run`; curl on node2 calls reviews at v1's virtual IP. The Pilot pushes a 50/50 weighted route (applied at
# connect: direct sockets), then a header route (`end-user: jason` → v2, else v1; applied by the HTTP relay).
# Everything the demo makes (processes, namespaces, temp files) is removed on exit, pass or fail.
nodes=(node1 node2)
declare -A address=([node1]=10.77.0.21 [node2]=10.77.0.22)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo "== building the stand-in Pilot (tests/xds-pilot)"
dotnet build -c Release --nologo -v:q "$root/tests/xds-pilot" -o "$root/out/xds-pilot" >"$work/pilot-build.log" 2>&1 \
    || { cat "$work/pilot-build.log"; exit 1; }
chmod 755 "$work"
coproc PILOT { exec "$root/out/xds-pilot/xds-pilot" --socket "$work/istiod.sock"; }
pids+=("$PILOT_PID")
read -r ready <&"${PILOT[0]}"
[[ $ready == ready* ]] || { echo "$demo: the Pilot did not start: $ready" >&2; exit 1; }
pilot() {  # pilot COMMAND…: one change at the Pilot; $pushed is the version the agents will ACK
    local answer
    echo "$*" >&"${PILOT[1]}"
    read -r answer <&"${PILOT[0]}"
    [[ $answer == ok* ]] || { echo "$demo: pilot $*: $answer" >&2; return 1; }
    pushed=${answer##* }
}

make_nodes
for node in "${nodes[@]}"; do   # each node's 127.0.0.1:15010 is istiod (its plaintext port)
    spawn "$node" socat TCP-LISTEN:15010,bind=127.0.0.1,fork,reuseaddr "UNIX-CONNECT:$work/istiod.sock"
    pids+=("$spawned")
done
start_daemons --xds-address 127.0.0.1:15010

server='import http.server, sys
v = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = f"reviews {v}\n".encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("0.0.0.0", 9080), H).serve_forever()'
declare -A vip=([v1]=198.18.17.1 [v2]=198.18.17.2) at=([v1]=node1 [v2]=node2)
for v in v1 v2; do
    # The subset's name is also a label: see NOTES "xds" (subset binding).
    printf '\n%s$ %s\n' "${at[$v]}" "ax run --ip ${vip[$v]} --name reviews --labels version=$v,zone=default --protocol http -- python3 -c \"\$server\" $v &"
    spawn "${at[$v]}" ax run --ip "${vip[$v]}" --name reviews --labels "version=$v,zone=default" --protocol http -- python3 -c "$server" "$v"
    pids+=("$spawned")
done
listed() { [ "$(on node2 ax get servers | grep -c ':9080 ')" = 2 ]; }
wait_for 30 "both reviews servers in node2's table" listed

acked() {  # acked VERSION: both agents ACKed this route version
    for node in "${nodes[@]}"; do
        on "$node" ax get xds -o json | python3 -c 'import json,sys; s=json.load(sys.stdin)["items"][0]
sys.exit(0 if any(t["type"]=="RouteConfiguration" and t.get("ackedVersion")==sys.argv[1] for t in s["types"]) else 1)' "$1" || return 1
    done
}
calls() {  # calls N [CURL ARG…]: N curls from node2 to reviews (v1's virtual IP); counts of each answer
    local n=$1; shift
    printf '\n%s$ %s\n' node2 "for i in \$(seq $n); do ax run -- curl -s ${*@Q}${*:+ }http://${vip[v1]}:9080/; done | sort | uniq -c"
    for _ in $(seq "$n"); do on node2 ax run -- curl -s --max-time 5 "$@" "http://${vip[v1]}:9080/" || echo "(failed)"; done | sort | uniq -c
}

echo; echo "== istiod: reviews with subsets v1 (${vip[v1]}) and v2 (${vip[v2]}); VirtualService: 50% v1, 50% v2"
pilot service reviews 9080 v1=${vip[v1]} v2=${vip[v2]}
pilot weighted reviews 9080 v1=50 v2=50
wait_for 30 "both agents to ACK route $pushed" acked "$pushed"
show node2 ax get xds
weighted=$(calls 20)
printf '%s\n' "$weighted"

echo; echo "== istiod: VirtualService with a header match: end-user: jason → v2, everyone else → v1"
pilot header reviews 9080 end-user=jason v2 v1
wait_for 30 "both agents to ACK route $pushed" acked "$pushed"
show node2 ax get xds
jason=$(calls 5 -H "end-user: jason")
printf '%s\n' "$jason"
others=$(calls 5)
printf '%s\n' "$others"
show node2 ax get proxies

if ! grep -q 'reviews v1' <<<"$weighted" || ! grep -q 'reviews v2' <<<"$weighted" \
    || ! grep -q '5 reviews v2' <<<"$jason" || ! grep -q '5 reviews v1' <<<"$others"; then
    echo; echo "$demo: FAILED: the answers above are not what istiod's routes say"
    exit 1
fi
echo; echo "$demo: OK: istiod's weighted and header routes applied by AppSwitch (no sidecar)"
