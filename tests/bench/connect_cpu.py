#!/usr/bin/env python3
"""Agent CPU per trapped connect, for two or more builds side by side in one run (an A/B of an agent change).

Each build (a tree with its own out/bin/ax, e.g. a `git worktree` at the base commit) gets its own two-node
cluster from datapath.py: a netbench server under `ax run` on n2, a netbench `cycles` client under `ax run` on n1
(connect, 64-byte request and answer, close). The client node's agent traps every connect; its CPU
(/proc/PID/stat utime+stime) over a client run divided by the connects is the number. The builds take turns
client by client (order alternating per round) so that the loaded machine's drift spreads over all of them; a warm-up
client per build is not counted (the first thousands of trapped calls run slower: tiering). Medians per build.

  sudo tests/bench/connect_cpu.py --tree /work/wt-base --tree . --rounds 5 --connects 20000
"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import datapath  # noqa: E402  (the cluster of the data-path benchmark)
from datapath import SERVICES, Cluster, process_cpu_seconds, run, wait_until  # noqa: E402
from side_by_side import checked_trees, measure  # noqa: E402


class ConnectCluster(Cluster):
    """datapath's cluster with only the netbench server (what a connect-per-request client needs)."""

    def start_servers(self):
        self.netbench = self.work / "netbench"
        run("gcc", "-O2", "-Wall", "-pthread", "-o", self.netbench, datapath.ROOT / "tests" / "bench" / "netbench.c")
        svc = SERVICES["cycles"]
        self.start("server-cycles", self.on("n2", self.ax, "run", "--ip", svc["vip"], "--", self.netbench, "server", svc["port"]))
        wait_until("the netbench server in `ax get servers`", lambda: f"{svc['vip']}:{svc['port']}" in
                   run(*self.on("n2", self.ax, "get", "servers", "-o", "json")).stdout)

    def cpu_per_connect_us(self, connects):
        """One cycles client of `connects` connects under ax; the client node's agent CPU per connect (µs)."""
        self.forget_time_wait()
        svc = SERVICES["cycles"]
        agent = self.agents["n1"].pid
        before = process_cpu_seconds(agent)
        run(*self.on("n1", self.netbench, "cycles", svc["vip"], svc["port"], connects, ax=True), timeout=600)
        return (process_cpu_seconds(agent) - before) / connects * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", required=True, help="a source tree with a built out/bin/ax (repeat)")
    parser.add_argument("--rounds", type=int, default=5, help="measured clients per build")
    parser.add_argument("--connects", type=int, default=20000, help="connects per client")
    args = parser.parse_args()
    trees = checked_trees("connect_cpu", args.tree)
    samples = measure("connect_cpu", trees, lambda work, ax: ConnectCluster(work, ["ax"], ax=ax),
                      lambda cluster: cluster.cpu_per_connect_us(args.connects),
                      lambda cluster: cluster.cpu_per_connect_us(args.connects), args.rounds,
                      lambda value: f"{value:.1f} µs agent CPU per connect")
    print(f"agent CPU per connect (client node, {args.connects} connects per client, {args.rounds} rounds, median):")
    for tree, values in zip(trees, samples):
        print(f"  {tree}: {statistics.median(values):.1f} µs  (samples {', '.join(f'{v:.1f}' for v in values)})")


if __name__ == "__main__":
    main()
