"""Two or more builds measured side by side in one run (A/B of an agent change), shared by the A/B scripts.

Each build (a tree with its own out/bin/ax) gets its own cluster; the builds take turns sample by sample (order
alternating per round) so a change in the machine's load falls on all of them; a warm-up per build is not counted.
"""
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from datapath import BenchError


def checked_trees(script, trees):
    """The trees as absolute paths; exits with one line when one has no build."""
    trees = [Path(t).resolve() for t in trees]
    for tree in trees:
        if not (tree / "out" / "bin" / "ax").exists():
            sys.exit(f"{script}: {tree}/out/bin/ax is missing; run 'make build' there first")
    return trees


def measure(script, trees, make_cluster, sample, warm_up, rounds, describe):
    """Per tree, the list of `rounds` samples of `sample(cluster)`; `describe(value)` labels a progress line."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    clusters, works = [], []
    try:
        for tree in trees:
            work = Path(tempfile.mkdtemp(prefix="axt-", dir="/tmp"))
            (work / "owner.pid").write_text(str(os.getpid()))  # keeps a concurrent test run's clean-up away from it
            works.append(work)
            cluster = make_cluster(work, tree / "out" / "bin" / "ax")
            clusters.append(cluster)
            cluster.up()
        for cluster in clusters:
            warm_up(cluster)
        samples = [[] for _ in trees]
        for round_index in range(rounds):
            order = list(range(len(trees)))
            if round_index % 2:
                order.reverse()
            for i in order:
                samples[i].append(sample(clusters[i]))
                print(f"round {round_index + 1} {trees[i]}: {describe(samples[i][-1])}", file=sys.stderr, flush=True)
        return samples
    except BenchError as error:
        sys.exit(f"{script}: {error}")
    finally:
        for cluster in clusters:
            cluster.down()
        for work in works:
            shutil.rmtree(work, ignore_errors=True)
