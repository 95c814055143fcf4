#!/usr/bin/env python3
"""Memory soak (issue 20 point 2; `make soak`, not CI): nothing in the agent grows without bound under churn.

  sudo tests/bench/memory/soak.py [--minutes 30] [--warm-up 5] [--rounds-per-minute 40] [--tree DIR]

Two node namespaces with an agent each (datapath.py's cluster). For --minutes, round after round:
  - apps start and stop: short clients under `ax run` on n1 (netbench cycles: 20 connects each) to a stable
    server on n2, directly and through a vservice;
  - servers come and go: on n2 a pool of servers under `ax run --name soak-churn` of which one is stopped and
    a new one started every round (virtual IPs and versions rotate);
  - rules change: a route rule for soak-churn created on n1 and the oldest deleted, every round;
  - vservices change: one created on n1 and the oldest deleted, every round.
The rounds are paced: --rounds-per-minute, spread evenly (a round that finishes late starts the next at once but
never a burst to catch up), so the allocation rate stays constant whatever the machine's load; RSS follows the
allocation rate, and an unpaced run reads a faster minute as growth. Every minute both agents' RSS (VmRSS),
anonymous memory (smaps_rollup), threads and open fds, the entries of n1's app and server tables and the rounds
done in that minute are printed. At the end the samples after --warm-up minutes are fitted with a line: the run is
flat when the fitted growth over them stays under --max-growth MiB for RSS and under 5 threads/fds (exit 1
otherwise, with the table). A minute with fewer rounds than asked is marked: the machine did not keep up. Client
failures are counted and printed (a stopped server refuses its last connects; the stable one should never fail).
Everything runs in namespaces the script creates and removes, pass or fail.
"""
import argparse
import itertools
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import datapath  # noqa: E402
from datapath import BenchError, Cluster, process_rss_mib, run, wait_until  # noqa: E402
from admin_api import AdminApi, ApiError  # noqa: E402
from memory import cluster_work, slope  # noqa: E402

PORT = 7000
STABLE_VIP = "198.18.0.50"
CHURN_POOL = 5  # churning servers alive at once
KEEP = 5  # rules and vservices alive at once


def churn_vip(i):
    return f"198.18.2.{1 + i % 200}"


