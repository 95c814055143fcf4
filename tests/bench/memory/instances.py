#!/usr/bin/env python3
"""The agent's bytes per table instance at scale, on the owner and on a replica (issue 20 point 2: <= 2 KiB each).

  sudo tests/bench/memory/instances.py [--sizes 10000,100000] [--per-service 10] [--settle 30] [--gcdump DIR] [--tree DIR]

Two node namespaces with an agent each (datapath.py's cluster, no servers). Per size (0 first, the baseline): both
agents stopped, n1's state file replaced by scale's ballast (table_state.py: `size` backends in size/per-service
vservices; no rules), n2's removed, both started again: n1 restores the table from its state file (the owner), n2
receives it by gossip (the replica). Once n2 lists every vservice, --settle seconds of quiet (the agent's
HeapTrimmer gives memory back 10-20 s after a burst), then the median of five VmRSS samples a second apart of each.
Bytes per instance = (RSS at the size - RSS at 0) / size, per node. --gcdump DIR also writes a dotnet-gcdump of each
agent at each size (after the RSS reading: the dump forces a full GC) and its per-type report beside it.
Prints a Markdown table (also out/bench/instances.md). Everything runs in namespaces the script creates and
removes, pass or fail.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH / "scale"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import datapath  # noqa: E402
import table_state  # noqa: E402
from admin_api import AdminApi  # noqa: E402
from datapath import BenchError, Cluster, process_rss_mib, run, wait_until  # noqa: E402
from memory import cluster_work, counts, settled_rss_mib  # noqa: E402

GCDUMP = Path.home() / ".dotnet" / "tools" / "dotnet-gcdump"


class TableCluster(Cluster):
    """datapath's two nodes with nothing running; n1's table comes from a state file at each restart."""

    def start_servers(self):
        pass

    def api(self, node):
        return AdminApi(self.work / node / "admin" / "api.sock")

    def stop_agent(self, node):
        agent = self.agents[node]
        os.killpg(agent.pid, signal.SIGTERM)
        agent.wait(timeout=60)
        self.procs = [(n, p) for n, p in self.procs if p is not agent]

    def restart_both(self, services, instances):
        """Both agents stopped; n1 restarted with the ballast, n2 with nothing; returns once n2 holds n1's table."""
        for node in ("n2", "n1"):
            self.stop_agent(node)
            admin = self.work / node / "admin"
            for name in ("state.json", "state.wal", "state.wal.old"):
                (admin / name).unlink(missing_ok=True)
        if services:
            table_state.write(self.work / "n1" / "admin" / "state.json", services, instances, 0)
        started = time.monotonic()
        for node in ("n1", "n2"):
            self.start_agent(node)
        n1, n2 = self.api("n1"), self.api("n2")
        wait_until("both agents to see each other", lambda: self.alive_nodes("n1") == 2 and self.alive_nodes("n2") == 2, 120)
        wait_until(f"n1 to list {services} vservices", lambda: len(n1.get("/api/v1/vservices")) == services, 300)
        wait_until(f"n2 to hold n1's {services} vservices", lambda: self.slow_poll() and len(n2.get("/api/v1/vservices")) == services, 300)
        took = time.monotonic() - started
        if services:
            for node in ("n1", "n2"):
                self.connect_once(node, table_state.address(0))
        return took

    def connect_once(self, node, vip):
        """One connect under `ax run` to the first vservice: the agent builds its routing snapshot over the table (what
        a connect reads). Its backends are nowhere (no route): the connect fails, which is fine."""
        script = f"import socket\ntry: socket.create_connection(({vip!r}, {table_state.VSERVICE_PORT}), timeout=2)\nexcept OSError: pass"
        run(*self.on(node, "python3", "-c", script, ax=True), timeout=60)

    @staticmethod
    def slow_poll():
        time.sleep(2)  # a listing of 100 000 instances is megabytes: do not let the poll itself be the load
        return True

    def rss_mib(self, node, settle):
        return settled_rss_mib(self.agents[node].pid, settle)

    def gcdump(self, node, out):
        """A heap dump of the node's agent and its per-type report (dotnet-gcdump; the dump runs a full GC)."""
        dump = out / f"{node}.gcdump"
        run(str(GCDUMP), "collect", "-p", str(self.agents[node].pid), "-o", str(dump), timeout=300)
        report = run(str(GCDUMP), "report", str(dump), timeout=300).stdout
        (out / f"{node}.txt").write_text(report)
        return report.splitlines()[:3]


