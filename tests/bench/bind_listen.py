#!/usr/bin/env python3
"""Time of bind + listen under `ax run`, for two or more builds side by side in one run (an A/B of an agent change).

Each build (a tree with its own out/bin/ax) gets its own two-node cluster from datapath.py (no servers). On n1 a
python client under `ax run` opens fresh TCP sockets and binds (0.0.0.0, any port) and listens on each, then closes
it; the trapped bind and listen are answered by the agent's session thread (the state file used to be written there,
once per bind and once per listen). The builds take turns client by client (order alternating per round); a warm-up
client per build is not counted. Medians per build of the time per bind+listen pair.

  sudo tests/bench/bind_listen.py --tree /work/wt-base --tree . --rounds 5 --pairs 2000
"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datapath import Cluster, run  # noqa: E402
from side_by_side import checked_trees, measure  # noqa: E402

CLIENT = """
import socket, sys, time
n = int(sys.argv[1])
start = time.perf_counter()
for _ in range(n):
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    s.listen(1)
    s.close()
print(f"{(time.perf_counter() - start) / n * 1e6:.1f}")
"""


class BindCluster(Cluster):
    """datapath's cluster without servers: the client binds and listens on n1."""

    def start_servers(self):
        pass

    def pair_us(self, pairs):
        out = run(*self.on("n1", "python3", "-c", CLIENT, pairs, ax=True), timeout=900).stdout
        return float(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", required=True, help="a source tree with a built out/bin/ax (repeat)")
    parser.add_argument("--rounds", type=int, default=5, help="measured clients per build")
    parser.add_argument("--pairs", type=int, default=2000, help="bind+listen pairs per client")
    args = parser.parse_args()
    trees = checked_trees("bind_listen", args.tree)
    samples = measure("bind_listen", trees, lambda work, ax: BindCluster(work, ["ax"], ax=ax),
                      lambda cluster: cluster.pair_us(args.pairs), lambda cluster: cluster.pair_us(max(1, args.pairs // 4)),
                      args.rounds, lambda value: f"{value:.1f} µs per bind+listen")
    print(f"bind+listen under ax run ({args.pairs} pairs per client, {args.rounds} rounds, median):")
    for tree, values in zip(trees, samples):
        print(f"  {tree}: {statistics.median(values):.1f} µs per pair, {statistics.median(values) * args.pairs / 1e6:.2f} s per "
              f"{args.pairs}  (samples {', '.join(f'{v:.1f}' for v in values)})")


if __name__ == "__main__":
    main()