def soak_vip(i):
    return f"198.18.3.{1 + i % 200}"


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def anonymous_mib(pid):
    """Anonymous resident memory (GC heap, malloc, stacks): where a leak shows; RSS also holds mapped code."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            return int(line.split()[1]) / 1024
    return 0.0


class SoakCluster(Cluster):
    """datapath's two nodes; the churn happens in `round()`."""

    def start_servers(self):
        self.netbench = self.work / "netbench"
        run("gcc", "-O2", "-Wall", "-pthread", "-o", self.netbench, datapath.ROOT / "tests" / "bench" / "netbench.c")
        self.n1, self.n2 = AdminApi(self.work / "n1" / "admin" / "api.sock"), AdminApi(self.work / "n2" / "admin" / "api.sock")
        self.stable = self.start("server-stable", self.on("n2", self.ax, "run", "--ip", STABLE_VIP, "--name", "soak-stable",
                                                          "--", self.netbench, "server", PORT))
        self.churn = []  # (index, process)
        self.rules, self.vservices = [], []
        self.counter = itertools.count()
        self.failures = {"stable": 0, "vservice": 0}
        self.clients = 0
        for _ in range(CHURN_POOL):
            self.start_churn_server()
        wait_until("the stable server in n1's table", lambda: any(
            s["serviceAddr"] == f"{STABLE_VIP}:{PORT}" for s in self.n1.get("/api/v1/servers")), seconds=60)

    def start_churn_server(self):
        i = next(self.counter)
        proc = self.start(f"churn-{i % 50}", self.on("n2", self.ax, "run", "--ip", churn_vip(i), "--name", "soak-churn",
                                                     "--labels", f"version=v{i % 3}", "--", self.netbench, "server", PORT))
        self.churn.append((i, proc))
        # Started processes are forgotten once stopped: the list of the cluster's processes must not grow either.

    def stop_oldest_churn_server(self):
        _, proc = self.churn.pop(0)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        self.procs = [(n, p) for n, p in self.procs if p is not proc]

    def client(self, host, port, kind):
        """One short app on n1: 20 connects (with a request and an answer each) to host:port."""
        self.clients += 1
        result = subprocess.run(self.on("n1", self.netbench, "cycles", host, port, 20, ax=True),
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            self.failures[kind] += 1
            if self.failures[kind] <= 3:
                print(f"  {kind} client failed: {result.stderr.strip()[-200:]}", file=sys.stderr, flush=True)

    def change_rules(self):
        i = next(self.counter)
        rule = {"id": f"soak-{i}", "priority": 1 + i % 50, "destination": "soak-churn",
                "route": {"backends": [{"tags": [f"version=v{i % 3}"]}]}}
        self.n1.post("/v1/rules", {"rules": [rule]})
        self.rules.append(rule["id"])
        if len(self.rules) > KEEP:
            self.n1.delete(f"/v1/rules?id={self.rules.pop(0)}")

    def change_vservices(self):
        i = next(self.counter)
        name = f"soak-{i}"
        self.n1.post("/api/v1/vservices", {"name": name, "ip": soak_vip(i), "backends": [STABLE_VIP],
                                           "ports": [{"vport": 80, "aport": PORT}], "lbType": "RoundRobin"})
        self.vservices.append((name, soak_vip(i)))
        if len(self.vservices) > KEEP:
            self.n1.delete(f"/api/v1/vservices/{self.vservices.pop(0)[0]}")

    def round(self):
        self.stop_oldest_churn_server()
        self.start_churn_server()
        self.change_rules()
        self.change_vservices()
        self.client(STABLE_VIP, PORT, "stable")
        # Through the newest vservice: port 80 → its backend, the stable server's PORT on n2.
        self.client(self.vservices[-1][1], 80, "vservice")

    def sample(self):
        row = {}
        for node in ("n1", "n2"):
            pid = self.agents[node].pid
            row[node] = (process_rss_mib(pid), threads(pid), open_fds(pid), anonymous_mib(pid))
        row["tables"] = (len(self.n1.get("/api/v1/apps")), len(self.n1.get("/api/v1/servers")))
        return row


def fitted_growth(points):
    """The growth a least-squares line through (minute, value) points shows over their span."""
    return slope(points) * (points[-1][0] - points[0][0]) if len(points) >= 2 else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30, help="length of the churn")
    parser.add_argument("--warm-up", type=float, default=5, help="minutes not judged (tiering, pools filling)")
    parser.add_argument("--max-growth", type=float, default=4.0, help="MiB of fitted RSS growth after warm-up allowed")
    parser.add_argument("--rounds-per-minute", type=float, default=40,
                        help="churn rounds per minute, evenly spaced (a loaded 2-core machine keeps up with 40)")
    parser.add_argument("--tree", default=str(datapath.ROOT), help="a source tree with a built out/bin/ax")
    args = parser.parse_args()
    if args.warm_up >= args.minutes:
        sys.exit("soak: --warm-up must be shorter than --minutes")
    if args.rounds_per_minute <= 0:
        sys.exit("soak: --rounds-per-minute must be positive")
    ax, work = cluster_work("soak", args.tree)
    cluster = SoakCluster(work, ["ax"], ax=ax)
    samples, rounds, rounds_at_sample = [], 0, 0
    interval = 60 / args.rounds_per_minute
    try:
        cluster.up()
        start = time.monotonic()
        next_sample, next_round = start, start
        print("minute | n1 RSS anon MiB threads fds | n2 RSS anon MiB threads fds | n1 apps servers | rounds/min "
              f"(asked {args.rounds_per_minute:g}) | clients", flush=True)
        while True:
            now = time.monotonic()
            if now >= next_sample:
                minute = (now - start) / 60
                row = cluster.sample()
                row["rounds"] = rounds - rounds_at_sample
                rounds_at_sample = rounds
                samples.append((minute, row))
                n1, n2 = row["n1"], row["n2"]
                short = " short" if minute >= 0.5 and row["rounds"] < args.rounds_per_minute * 0.95 else ""
                print(f"{minute:6.1f} | {n1[0]:6.1f} {n1[3]:5.1f} {n1[1]:4d} {n1[2]:4d} | {n2[0]:6.1f} {n2[3]:5.1f} "
                      f"{n2[1]:4d} {n2[2]:4d} | {row['tables'][0]:4d} {row['tables'][1]:4d} | {row['rounds']:4d}{short} | "
                      f"{cluster.clients}", flush=True)
                next_sample += 60
                if minute >= args.minutes:
                    break
            if now < next_round:
                time.sleep(min(next_round, next_sample) - now)
                continue
            cluster.round()
            rounds += 1
            # Late (the machine is loaded): go on from now, no burst of rounds to catch up.
            next_round = max(next_round + interval, time.monotonic())
    except (BenchError, ApiError) as error:
        sys.exit(f"soak: {error}")
    finally:
        cluster.down()
        shutil.rmtree(work, ignore_errors=True)
    judged = [(m, row) for m, row in samples if m >= args.warm_up]
    verdicts = []
    for node in ("n1", "n2"):
        for index, what, limit in ((0, "RSS MiB", args.max_growth), (1, "threads", 5), (2, "fds", 5)):
            growth = fitted_growth([(m, row[node][index]) for m, row in judged])
            verdicts.append((f"{node} {what}", growth, limit, growth <= limit))
    paced = [row["rounds"] for m, row in samples[1:]]
    print(f"\nrounds per minute asked {args.rounds_per_minute:g}, done {min(paced)}-{max(paced)} (median "
          f"{statistics.median(paced):g})")
    print(f"{rounds} rounds, {cluster.clients} clients; failed clients: {cluster.failures['stable']} to the stable "
          f"server, {cluster.failures['vservice']} through vservices")
    print(f"fitted growth over minutes {args.warm_up:g}-{samples[-1][0]:.0f}:")
    span = samples[-1][0] - args.warm_up
    judged_rounds = sum(row["rounds"] for _, row in judged[1:]) or 1
    for what, growth, limit, ok in verdicts:
        per_round = f", {growth * 1024 / judged_rounds:+.2f} KiB per round" if "RSS" in what else ""
        print(f"  {what}: {growth:+.2f} ({growth / span * 10:+.2f} per 10 min{per_round}; allowed {limit:g}) "
              f"{'flat' if ok else 'GROWS'}")
    for node in ("n1", "n2"):
        growth = fitted_growth([(m, row[node][3]) for m, row in judged])
        print(f"  {node} anonymous MiB: {growth:+.2f} (not judged: where RSS growth would be)")
    if not all(ok for *_, ok in verdicts) or cluster.failures["stable"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