def measure(args, cluster):
    rows = []
    for size in [0] + args.sizes:
        services = 0 if size == 0 else max(1, size // args.per_service)
        took = cluster.restart_both(services, size)
        loaded = (process_rss_mib(cluster.agents["n1"].pid), process_rss_mib(cluster.agents["n2"].pid))
        n1 = cluster.rss_mib("n1", args.settle)
        n2 = cluster.rss_mib("n2", 0)
        rows.append((size, n1, n2, *loaded))
        print(f"{size} instances in {services} vservices (loaded and replicated in {took:.1f} s): right then n1 {loaded[0]:.1f} "
              f"MiB, n2 {loaded[1]:.1f} MiB; settled n1 {n1:.1f} MiB, n2 {n2:.1f} MiB", file=sys.stderr, flush=True)
        if args.gcdump:
            for node in ("n1", "n2"):
                out = Path(args.gcdump) / str(size)
                out.mkdir(parents=True, exist_ok=True)
                head = cluster.gcdump(node, out)
                print(f"  gcdump {node}: {out}/{node}.txt: {' | '.join(head)}", file=sys.stderr, flush=True)
    return rows


def render(rows):
    """Settled RSS and KiB per instance over the empty table's, then the same right after the load (unsettled)."""
    base = rows[0]
    lines = ["| instances | owner RSS MiB | replica RSS MiB | owner KiB/instance | replica KiB/instance | "
             "right after the load: owner / replica MiB (KiB/instance) |", "|---|---|---|---|---|---|"]
    for size, n1, n2, loaded1, loaded2 in rows:
        def per(now, then):
            return f"{(now - then) * 1024 / size:.2f}" if size else ""
        lines.append(f"| {size} | {n1:.1f} | {n2:.1f} | {per(n1, base[1])} | {per(n2, base[2])} | {loaded1:.1f} / {loaded2:.1f}"
                     + (f" ({per(loaded1, base[3])} / {per(loaded2, base[4])})" if size else "") + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=counts, default=counts("10000,100000"), help="instance counts, increasing")
    parser.add_argument("--per-service", type=int, default=10, help="backends per vservice (scale's ballast: 10)")
    parser.add_argument("--settle", type=float, default=30.0, help="quiet seconds before each reading")
    parser.add_argument("--gcdump", help="a directory for heap dumps of both agents at each size")
    parser.add_argument("--tree", default=str(datapath.ROOT), help="a source tree with a built out/bin/ax")
    parser.add_argument("--out", help="where instances.md/json go (default: the tree's out/bench)")
    args = parser.parse_args()
    if args.gcdump and not GCDUMP.exists():
        sys.exit(f"instances: {GCDUMP} is missing (dotnet tool install -g dotnet-gcdump)")
    ax, work = cluster_work("instances", args.tree)
    cluster = TableCluster(work, ["ax"], ax=ax)
    try:
        cluster.up()
        rows = measure(args, cluster)
    except (BenchError, subprocess.CalledProcessError) as error:
        sys.exit(f"instances: {error}")
    finally:
        cluster.down()
        shutil.rmtree(work, ignore_errors=True)
    table = render(rows)
    print(table)
    out = Path(args.out) if args.out else Path(args.tree).resolve() / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "instances.md").write_text(table + "\n")
    (out / "instances.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
