# AppSwitch for .NET — build, test, demo, install.
# `make build` lays out out/ as an installation prefix:
#   out/bin/ax                      the static launcher (runs `ax run`, hands the rest on)
#   out/lib/appswitch/cli/ax-cli    the C# CLI (get, create, delete, …)
#   out/lib/appswitch/agent/appswitch-agent   the daemon (`ax daemon` execs it)
PREFIX ?= /usr/local
OUT    := out
CONFIG ?= Release
DOTNET ?= dotnet
# Precompiled (ReadyToRun) for this machine's architecture: `ax get` starts faster and the agent's
# first calls need no JIT. Framework-dependent: the .NET runtime must be installed.
RID := linux-$(subst aarch64,arm64,$(subst x86_64,x64,$(shell uname -m)))
DOTNET_FLAGS := -c $(CONFIG) --nologo -v:q -p:UseAppHost=true -p:PublishReadyToRun=true -r $(RID) --self-contained false

.PHONY: all deps build native cli agent image format check-format test test-slow demo demo-istio bench bench-udp bench-xds bench-single bench-relay bench-http-relay bench-deps bench-cluster bench-promises bench-cli bench-ctlload bench-scale bench-memory soak fuzz fuzz-live install uninstall clean

all: build

build: deps native cli agent

# The Debian packages the build, the demo and the tests use (installed when missing).
deps:
	bash scripts/install-deps.sh

native: deps
	$(MAKE) -C native-shims OUT=$(CURDIR)/$(OUT)/bin

# The CLI is published with NativeAOT (ax-cli/AppSwitch.Cli.csproj): one native binary, no runtime, no JIT.
# The directory is emptied first so that the files of an earlier framework-dependent build do not linger.
CLI_AOT_FLAGS := -c $(CONFIG) --nologo -v:q -r $(RID) -p:PublishAot=true
cli:
	rm -rf $(OUT)/lib/appswitch/cli
	$(DOTNET) publish ax-cli/AppSwitch.Cli.csproj $(CLI_AOT_FLAGS) -o $(OUT)/lib/appswitch/cli

agent:
	$(DOTNET) publish agent/AppSwitch.Agent.csproj $(DOTNET_FLAGS) -o $(OUT)/lib/appswitch/agent

# The agent's OCI image (kube-daemonset.yaml's appswitch/ax), built offline with buildah from scratch and this
# machine's files (the .NET runtime, the libraries it loads, busybox-static for the entry); also saved as an OCI
# archive for `podman load -i` / `skopeo copy oci-archive:…` elsewhere. IMAGE=name:tag to name it otherwise.
IMAGE ?= appswitch/ax:latest
image: build
	AX_OUT=$(CURDIR)/$(OUT) AX_IMAGE_ARCHIVE=$(CURDIR)/$(OUT)/appswitch-ax.oci.tar bash deploy/build-image.sh $(IMAGE)

# The code as .editorconfig says: `format` rewrites it (layout and style rules), `check-format` only reports the
# layout (part of `make test`; FULL=1: the style rules too, which loads every project: minutes).
format:
	$(DOTNET) format AppSwitch.sln --severity warn

check-format:
	bash scripts/check-format.sh $(if $(FULL),--full)

# Every test: unit tests and the integration tests that run real programs in network namespaces (root),
# except the soak and partition tests (Category=Slow), which `make test` covers with a short version of each.
test: build
	bash tests/run-tests.sh

# Only the soak and partition tests (Category=Slow): the long windows of what `make test` checks briefly.
test-slow: build
	bash tests/run-tests.sh --slow

demo: build
	bash tests/demo/demo.sh

# Istio's routes from a stand-in Pilot (xDS) applied on two nodes: a weighted route, then a header route.
demo-istio: build
	bash tests/demo/demo-istio.sh

# The data path five ways (direct, ax, haproxy, nftables DNAT, the agent's relay) on two node namespaces:
# iperf3, wrk against nginx, new connection per request; table of ratios + out/bench/latency.png.
# Then UDP request/response, connected and unconnected, direct vs ax (out/bench/udp_rr.md).
bench: build bench-deps
	python3 tests/bench/datapath.py
	python3 tests/bench/udp_rr.py

# Coverage-guided fuzzing (SharpFuzz + libFuzzer) of every decoder of outside bytes, one after the other, each for
# FUZZ_SECONDS or FUZZ_EXECS inputs, whichever comes first (60 s when neither is given); FUZZ_TARGETS="dns xds" for
# some. Prints executions, crashes, hangs, out-of-memory inputs (out/fuzz/summary.md). Not part of `make test`.
fuzz:
	FUZZ_SECONDS="$(FUZZ_SECONDS)" FUZZ_EXECS="$(FUZZ_EXECS)" FUZZ_TARGETS="$(FUZZ_TARGETS)" bash tests/fuzz/fuzz.sh

