#!/usr/bin/env python3
"""Where an idle agent's RSS is, by mapping, for two or more builds side by side in one run.

  sudo tests/bench/memory/idle_map.py --tree /work/main --tree . --tree /work/main [--rounds 3] [--settle 30] [--top 25]

Each build (a tree with its own out/bin/ax) gets datapath.py's two-node cluster with nothing running. A sample waits
--settle seconds, then reads n1's agent: VmRSS and /proc/PID/smaps_rollup-like sums from /proc/PID/smaps split into
file pages (mapped files: code, assemblies), the runtime's W^X double mapping (/memfd:doublemapper), and anonymous
memory (heap, stacks, GC). The last round's per-file Rss is printed (the --top largest) so that a change shows which
mapping moved. Idle RSS barely depends on the machine's load (unlike CPU numbers): one or two rounds suffice.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from datapath import Cluster, process_rss_mib  # noqa: E402
from side_by_side import checked_trees, measure  # noqa: E402

DOUBLEMAPPER = "/memfd:doublemapper"


class IdleCluster(Cluster):
    """datapath's cluster without servers."""

    def start_servers(self):
        pass


def smaps_split(pid):
    """(per-mapping-name Rss KiB, {"file": KiB, "doublemapper": KiB, "anon": KiB})."""
    by_name, name = {}, None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if not fields:
            continue
        if not fields[0].endswith(":"):  # a mapping's header line: address range, perms, …, name
            name = " ".join(fields[5:]) if len(fields) > 5 else ""
        elif fields[0] == "Rss:":
            by_name[name] = by_name.get(name, 0) + int(fields[1])
    split = {"file": 0, "doublemapper": 0, "anon": 0}
    for mapped, kib in by_name.items():
        if mapped.startswith(DOUBLEMAPPER):
            split["doublemapper"] += kib
        elif mapped.startswith("/") and not mapped.startswith("/memfd:") and "(deleted)" not in mapped:
            split["file"] += kib
        else:
            split["anon"] += kib
    return by_name, split


def sample(cluster, settle):
    time.sleep(settle)
    pid = cluster.agents["n1"].pid
    by_name, split = smaps_split(pid)
    return process_rss_mib(pid), split, by_name


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", required=True, help="a source tree with a built out/bin/ax (repeat)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--settle", type=float, default=30.0, help="quiet seconds before each reading")
    parser.add_argument("--top", type=int, default=25, help="mappings listed per build (largest Rss first)")
    args = parser.parse_args()
    trees = checked_trees("idle_map", args.tree)
    samples = measure("idle_map", trees, lambda work, ax: IdleCluster(work, ["ax"], ax=ax),
                      lambda cluster: sample(cluster, args.settle), lambda cluster: None, args.rounds,
                      lambda v: f"RSS {v[0]:.1f} MiB = file {v[1]['file'] / 1024:.1f} + doublemapper "
                                f"{v[1]['doublemapper'] / 1024:.1f} + anon {v[1]['anon'] / 1024:.1f}")
    print(f"idle agent (n1) after {args.settle:.0f} s, {args.rounds} rounds, median MiB:")
    print("| build | RSS | file | doublemapper | anon |\n|---|---|---|---|---|")
    for tree, values in zip(trees, samples):
        med = lambda f: statistics.median(f(v) for v in values)  # noqa: E731
        print(f"| {tree} | {med(lambda v: v[0]):.1f} | {med(lambda v: v[1]['file']) / 1024:.1f} | "
              f"{med(lambda v: v[1]['doublemapper']) / 1024:.1f} | {med(lambda v: v[1]['anon']) / 1024:.1f} |")
    for tree, values in zip(trees, samples):
        print(f"\n{tree}: largest mappings (KiB, last round)")
        for name, kib in sorted(values[-1][2].items(), key=lambda kv: -kv[1])[:args.top]:
            print(f"{kib:8d}  {name or '[anon]'}")


if __name__ == "__main__":
    main()
