#!/usr/bin/env python3
"""The agent's memory against its budget (issue 20 point 2): idle RSS, RSS per app, RSS per table instance.

  sudo tests/bench/memory/memory.py [--apps 50,100,200] [--instances 1000,2000,4000] [--tree DIR]

Two node namespaces with an agent each (datapath.py's cluster, no servers). Three steps:
  idle       both agents joined, nothing running: RSS of each after --settle seconds.
  apps       on n1, apps under `ax run --ip` (netbench servers: one app and one listening server entry each),
             added up to each count of --apps: RSS of n1 (the apps' node) and of n2 (which holds their replica).
  instances  vservices (one backend, one port: one table instance each) created through n1's REST API
             (api.sock, one POST each; not the CLI, whose start would dominate) up to each count of --instances:
             RSS of n1 (their owner) and of n2 (their replica, once it lists them all).
A reading is the median of five VmRSS samples a second apart, taken after --settle seconds of quiet; per-app and
per-instance bytes are the least-squares slope over the step's readings (for instances the step before it included;
for apps from the first apps step on, given two or more).
Exits 1 when a number is over the budget (idle <= 60 MiB, <= 20 KiB per app, <= 2 KiB per instance), so a
regression shows; prints a Markdown table (also written to out/bench/memory.md). Everything runs in namespaces the
script creates and removes, pass or fail.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import datapath  # noqa: E402
from datapath import BenchError, Cluster, process_rss_mib, run, wait_until  # noqa: E402
from admin_api import AdminApi  # noqa: E402

BUDGET_IDLE_MIB = 60.0
BUDGET_APP_KIB = 20.0
BUDGET_INSTANCE_KIB = 2.0
APP_PORT = 7000


def app_vip(i):
    """Apps' virtual IPs: 198.18.1.0 upwards (the range the tests use)."""
    return f"198.18.{1 + i // 250}.{1 + i % 250}"


def vservice_vip(i):
    """Vservices' virtual IPs: 198.18.64.0 upwards, away from the apps' and the default --ip-pool (198.19/16)."""
    return f"198.18.{64 + i // 250}.{1 + i % 250}"



def settled_rss_mib(pid, settle):
    """The median of five VmRSS samples a second apart, after `settle` seconds of quiet."""
    time.sleep(settle)
    samples = []
    for _ in range(5):
        samples.append(process_rss_mib(pid))
        time.sleep(1)
    return statistics.median(samples)

class MemoryCluster(Cluster):
    """datapath's two nodes with nothing running; apps and vservices are added step by step."""

    def start_servers(self):
        self.netbench = self.work / "netbench"
        run("gcc", "-O2", "-Wall", "-pthread", "-o", self.netbench, datapath.ROOT / "tests" / "bench" / "netbench.c")
        self.apps = []
        self.vservices = 0

    def api(self, node):
        return AdminApi(self.work / node / "admin" / "api.sock")

    def rss_mib(self, node, settle):
        return settled_rss_mib(self.agents[node].pid, settle)

    def add_apps(self, count):
        """Apps under `ax run` on n1 until there are `count`; returns once n1 lists them all and n2 their servers."""
        while len(self.apps) < count:
            i = len(self.apps)
            self.apps.append(self.start(f"app-{i}", self.on("n1", self.ax, "run", "--ip", app_vip(i), "--",
                                                            self.netbench, "server", APP_PORT)))
        n1, n2 = self.api("n1"), self.api("n2")
        wait_until(f"{count} apps listening on n1", lambda: self.check_apps() and len(n1.get("/api/v1/servers")) >= count,
                   seconds=60 + count)
        wait_until(f"{count} servers in n2's replica", lambda: sum(
            1 for s in n2.get("/api/v1/servers") if s.get("nodeId") == "n1") >= count, seconds=60 + count)

    def check_apps(self):
        for i, proc in enumerate(self.apps):
            if proc.poll() is not None:
                raise BenchError(f"app {i} exited with {proc.returncode}: see {self.work}/app-{i}.log")
        return True

    def add_vservices(self, count):
        """Vservices created on n1 through its REST API until there are `count`; returns once n2 lists them all."""
        n1, n2 = self.api("n1"), self.api("n2")
        while self.vservices < count:
            i = self.vservices
            n1.post("/api/v1/vservices", {"name": f"mem-{i}", "ip": vservice_vip(i), "backends": [app_vip(i % 200)],
                                          "ports": [{"vport": 80, "aport": APP_PORT}], "lbType": "Random"})
            self.vservices += 1
        wait_until(f"{count} vservices in n2's replica", lambda: len(n2.get("/api/v1/vservices")) >= count,
                   seconds=60 + count / 50)


def slope(points):
    """Least-squares slope of (x, y) points; 0 when they do not span x."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    denominator = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / denominator if denominator else 0.0


def slope_kib(points):
    """Least-squares slope of (count, MiB) points, in KiB per unit."""
    return slope(points) * 1024


def cluster_work(script, tree):
    """The tree's ax and a new work directory owned by this process; exits with one line when the tree is not built."""
    ax = Path(tree).resolve() / "out" / "bin" / "ax"
    if not ax.exists():
        sys.exit(f"{script}: {ax} is missing; run 'make build' there first")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="axt-", dir="/tmp"))
    (work / "owner.pid").write_text(str(os.getpid()))  # keeps a concurrent test run's clean-up away from it
    return ax, work


