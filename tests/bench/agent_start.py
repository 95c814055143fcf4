#!/usr/bin/env python3
"""Agent start time and idle RSS, for two or more builds side by side in one run (e.g. ReadyToRun vs NativeAOT).

Each build (a tree with its own out/bin/ax) gets its own two-node cluster from datapath.py (no servers). A sample
stops node 1's agent (SIGTERM), starts it again and times spawn → the first `ax get apps` that answers (polled every
5 ms with the tree's CLI); then, after --idle seconds, reads the agent's RSS. The builds take turns (order alternating
per round); one restart per build first is not counted.

  sudo tests/bench/agent_start.py --tree /tmp/r2r-tree --tree /tmp/aot-tree --rounds 5
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datapath import BenchError, Cluster, process_rss_mib  # noqa: E402
from side_by_side import checked_trees, measure  # noqa: E402


class StartCluster(Cluster):
    """datapath's cluster without servers; node 1's agent is restarted for every sample."""

    def start_servers(self):
        pass

    def restart_n1(self, idle):
        old = self.agents["n1"]
        os.killpg(old.pid, signal.SIGTERM)
        old.wait(timeout=30)
        self.procs = [(n, p) for n, p in self.procs if p is not old]
        start = time.perf_counter()
        agent = self.start_agent("n1")
        env = {**os.environ, "AX_ADMIN_SOCKET_DIR": str(self.work / "n1" / "admin")}
        while subprocess.run([str(self.ax), "get", "apps"], env=env, capture_output=True).returncode != 0:
            if agent.poll() is not None:
                raise BenchError(f"the agent exited with {agent.returncode}: see {self.work}/agent-n1.log")
            if time.perf_counter() - start > 60:
                raise BenchError("the agent did not answer within 60 s")
            time.sleep(0.005)
        ready_ms = (time.perf_counter() - start) * 1e3
        time.sleep(idle)
        return ready_ms, process_rss_mib(agent.pid)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", required=True, help="a source tree with a built out/bin/ax (repeat)")
    parser.add_argument("--rounds", type=int, default=5, help="measured restarts per build")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds between ready and the RSS reading")
    args = parser.parse_args()
    trees = checked_trees("agent_start", args.tree)
    samples = measure("agent_start", trees, lambda work, ax: StartCluster(work, ["ax"], ax=ax),
                      lambda cluster: cluster.restart_n1(args.idle), lambda cluster: cluster.restart_n1(0.5), args.rounds,
                      lambda value: f"ready in {value[0]:.0f} ms, RSS {value[1]:.1f} MiB")
    print(f"agent start (spawn → `ax get apps` answers) and RSS {args.idle:.0f} s after, {args.rounds} rounds, median:")
    for tree, values in zip(trees, samples):
        print(f"  {tree}: ready {statistics.median(v[0] for v in values):.0f} ms, idle RSS "
              f"{statistics.median(v[1] for v in values):.1f} MiB  (ready samples {', '.join(f'{v[0]:.0f}' for v in values)})")


if __name__ == "__main__":
    main()
