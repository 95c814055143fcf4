#!/usr/bin/env python3
"""Istio (xDS) speeds, measured (`make bench-xds`); both parts use the stand-in Pilot as a program (tests/xds-pilot).

  push      three agents of the built out/ in node namespaces on a bridge (promises.py's ThreeNodes), each reaching
            one stand-in Pilot through socat (node 127.0.0.1:15010 → the Pilot's Unix socket), as istiod's plaintext
            port. --pushes times a new weighted route for `reviews` is pushed; the time from the push (just before
            the command reaches the Pilot) until every agent's /api/v1/xds shows the route version ACKed (its status
            is published after the routing snapshot is replaced), polled on each agent's api.sock every 1 ms.
            Prints p50/p99/max over the pushes.
  services  connect_cpu.py's measure (agent CPU per trapped connect, netbench `cycles` on two nodes) for three
            clusters of the same build side by side: A and A' without xDS (the control: their ratio is the noise
            band) and X whose client node's agent holds --services xDS services from the Pilot (two subsets and a
            90/10 route each). X/A within the A'/A band: the connect fast path does not pay for xDS config.

  sudo tests/bench/xds_bench.py push --pushes 100
  sudo tests/bench/xds_bench.py services --services 1000 --rounds 5 --connects 5000

Everything made (namespaces, processes, socket-lock cgroups, /tmp/axt-*) is removed on exit, pass or failure.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from connect_cpu import ConnectCluster  # noqa: E402
from datapath import ROOT, BenchError, run, wait_until  # noqa: E402
from promises import ThreeNodes  # noqa: E402
from side_by_side import measure  # noqa: E402

XDS_PORT = 15010
POLL_SECONDS = 0.001


class Pilot:
    """tests/xds-pilot on a Unix socket; one command line in, one answer line out."""

    def __init__(self, work):
        build = ROOT / "out" / "xds-pilot"  # shared with `make demo-istio`: an incremental build
        run("dotnet", "build", "-c", "Release", "--nologo", "-v:q", str(ROOT / "tests" / "xds-pilot"), "-o", str(build), timeout=900)
        self.socket = work / "istiod.sock"
        self.proc = subprocess.Popen([str(build / "xds-pilot"), "--socket", str(self.socket)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)
        ready = self.proc.stdout.readline()
        if not ready.startswith("ready"):
            raise BenchError(f"xds-pilot did not start: {ready!r}")
        os.chmod(work, 0o755)

    def send(self, command):
        """Sends one command; returns (time just before it was written, the version the agents will ACK)."""
        sent = time.monotonic()
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().split()
        if answer[:1] != ["ok"]:
            raise BenchError(f"xds-pilot: {command}: {' '.join(answer)}")
        return sent, answer[2]

    def forward_from(self, cluster, node):
        """socat in the node: its 127.0.0.1:15010 is the Pilot (as a node reaches istiod)."""
        cluster.start(f"socat-{node}", cluster.on(node, "socat", f"TCP-LISTEN:{XDS_PORT},bind=127.0.0.1,fork,reuseaddr",
                                                  f"UNIX-CONNECT:{self.socket}"))

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def acked_routes(cluster, node):
    status = cluster.api(node, "/api/v1/xds")
    return next((t.get("ackedVersion") for t in status["types"] if t["type"] == "RouteConfiguration"), None)


class XdsNodes(ThreeNodes):
    """ThreeNodes whose agents dial the Pilot (started before them, with socat in each node)."""

    def __init__(self, work, pilot):
        super().__init__(work)
        self.pilot = pilot

    def start_agent(self, node, *extra):
        self.pilot.forward_from(self, node)
        return super().start_agent(node, "--xds-address", f"127.0.0.1:{XDS_PORT}", *extra)


def push_latency(args):
    work = Path(tempfile.mkdtemp(prefix="axt-", dir="/tmp"))
    (work / "owner.pid").write_text(str(os.getpid()))
    pilot = cluster = None
    try:
        pilot = Pilot(work)
        pilot.send("service reviews 9080 v1=198.18.17.1 v2=198.18.17.2")
        _, version = pilot.send("weighted reviews 9080 v1=100")
        cluster = XdsNodes(work, pilot)
        cluster.up()
        nodes = list(cluster.node_ip)
        wait_until("every agent to ACK the first route", lambda: all(acked_routes(cluster, n) == version for n in nodes), 60)
        latencies = []
        for i in range(args.pushes):
            seen = {}

            def watch(node, wanted):
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    if acked_routes(cluster, node) == wanted:
                        seen[node] = time.monotonic()
                        return
                    time.sleep(POLL_SECONDS)

            v2 = 1 + i % 99
            expected = f"v{int(version[1:]) + 1}"  # the Pilot numbers versions v1, v2, …: the next one
            watchers = [threading.Thread(target=watch, args=(n, expected)) for n in nodes]
            for w in watchers:
                w.start()
            sent, version = pilot.send(f"weighted reviews 9080 v1={100 - v2} v2={v2}")
            for w in watchers:
                w.join()
            if version != expected or len(seen) != len(nodes):
                raise BenchError(f"push {i + 1} ({version}): applied by {sorted(seen)} only within 30 s")
            latencies.append(max(seen.values()) - sent)
        ms = sorted(x * 1000 for x in latencies)
        p = lambda q: ms[min(len(ms) - 1, round(q * (len(ms) - 1)))]  # noqa: E731
        print(f"xDS push → applied by all {len(nodes)} agents, {len(ms)} pushes: "
              f"p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {ms[-1]:.1f} ms (poll every {POLL_SECONDS * 1000:.0f} ms)")
    except BenchError as error:
        sys.exit(f"xds_bench push: {error}")
    finally:
        if cluster is not None:
            cluster.down()
        if pilot is not None:
            pilot.close()
        shutil.rmtree(work, ignore_errors=True)


class XdsConnectCluster(ConnectCluster):
    """connect_cpu's cluster whose client node (n1) also holds `services` xDS services from the Pilot."""

    def __init__(self, work, pilot, services, ax):
        super().__init__(work, ["ax"], ax=ax)
        self.pilot = pilot
        self.services = services

    def start_agent(self, node, *extra):
        if node != "n1":
            return super().start_agent(node, *extra)
        self.pilot.forward_from(self, node)
        return super().start_agent(node, "--xds-address", f"127.0.0.1:{XDS_PORT}", *extra)

    def start_servers(self):
        super().start_servers()
        _, version = self.pilot.send(f"many {self.services} 9080")

        def loaded():
            status = json.loads(run(*self.on("n1", self.ax, "get", "xds", "-o", "json")).stdout)["items"][0]
            routes = next(t for t in status["types"] if t["type"] == "RouteConfiguration")
            return routes.get("ackedVersion") == version and routes["resources"] == self.services
        wait_until(f"n1's agent to hold {self.services} xDS route configs", loaded, 120)


