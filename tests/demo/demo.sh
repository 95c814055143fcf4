#!/usr/bin/env bash
# `make demo`: the seed scenario on two nodes. Two network namespaces stand in for two nodes
# (node1 10.77.0.11, node2 10.77.0.12 on a bridge in a third namespace; no default route: nothing
# leaves them). Each runs the AppSwitch daemon with the other as neighbor; nginx serves on the
# virtual IP 198.18.0.1 on node1 and curl on node2 reaches it from the virtual IP 198.18.0.2 —
# node address to node address, no overlay, no proxy.
# Everything the demo makes (processes, namespaces, temp files) is removed on exit, pass or fail.
nodes=(node1 node2)
declare -A address=([node1]=10.77.0.11 [node2]=10.77.0.12)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mkdir -p "$work/www" "$work/nginx"

make_nodes
start_daemons
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
pids+=("$spawned")
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