# The fuzz corpora (out/fuzz/corpus after `make fuzz`, the seeds, tests/fuzz/Regressions) fed to a running agent's real
# endpoints, with health checks between batches (tests/fuzz/live_replay.py; FUZZ_LIVE_ARGS="--per-endpoint 200" for a
# slice). Not part of CI: ~2 min (2 255 inputs from session 11's corpus in 90 s at load ~50).
fuzz-live: build
	python3 tests/fuzz/live_replay.py $(FUZZ_LIVE_ARGS)

# Only the UDP request/response part of `make bench` (~3 min).
bench-udp: build
	python3 tests/bench/udp_rr.py

# The first, single-node comparison (ax vs direct: connect-request-close cycles and one bulk transfer).
bench-single: build
	bash tests/bench/run.sh

# The relay (--expose on another node) against haproxy in the same two-namespace setup.
bench-relay: build bench-deps
	bash tests/bench/relay-vs-haproxy.sh

# The L7 HTTP relay: wrk to nginx direct, under ax, with a header rule elsewhere, and through the relay.
bench-http-relay: build bench-deps
	bash tests/bench/http-relay.sh

bench-deps:
	bash scripts/install-deps.sh bench

# Our gossip vs Serf's agents at N=100 (and ours at 300) on 127.0.0.1: join, failure detection, bytes/s per member.
bench-cluster: deps
	bash tests/bench/cluster-vs-serf.sh

# The README's quoted speeds (listing, leave, failure detection, partition and heal, DNS SERVFAIL, relay retry,
# agent restart) on three node namespaces: median/p90/max of RUNS (default 5) and whether each holds; exit 1 when
# one does not. Not part of `make test` or CI (timings on a shared machine). ~3 min.
bench-promises: build
	python3 tests/bench/promises.py

# `ax get apps` against a running agent: the NativeAOT CLI (out/bin/ax) against the framework-dependent ReadyToRun
# build published here into out/bench/cli-r2r, N runs each taking turns; median and p90 (target: AOT median <= 15 ms).
CLI_R2R := $(OUT)/bench/cli-r2r
bench-cli: build
	rm -rf $(CLI_R2R)
	$(DOTNET) publish ax-cli/AppSwitch.Cli.csproj $(DOTNET_FLAGS) -p:PublishAot=false -o $(CLI_R2R)/lib/appswitch/cli
	install -D -m 0755 $(OUT)/bin/ax $(CLI_R2R)/bin/ax
	python3 tests/bench/cli_startup.py --build aot=$(OUT)/bin/ax --build r2r=$(CLI_R2R)/bin/ax

# The agent's memory against its budget (tests/bench/memory/memory.py): idle RSS, RSS per app under `ax run`, per
# table instance (vservices through the REST API); exit 1 when over (idle <= 60 MiB, 20 KiB/app, 2 KiB/instance).
bench-memory: build
	python3 tests/bench/memory/memory.py

# Churn for SOAK_MINUTES (apps, servers, rules, vservices) with both agents' RSS, threads and fds sampled every
# minute; exit 1 when they grow after the warm-up. Not part of `make test` or CI.
SOAK_MINUTES ?= 30
soak: build
	python3 tests/bench/memory/soak.py --minutes $(SOAK_MINUTES)

# Control-plane load (issue 20 point 5): 1 000 REST calls/s and 1 000 half-open launcher clients for a minute while
# apps connect; connect rate against the quiet A/A band, `ax get apps` p99, the agent's fds/threads/RSS (out/bench/ctlload.md).
bench-ctlload: build
	python3 tests/bench/ctlload.py

# xDS: push → applied by 3 agents (p50/p99 over 100 pushes); connect CPU with 1 000 xDS services vs none (A/A band).
bench-xds: build
	python3 tests/bench/xds_bench.py push --pushes 100
	python3 tests/bench/xds_bench.py services --services 1000

# How the agent's costs grow (tests/bench/scale): connect time against 10 → 100 000 instances and 0 → 1 000 rules, RSS
# against 1 → 500 apps and the table, a burst of 100 apps × 10 connects, gossip at N = 30 → 1 000 beside Serf.
# out/bench/scale/scale.{md,svg,json}. SCALE_QUICK=1: small sizes, about a minute. Not part of `make test`.
bench-scale: build
	python3 tests/bench/scale/scale.py

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/appswitch
	install -m 0755 $(OUT)/bin/ax $(DESTDIR)$(PREFIX)/bin/ax
	cp -a $(OUT)/lib/appswitch/. $(DESTDIR)$(PREFIX)/lib/appswitch/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ax
	rm -rf $(DESTDIR)$(PREFIX)/lib/appswitch

clean:
	rm -rf $(OUT)
	$(MAKE) -C native-shims clean
	$(DOTNET) clean AppSwitch.sln --nologo -v:q >/dev/null