def counts(text):
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or any(v <= 0 for v in values) or values != sorted(values):
        raise argparse.ArgumentTypeError(f"{text!r}: want increasing positive counts, e.g. 50,100,200")
    return values


def measure(args, cluster):
    report = {"idle": {}, "apps": [], "instances": []}
    for node in ("n1", "n2"):
        report["idle"][node] = cluster.rss_mib(node, args.settle if node == "n1" else 0)
    print(f"idle: n1 {report['idle']['n1']:.1f} MiB, n2 {report['idle']['n2']:.1f} MiB", file=sys.stderr, flush=True)
    report["apps"].append((0, report["idle"]["n1"], report["idle"]["n2"]))
    for count in args.apps:
        cluster.add_apps(count)
        n1, n2 = cluster.rss_mib("n1", args.settle), cluster.rss_mib("n2", 0)
        report["apps"].append((count, n1, n2))
        print(f"{count} apps: n1 {n1:.1f} MiB, n2 {n2:.1f} MiB", file=sys.stderr, flush=True)
    base = report["apps"][-1]
    report["instances"].append((0, base[1], base[2]))
    for count in args.instances:
        started = time.perf_counter()
        cluster.add_vservices(count)
        elapsed = time.perf_counter() - started
        n1, n2 = cluster.rss_mib("n1", args.settle), cluster.rss_mib("n2", 0)
        report["instances"].append((count, n1, n2))
        print(f"{count} instances (+{elapsed:.1f} s): n1 {n1:.1f} MiB, n2 {n2:.1f} MiB", file=sys.stderr, flush=True)
    return report


def render(report):
    idle = max(report["idle"].values())
    # From the first apps step on when there are two or more: the first app's one-time costs (code mapped and JIT'd on
    # the launcher path, the parking thread) are not per app.
    app_points = report["apps"][1:] if len(report["apps"]) > 2 else report["apps"]
    per_app = {node: slope_kib([(p[0], p[i]) for p in app_points]) for i, node in ((1, "n1"), (2, "n2"))}
    per_instance = {node: slope_kib([(p[0], p[i]) for p in report["instances"]]) for i, node in ((1, "n1"), (2, "n2"))}
    verdicts = [
        ("idle agent RSS", f"{report['idle']['n1']:.1f} / {report['idle']['n2']:.1f} MiB", f"<= {BUDGET_IDLE_MIB:.0f} MiB",
         idle <= BUDGET_IDLE_MIB),
        ("per app under `ax run` (its node / a replica)", f"{per_app['n1']:.1f} / {per_app['n2']:.1f} KiB",
         f"<= {BUDGET_APP_KIB:.0f} KiB", max(per_app.values()) <= BUDGET_APP_KIB),
        ("per table instance (its owner / a replica)", f"{per_instance['n1']:.2f} / {per_instance['n2']:.2f} KiB",
         f"<= {BUDGET_INSTANCE_KIB:.0f} KiB", max(per_instance.values()) <= BUDGET_INSTANCE_KIB),
    ]
    lines = ["| measure | n1 / n2 | budget | holds |", "|---|---|---|---|"]
    lines += [f"| {name} | {value} | {budget} | {'yes' if ok else 'NO'} |" for name, value, budget, ok in verdicts]
    lines += ["", "| step | n1 RSS MiB | n2 RSS MiB |", "|---|---|---|"]
    lines += [f"| {count} apps | {n1:.1f} | {n2:.1f} |" for count, n1, n2 in report["apps"]]
    lines += [f"| {count} instances | {n1:.1f} | {n2:.1f} |" for count, n1, n2 in report["instances"][1:]]
    return "\n".join(lines), all(ok for *_, ok in verdicts)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=counts, default=counts("50,100,200"), help="app counts on n1, increasing")
    parser.add_argument("--instances", type=counts, default=counts("1000,2000,4000"), help="vservice counts, increasing")
    parser.add_argument("--settle", type=float, default=30.0, help="quiet seconds before each reading (the agent trims its heap 10-20 s after a burst)")
    parser.add_argument("--tree", default=str(datapath.ROOT), help="a source tree with a built out/bin/ax")
    parser.add_argument("--no-check", action="store_true", help="exit 0 even when over the budget")
    parser.add_argument("--out", help="where memory.md/json go (default: the tree's out/bench; set it when --tree is not yours)")
    args = parser.parse_args()
    ax, work = cluster_work("memory", args.tree)
    cluster = MemoryCluster(work, ["ax"], ax=ax)
    try:
        cluster.up()
        report = measure(args, cluster)
    except BenchError as error:
        sys.exit(f"memory: {error}")
    finally:
        cluster.down()
        shutil.rmtree(work, ignore_errors=True)
    table, holds = render(report)
    print(table)
    out = Path(args.out) if args.out else Path(args.tree).resolve() / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "memory.md").write_text(table + "\n")
    (out / "memory.json").write_text(json.dumps(report, indent=1) + "\n")
    if not holds and not args.no_check:
        sys.exit(1)


if __name__ == "__main__":
    main()
