#!/usr/bin/env python3
"""Table changes one by one through the REST API (issue 20 point 1): what grew worse than linear, measured.

  sudo tests/bench/scale/table_changes.py [--rules 100,300,1000] [--vservices 1000] [--held 0,5000,20000] [--tree DIR]

Two node namespaces with an agent each (datapath.py's cluster, no servers), driven over n1's api.sock (one POST per
change, no CLI start):
  rules      R Amalgam8 route rules created on n1 one by one (POST /v1/rules, one rule each): wall time, n1's agent CPU,
             and the bytes n1 wrote ahead to <admin>/state.wal. The state file writer is held off for the run
             (AX_STATE_TEST_WRITE_DELAY_MS) so that the log keeps every record: its size is what was written ahead.
  vservices  n2 holds M vservices (loaded from its state file at a restart), then N vservices are created on n1 one by
             one: wall time and n1's CPU per add (each add is checked for conflicts against the M replicas).
Run it once per tree (--tree) to compare builds. Prints a Markdown table (also out/bench/table-changes.md).
Everything runs in namespaces the script creates and removes, pass or fail.
"""
import argparse
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "memory"))
sys.path.insert(0, str(HERE))
import datapath  # noqa: E402
import table_state  # noqa: E402
from admin_api import AdminApi  # noqa: E402
from datapath import BenchError, Cluster, process_cpu_seconds, wait_until  # noqa: E402
from memory import cluster_work, counts  # noqa: E402

IDLE_SECONDS = 15
HOLD_WRITES_MS = "3600000"  # an hour: no state file write (and no log rotation) during a step


class ChangeCluster(Cluster):
    """datapath's two nodes with nothing running; n1's state writer can be held off."""

    hold_writes = False

    def start_servers(self):
        pass

    def start_agent(self, node, *extra):
        if node != "n1" or not self.hold_writes:
            return super().start_agent(node, *extra)
        argv = self.on(node, "env", f"AX_STATE_TEST_WRITE_DELAY_MS={HOLD_WRITES_MS}", self.ax, "daemon",
                       "--socket-dir", self.work / node / "sock", "--node-interface", "eth0", "--node-name", node,
                       "--rest-port", "0", "--log-level", "warning", "--neighbors", ",".join(self.node_ip.values()), *extra)
        self.agents[node] = self.start(f"agent-{node}", argv)
        return self.agents[node]

    def api(self, node):
        return AdminApi(self.work / node / "admin" / "api.sock")

    def restart(self, node, state=None):
        """The node's agent stopped, its saved state and logs replaced (emptied, or `state`), and started again."""
        agent = self.agents[node]
        os.killpg(agent.pid, signal.SIGTERM)
        agent.wait(timeout=60)
        admin = self.work / node / "admin"
        for name in ("state.json", "state.wal", "state.wal.old"):
            (admin / name).unlink(missing_ok=True)
        if state is not None:
            (admin / "state.json").write_text(json.dumps(state))
        self.start_agent(node)
        wait_until(f"{node}'s agent to answer", lambda: self.answers(node), 120)
        wait_until("both agents to see each other", lambda: self.alive_nodes("n1") == 2 and self.alive_nodes("n2") == 2, 120)

    def answers(self, node):
        try:
            self.api(node).get("/api/v1/vservices")
            return True
        except (OSError, Exception):  # noqa: BLE001 - not up yet
            return False


def route_rule(i):
    return {"id": f"bench-{i}", "destination": f"svc-{i % 50}", "priority": i % 7,
            "route": {"backends": [{"tags": ["v1"], "weight": 0.9}, {"tags": ["v2"], "weight": 0.1}]}}


