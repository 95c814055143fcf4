#!/usr/bin/env bash
# Installs the Debian packages the build, the demo and the tests use, when they are missing.
# Called by `make build` (and so by `make demo`, `make test`, `.ci/run`); a no-op when all is there.
# `install-deps.sh bench` adds the benchmark's tools (`make bench-deps`).
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# command → Debian package that provides it (busybox must be the static build)
missing=()
for pair in nginx:nginx curl:curl ip:iproute2 python3:python3 socat:socat iperf3:iperf3 \
            node:nodejs gcc:gcc make:make musl-gcc:musl-tools redis-server:redis-server \
            nft:nftables haproxy:haproxy dig:dnsutils; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
command -v dpkg-query >/dev/null 2>&1 && { installed busybox-static || missing+=(busybox-static); }
# kubectl (KubectlTests): the `kubectl` package where a Kubernetes apt repository (pkgs.k8s.io, Google Cloud SDK) offers
# it; Debian's own is `kubernetes-client` (bookworm: kubectl 1.20, older than the 1.32 the tests were written with).
if ! command -v kubectl >/dev/null 2>&1; then
    if apt-cache policy kubectl 2>/dev/null | grep -q 'Candidate: [0-9]'; then missing+=(kubectl); else missing+=(kubernetes-client); fi
fi
# `make image` and ContainerImageTests: buildah builds the image from scratch, podman runs it with runc (crun, podman's
# default, refuses hybrid cgroup hierarchies).
for pair in podman:podman buildah:buildah runc:runc; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
# The metrics test parses /metrics with Prometheus' own Python text parser.
command -v dpkg-query >/dev/null 2>&1 && { installed python3-prometheus-client || missing+=(python3-prometheus-client); }
# `install-deps.sh bench`: also what `make bench` compares against and plots with.
if [ "${1:-}" = bench ]; then
    for pair in wrk:wrk haproxy:haproxy; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    command -v dpkg-query >/dev/null 2>&1 && { installed python3-matplotlib || missing+=(python3-matplotlib); }
fi
# `install-deps.sh fuzz`: clang links libFuzzer (libclang-rt-dev's libclang_rt.fuzzer_no_main) into the library
# that drives the SharpFuzz targets (`make fuzz`).
if [ "${1:-}" = fuzz ]; then
    command -v clang >/dev/null 2>&1 || missing+=(clang)
    command -v dpkg-query >/dev/null 2>&1 && { installed libclang-rt-dev || missing+=(libclang-rt-dev); }
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing ${missing[*]}; install them (Debian/Ubuntu: apt-get install ${missing[*]})" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
# Keep package scripts from starting services (nginx would listen on the host's port 80).
policy=/usr/sbin/policy-rc.d made_policy=
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1; fi
apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
status=$?
[ -n "$made_policy" ] && rm -f "$policy"
[ $status -eq 0 ] || echo "install-deps: apt-get install failed ($status)" >&2
exit $status
