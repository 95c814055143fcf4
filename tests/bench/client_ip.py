#!/usr/bin/env python3
"""The cost of preserving the client's virtual IP (issue 19 point 2), on the cycles workload of `make bench`.

Two two-node clusters of the same build side by side, one with `--preserve-client-ip=true` (the default: a TCP
option on each SYN, its parse at the server node's SYN-ACK, a getpeername hook) and one with `=false`. In every round
each cluster runs a netbench `cycles` client (connect, 64-byte request and answer, close) on n1 to the server on n2,
once direct (to the server's node ip:port, not under ax) and once under `ax run` (to its virtual IP): direct(on) vs
direct(off) is the A/A control (the same path in two clusters), ax(on) vs ax(off) the feature's cost. Order alternates
per round; a warm-up of each is not counted. Medians of connections/s and p99, and the client agent's CPU per connect.

  sudo tests/bench/client_ip.py --rounds 5 --cycles 20000
"""
import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datapath import ROOT, SERVICES, process_cpu_seconds, run  # noqa: E402
from connect_cpu import ConnectCluster  # noqa: E402
from side_by_side import checked_trees, measure  # noqa: E402


class ClientIpCluster(ConnectCluster):
    def __init__(self, work, ax, preserve):
        super().__init__(work, ["direct", "ax"], ax=ax)
        self.preserve = preserve

    def start_agent(self, node, *extra):
        return super().start_agent(node, f"--preserve-client-ip={'true' if self.preserve else 'false'}", *extra)

    def node_port(self):
        svc = SERVICES["cycles"]
        out = run(*self.on("n2", self.ax, "get", "servers", "-o", "json")).stdout
        return next(int(i["ipv4Addr"].rsplit(":", 1)[1]) for i in json.loads(out)["items"] if i["serviceAddr"] == f"{svc['vip']}:{svc['port']}")

    def cycles(self, under_ax, connects):
        self.forget_time_wait()
        svc = SERVICES["cycles"]
        host, port = (svc["vip"], svc["port"]) if under_ax else (self.node_ip["n2"], self.node_port())
        agent = self.agents["n1"].pid
        before = process_cpu_seconds(agent)
        out = run(*self.on("n1", self.netbench, "cycles", host, port, connects, ax=under_ax), timeout=600).stdout
        result = json.loads(out.strip().splitlines()[-1])
        result["agent_us_per_connect"] = (process_cpu_seconds(agent) - before) / connects * 1e6
        return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cycles", type=int, default=20000, help="connections per client")
    args = parser.parse_args()
    tree = checked_trees("client_ip", [ROOT])[0]
    settings = iter([True, False])
    sample = lambda cluster: {"direct": cluster.cycles(False, args.cycles), "ax": cluster.cycles(True, args.cycles)}
    samples = measure("client_ip", [tree, tree], lambda work, ax: ClientIpCluster(work, ax, next(settings)), sample,
                      lambda cluster: sample(cluster), args.rounds,
                      lambda s: f"direct {s['direct']['per_second']:.0f}/s, ax {s['ax']['per_second']:.0f}/s")
    print(f"cycles workload, {args.cycles} connections per client, {args.rounds} rounds, medians:")
    medians = {}
    for name, values in zip(["preserve-client-ip=true ", "preserve-client-ip=false"], samples):
        for mode in ("direct", "ax"):
            per_second = statistics.median(v[mode]["per_second"] for v in values)
            p99 = statistics.median(v[mode]["p99_us"] for v in values)
            agent = statistics.median(v[mode]["agent_us_per_connect"] for v in values)
            medians[(name.strip(), mode)] = per_second
            rates = ", ".join(f"{v[mode]['per_second']:.0f}" for v in values)
            print(f"  {name} {mode:6}: {per_second:8.0f} conn/s  p99 {p99:6.0f} µs  client agent CPU {agent:6.1f} µs/connect"
                  f"  (conn/s samples {rates})")
    on, off = "preserve-client-ip=true", "preserve-client-ip=false"
    print(f"  A/A control direct(on)/direct(off): {medians[(on, 'direct')] / medians[(off, 'direct')]:.3f}")
    print(f"  ax(on)/ax(off): {medians[(on, 'ax')] / medians[(off, 'ax')]:.3f}")
    print(f"  ax/direct: on {medians[(on, 'ax')] / medians[(on, 'direct')]:.3f}, off {medians[(off, 'ax')] / medians[(off, 'direct')]:.3f}")


if __name__ == "__main__":
    main()