def rules_step(cluster, count):
    cluster.hold_writes = True
    cluster.restart("n1")
    n1, pid = cluster.api("n1"), cluster.agents["n1"].pid
    wal = cluster.work / "n1" / "admin" / "state.wal"
    before = wal.stat().st_size if wal.exists() else 0
    cpu, started = process_cpu_seconds(pid), time.perf_counter()
    for i in range(count):
        n1.post("/v1/rules", {"rules": [route_rule(i)]})
    elapsed, cpu = time.perf_counter() - started, process_cpu_seconds(pid) - cpu
    written = (wal.stat().st_size if wal.exists() else 0) - before
    return {"rules": count, "seconds": elapsed, "cpu_ms_per_rule": cpu * 1000 / count, "wal_bytes": written}


def vservices_step(cluster, held, count):
    cluster.hold_writes = False
    cluster.restart("n1")
    state = table_state.ballast(held, held, 0) if held else None
    cluster.restart("n2", state)
    n1, pid = cluster.api("n1"), cluster.agents["n1"].pid
    wait_until(f"n1 to hold n2's {held} vservices", lambda: len(n1.get("/api/v1/vservices")) >= held, 300)
    # n1's CPU with no change at all (gossip, timers): what the per-add figure below must be read against.
    idle = process_cpu_seconds(pid)
    time.sleep(IDLE_SECONDS)
    idle = (process_cpu_seconds(pid) - idle) / IDLE_SECONDS
    cpu, started = process_cpu_seconds(pid), time.perf_counter()
    for i in range(count):
        n1.post("/api/v1/vservices", {"name": f"own-{i}", "ip": f"198.19.{200 + i // 250}.{1 + i % 250}",
                                      "backends": ["198.18.1.1"], "ports": [{"vport": 80, "aport": 80}], "lbType": "Random"})
    elapsed, cpu = time.perf_counter() - started, process_cpu_seconds(pid) - cpu
    return {"held": held, "added": count, "seconds": elapsed, "cpu_us_per_add": cpu * 1e6 / count,
            "idle_cpu_ms_per_s": idle * 1000, "cpu_us_per_add_less_idle": (cpu - idle * elapsed) * 1e6 / count}


def render(rules, vservices, tree):
    lines = [f"Tree: {tree}", "", "| rules created one by one | wall s | agent CPU ms per rule | bytes written ahead | bytes per rule |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['rules']} | {r['seconds']:.1f} | {r['cpu_ms_per_rule']:.2f} | {r['wal_bytes']:,} | {r['wal_bytes'] / r['rules']:,.0f} |"
              for r in rules]
    lines += ["", "| vservices held by n2 | added on n1 | wall s | n1 CPU µs per add | n1 idle CPU ms/s | µs per add less idle |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {v['held']} | {v['added']} | {v['seconds']:.1f} | {v['cpu_us_per_add']:.0f} | {v['idle_cpu_ms_per_s']:.0f} | "
              f"{v['cpu_us_per_add_less_idle']:.0f} |" for v in vservices]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=lambda t: counts(t) if t else [], default=counts("100,300,1000"), help="rule counts (one run each; '' for none)")
    parser.add_argument("--vservices", type=int, default=1000, help="vservices added on n1 in each held step")
    parser.add_argument("--held", type=lambda t: [int(v) for v in t.split(",")], default=[0, 5000, 20000],
                        help="vservices n2 holds (a node's gossip state is at most 4 MiB: ~25 000)")
    parser.add_argument("--tree", default=str(datapath.ROOT), help="a source tree with a built out/bin/ax")
    args = parser.parse_args()
    ax, work = cluster_work("table-changes", args.tree)
    cluster = ChangeCluster(work, ["ax"], ax=ax)
    rules, vservices = [], []
    try:
        cluster.up()
        for count in args.rules:
            rules.append(rules_step(cluster, count))
            print(json.dumps(rules[-1]), file=sys.stderr, flush=True)
        for held in args.held:
            vservices.append(vservices_step(cluster, held, args.vservices))
            print(json.dumps(vservices[-1]), file=sys.stderr, flush=True)
    except BenchError as error:
        sys.exit(f"table-changes: {error}")
    finally:
        cluster.down()
        shutil.rmtree(work, ignore_errors=True)
    table = render(rules, vservices, args.tree)
    print(table)
    out = Path(datapath.ROOT) / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "table-changes.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