def services_bench(args):
    work = Path(tempfile.mkdtemp(prefix="axt-", dir="/tmp"))
    (work / "owner.pid").write_text(str(os.getpid()))
    pilot = None
    try:
        pilot = Pilot(work)
        tree = ROOT
        names = ["A (no xDS)", "A' (no xDS, control)", f"X ({args.services} xDS services)"]
        made = []

        def make(cluster_work, ax):
            made.append(cluster_work)
            if len(made) == 3:
                return XdsConnectCluster(cluster_work, pilot, args.services, ax)
            return ConnectCluster(cluster_work, ["ax"], ax=ax)

        samples = measure("xds_bench services", [tree] * 3, make,
                          lambda cluster: cluster.cpu_per_connect_us(args.connects),
                          lambda cluster: cluster.cpu_per_connect_us(args.connects), args.rounds,
                          lambda value: f"{value:.1f} µs agent CPU per connect")
        medians = [statistics.median(values) for values in samples]
        print(f"agent CPU per connect (client node, {args.connects} connects per client, {args.rounds} rounds, median):")
        for name, median, values in zip(names, medians, samples):
            print(f"  {name}: {median:.1f} µs  (samples {', '.join(f'{v:.1f}' for v in values)})")
        print(f"  A'/A = {medians[1] / medians[0]:.3f} (the noise band)   X/A = {medians[2] / medians[0]:.3f}")
    finally:
        if pilot is not None:
            pilot.close()
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    push = sub.add_parser("push", help="push → applied by 3 agents, p50/p99")
    push.add_argument("--pushes", type=int, default=100)
    services = sub.add_parser("services", help="connect CPU with and without N xDS services")
    services.add_argument("--services", type=int, default=1000)
    services.add_argument("--rounds", type=int, default=5)
    services.add_argument("--connects", type=int, default=5000)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("xds_bench: needs root (network namespaces)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    push_latency(args) if args.what == "push" else services_bench(args)


if __name__ == "__main__":
    main()
