#!/usr/bin/env python3
"""UDP request/response benchmark (part of `make bench`): one client on node n1 asks a UDP echo server under
`ax run` on node n2 (64-byte datagrams, one in flight), side by side in one run:

  direct   the client sends to the server's node ip:port (no AppSwitch on the client)
  direct2  direct again, measured as a mode of its own: the A/A control (how far two identical paths differ here)
  ax       the client runs under `ax run` and sends to the server's virtual ip:port

each with a connected socket (send/recv: after connect the kernel's socket, nothing trapped) and an unconnected one
(sendto/recvfrom: every sendto is trapped and let run by the agent; the socket lock's programs translate the
destination and the answer's source). Reports datagrams/s and p99 of the round trip, and ax/direct.
Everything stays inside namespaces the script creates, which it removes on exit, pass or fail.
"""
import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path

from datapath import AX, NODE_IP, ROOT, Cluster, Meter, cluster_run, run, wait_until, write_report

MODES = ["direct", "direct2", "ax"]
WORKLOADS = ["connected", "unconnected"]
UDP = {"vip": "198.18.0.13", "port": 7001}


class UdpCluster(Cluster):
    """Two node namespaces and their agents (datapath's), with only the UDP echo server on n2."""

    agent_flags = ()  # more `ax daemon` flags for both agents (--agent-flag)

    def start_agent(self, node, *extra):
        return super().start_agent(node, *self.agent_flags, *extra)

    def start_servers(self):
        self.netbench = self.work / "netbench"
        run("gcc", "-O2", "-Wall", "-pthread", "-o", self.netbench, ROOT / "tests" / "bench" / "netbench.c")
        self.start("server-udp", self.on("n2", self.ax, "run", "--ip", UDP["vip"], "--", self.netbench, "udp-server", UDP["port"]))
        wait_until("the UDP server in `ax get servers`", self.read_node_ports)

    def read_node_ports(self):
        out = run(*self.on("n2", self.ax, "get", "servers", "-o", "json")).stdout
        bound = {item["serviceAddr"]: item["ipv4Addr"] for item in json.loads(out)["items"]}
        address = bound.get(f"{UDP['vip']}:{UDP['port']}")
        if address is None:
            return False
        self.node_ports["udp"] = int(address.rsplit(":", 1)[1])
        return True

    def udp_target(self, mode):
        return (UDP["vip"], UDP["port"], True) if mode == "ax" else (NODE_IP["n2"], self.node_ports["udp"], False)


def sample(cluster, mode, workload, count):
    host, port, under_ax = cluster.udp_target(mode)
    extra = ["unconnected"] if workload == "unconnected" else []
    out = run(*cluster.on("n1", cluster.netbench, "udp-rr", host, port, count, *extra, ax=under_ax), timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(cluster, workload, order, args):
    """Per mode: the median of `repeats` clients, the modes taking turns client by client."""
    samples = {mode: [] for mode in order}
    meters = {mode: Meter(cluster) for mode in order}
    for _ in range(args.repeats):
        for mode in order:
            with meters[mode]:
                samples[mode].append(sample(cluster, mode, workload, args.count))
    return {mode: {"per_second": statistics.median(s["per_second"] for s in samples[mode]),
                   "p99_us": statistics.median(s["p99_us"] for s in samples[mode]),
                   **meters[mode].summary()} for mode in order}


def render(results, args):
    lines = [f"UDP request/response: {args.runs} runs x {args.repeats} clients of {args.count} round trips of 64 bytes "
             f"(median per run), two node namespaces on a veth pair", "",
             "| socket | metric | " + " | ".join(MODES) + " | ax/direct (min–max over runs) | direct2/direct |",
             "|---|---|" + "---|" * len(MODES) + "---|---|"]
    for workload in WORKLOADS:
        for key, label in (("per_second", "datagrams/s"), ("p99_us", "p99 µs")):
            values = {m: statistics.median(r[m][workload][key] for r in results) for m in MODES}
            ratios = [r["ax"][workload][key] / r["direct"][workload][key] for r in results]
            control = [r["direct2"][workload][key] / r["direct"][workload][key] for r in results]
            lines.append(f"| {workload} | {label} | " + " | ".join(f"{values[m]:.0f}" for m in MODES)
                         + f" | {statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) | {statistics.median(control):.2f} |")
    agent = {w: statistics.median(r["ax"][w]["agent_cpu_pct"] for r in results) for w in WORKLOADS}
    lines += ["", "agents' CPU during ax samples: " + ", ".join(f"{w} {agent[w]:.0f}% of a core" for w in WORKLOADS)]
    connected = statistics.median(r["ax"]["connected"]["per_second"] / r["direct"]["connected"]["per_second"] for r in results)
    lines.append(f"target: connected ax/direct datagrams/s ≥ 0.8: {connected:.2f} {'PASS' if connected >= 0.8 else 'FAIL'}"
                 " (unconnected: reported, no target)")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs, the mode order rotated per run")
    parser.add_argument("--repeats", type=int, default=3, help="clients per mode and workload in a run (median)")
    parser.add_argument("--count", type=int, default=20000, help="round trips per client")
    parser.add_argument("--agent-flag", action="append", default=[],
                        help="another `ax daemon` flag for both agents, e.g. --agent-flag=--preserve-client-ip=false")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench")
    args = parser.parse_args()
    if not AX.exists():
        sys.exit(f"bench: {AX} is missing; run 'make build' first")
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces)")
    if not shutil.which("gcc"):
        sys.exit("bench: missing gcc (make bench-deps installs it)")

    def make_cluster(work):
        cluster = UdpCluster(work, MODES)
        cluster.agent_flags = tuple(args.agent_flag)
        return cluster

    with cluster_run(make_cluster) as cluster:
        print("warm-up: one short client per mode and socket (not measured)", file=sys.stderr, flush=True)
        for workload in WORKLOADS:
            for mode in MODES:
                sample(cluster, mode, workload, min(args.count, 2000))
        results = []
        for run_index in range(args.runs):
            order = MODES[run_index % len(MODES):] + MODES[:run_index % len(MODES)]
            result = {mode: {} for mode in MODES}
            for workload in WORKLOADS:
                for mode, measured in measure(cluster, workload, order, args).items():
                    result[mode][workload] = measured
            print(f"run {run_index + 1}/{args.runs}: " + "; ".join(
                f"{m} {result[m]['connected']['per_second']:.0f}/{result[m]['unconnected']['per_second']:.0f} dgram/s"
                for m in MODES) + " (connected/unconnected)", file=sys.stderr, flush=True)
            results.append(result)
        write_report(args.out, "udp_rr", results, render(results, args))


if __name__ == "__main__":
    main()
