#!/usr/bin/env python3
"""`make bench-scale`: how the agent's costs grow with the work, each a curve of at least four points.

  connect  agent time per trapped connect (the app's connect() p50/p99, the agent's histogram p50/p99, its CPU per
           connect) against the table's size (10 → 100 000 instances in up to 10 000 services) with 0 and 1 000
           rules, and against the rules; n1's agent restored each table from a state file (connect_curve.py)
  apps     agent RSS against 1 → 500 apps under `ax run` on its node (rss_curve.py)
  burst    100 apps × 10 connects at once: all answered, time to the last answer (burst.py)
  gossip   join, new state on every member, failure detection and bytes/s per member at N = 30 → 1 000, and Serf's
           agents at the sizes this machine runs (gossip_curve.py)

Writes out/bench/scale/scale.json, scale.md (the tables) and scale.svg (the curves). SCALE_QUICK=1 (or --quick):
small sizes, a smoke run of about a minute once built; SCALE_PARTS=connect,apps (or --parts) for some parts.
Needs root (network namespaces) and `make build`. Everything made (namespaces, processes, cgroups, /tmp/axt-*) is
removed on exit, pass or failure.
"""
import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from datapath import AX, ROOT, BenchError, print_agent_logs  # noqa: E402

import burst  # noqa: E402
import connect_curve  # noqa: E402
import gossip_curve  # noqa: E402
import report  # noqa: E402
import rss_curve  # noqa: E402
from scale_cluster import ScaleCluster  # noqa: E402

PARTS = ["connect", "apps", "burst", "gossip"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", default=os.environ.get("SCALE_QUICK", "") not in ("", "0"))
    parser.add_argument("--parts", default=os.environ.get("SCALE_PARTS") or ",".join(PARTS))
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench" / "scale")
    args = parser.parse_args()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        sys.exit(f"bench-scale: unknown part {', '.join(unknown)} (parts: {', '.join(PARTS)})")
    if os.geteuid() != 0:
        sys.exit("bench-scale: needs root (network namespaces)")
    if not AX.exists():
        sys.exit(f"bench-scale: {AX} is missing; run 'make build' first")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.out.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()

    def log(line):
        print(f"[{time.monotonic() - began:6.1f} s] {line}", flush=True)

    results = {"quick": args.quick, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
               "load": os.getloadavg()[0]}
    work = Path(tempfile.mkdtemp(prefix="axt-", dir="/tmp"))
    (work / "owner.pid").write_text(str(os.getpid()))
    cluster = None
    try:
        if any(p in parts for p in ("connect", "apps", "burst")):
            cluster = ScaleCluster(work, ["ax"])
            cluster.up()
            log("two nodes up, the netbench server on n2")
            if "connect" in parts:
                results["connect"] = connect_curve.measure(cluster, args.quick, log)
            if "apps" in parts:
                results["apps"] = rss_curve.measure(cluster, args.quick, log)
            if "burst" in parts:
                results["burst"] = burst.measure(cluster, args.quick, log)
            cluster.down()
            cluster = None
        if "gossip" in parts:
            results["gossip"] = gossip_curve.measure(work, args.quick, log)
    except BenchError as error:
        if cluster is not None:
            print_agent_logs(work)
        sys.exit(f"bench-scale: {error}")
    finally:
        if cluster is not None:
            cluster.down()
        shutil.rmtree(work, ignore_errors=True)
        results["seconds"] = round(time.monotonic() - began, 1)
        (args.out / "scale.json").write_text(json.dumps(results, indent=2) + "\n")
        report.write(results, args.out)
    print((args.out / "scale.md").read_text())
    log(f"done: {args.out}/scale.md, scale.svg, scale.json")


if __name__ == "__main__":
    main()
