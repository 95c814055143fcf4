#!/usr/bin/env python3
"""`ax get apps` against a running agent, several builds of the CLI side by side in one run (`make bench-cli`).

One two-node cluster from datapath.py (built from this tree's out/bin/ax) with a few apps under `ax run` on n1.
Each build is a launcher `PREFIX/bin/ax` whose `PREFIX/lib/appswitch/cli/ax-cli` answers `ax get`: `make bench-cli`
passes the NativeAOT build (out/bin/ax) and the framework-dependent ReadyToRun build it publishes into
out/bench/cli-r2r. Every sample is one whole command as a user types it (launcher exec, CLI start, HTTP to api.sock,
table on stdout), wall time from spawn to exit, with the CLI's own CPU (user+sys from wait4). The builds take turns
run by run so that the machine's load falls on all of them; the first runs of each are a warm-up (page cache).

  sudo tests/bench/cli_startup.py --build aot=out/bin/ax --build r2r=out/bench/cli-r2r/bin/ax --runs 50
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datapath import AX, BenchError, Cluster, run, wait_until  # noqa: E402
from side_by_side import measure  # noqa: E402

TARGET_MS = 15.0
APPS = 3


class AppsCluster(Cluster):
    """datapath's cluster with a few idle apps under `ax run` on n1: what `ax get apps` lists."""

    def start_servers(self):
        for i in range(APPS):
            self.start(f"app-{i}", self.on("n1", self.ax, "run", "--ip", f"198.18.7.{i + 1}", "--name", f"idle-{i}", "--",
                                           "sleep", "3600"))
        wait_until(f"{APPS} apps in `ax get apps`", lambda: len(self.list_apps(self.ax).splitlines()) == APPS + 1)

    def environment(self):
        return {**os.environ, "AX_ADMIN_SOCKET_DIR": str(self.work / "n1" / "admin")}

    def list_apps(self, ax):
        # Outside the node's namespace: api.sock is a path, and `ip netns exec` would add its own start-up to the time.
        return run(str(ax), "get", "apps", env=self.environment()).stdout


def timed_get_apps(ax, env):
    """(wall ms, CPU ms) of one `ax get apps`, stdout to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(str(ax), [str(ax), "get", "apps"], env, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        raise BenchError(f"{ax} get apps exited with {os.waitstatus_to_exitcode(status)}")
    return wall * 1e3, (usage.ru_utime + usage.ru_stime) * 1e3


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def parse_build(text):
    name, sep, path = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH_TO_AX, got {text!r}")
    ax = Path(path).resolve()
    if not ax.is_file():
        raise argparse.ArgumentTypeError(f"{ax} does not exist (run 'make build', or 'make bench-cli' for the r2r build)")
    return name, ax


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", action="append", type=parse_build, required=True, help="NAME=PREFIX/bin/ax (repeat)")
    parser.add_argument("--runs", type=int, default=50, help="measured `ax get apps` per build")
    parser.add_argument("--warm-up", type=int, default=5, help="unmeasured runs per build first")
    args = parser.parse_args()
    builds = dict(args.build)
    # One cluster (this tree's agent); every build's CLI talks to it. measure() takes turns, reversing every round.
    cluster_holder = []

    def make_cluster(work, _ax):
        cluster = AppsCluster(work, ["ax"], ax=AX)
        cluster_holder.append(cluster)
        return cluster

    def check(cluster):
        for name, ax in builds.items():
            listing = cluster.list_apps(ax)
            if not all(f"idle-{i}" in listing for i in range(APPS)):
                raise BenchError(f"{name}: `ax get apps` did not list the apps:\n{listing}")
            for _ in range(args.warm_up):
                timed_get_apps(ax, cluster.environment())

    def one_round(cluster):
        order = list(builds.items())
        if len(one_round.samples[order[0][0]]) % 2:
            order.reverse()
        for name, ax in order:
            one_round.samples[name].append(timed_get_apps(ax, cluster.environment()))
        return None

    one_round.samples = {name: [] for name in builds}
    measure("cli_startup", [Path(".")], make_cluster, one_round, check, args.runs,
            lambda _: " ".join(f"{n}={s[-1][0]:.1f}ms" for n, s in one_round.samples.items()))
    print(f"`ax get apps` ({APPS} apps, {args.runs} runs per build, turns alternating), wall ms and the CLI's CPU ms:")
    failed = False
    for name, ax in builds.items():
        walls = [w for w, _ in one_round.samples[name]]
        cpus = [c for _, c in one_round.samples[name]]
        median = statistics.median(walls)
        print(f"  {name:8} median {median:6.1f} ms  p90 {percentile(walls, 0.9):6.1f} ms  min {min(walls):6.1f} ms  "
              f"CPU median {statistics.median(cpus):6.1f} ms   ({ax})")
        failed |= name == "aot" and median > TARGET_MS
    if "aot" in builds:
        print(f"target: aot median <= {TARGET_MS:.0f} ms: {'missed' if failed else 'held'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
