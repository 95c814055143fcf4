#!/usr/bin/env python3
"""What `ax run --trap-sendmsg` costs, and what it gives (NOTES "sendmsg (session 11)"). Two node namespaces (udp_rr's);
under `ax run` on n2 a TCP `netbench server` and a UDP echo server; clients on n1 (one request of 64 bytes in flight):

  tcp   one connection, every request written with sendmsg (no destination: gRPC C-core-style writes) —
          ax        client under `ax run` (sendmsg not trapped)
          ax2       the same again, measured as a mode of its own: the A/A control
          ax-trap   client under `ax run --trap-sendmsg`: every sendmsg traps and is continued
  udp   one unconnected socket —
          ax-sendto      sendto/recvfrom under `ax run` (every sendto traps: the path sendmsg now shares)
          ax-trap        sendmsg/recvmsg under `ax run --trap-sendmsg` (without the flag: ENETUNREACH)
          ax-trap2       the same again: the A/A control

The modes take turns client by client, the order rotated per run. Reports requests/s, p99 and the extra µs per request
against the reference mode (tcp: ax; udp: ax-sendto). Everything stays in namespaces the script makes and removes.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
from pathlib import Path

from datapath import AX, ROOT, BenchError, print_agent_logs, run, wait_until
from udp_rr import UDP, UdpCluster

TCP = {"vip": "198.18.0.14", "port": 7002}
WORKLOADS = {"tcp": ["ax", "ax2", "ax-trap"], "udp": ["ax-sendto", "ax-trap", "ax-trap2"]}
REFERENCE = {"tcp": ("ax", "ax2"), "udp": ("ax-sendto", "ax-trap2")}


class SendmsgCluster(UdpCluster):
    def start_servers(self):
        super().start_servers()
        self.start("server-tcp", self.on("n2", self.ax, "run", "--ip", TCP["vip"], "--", self.netbench, "server", TCP["port"]))
        wait_until("both servers in n1's `ax get servers`", self.n1_knows_both)

    def n1_knows_both(self):
        out = run(*self.on("n1", self.ax, "get", "servers", "-o", "json")).stdout
        known = {item["serviceAddr"] for item in json.loads(out)["items"]}
        return {f"{UDP['vip']}:{UDP['port']}", f"{TCP['vip']}:{TCP['port']}"} <= known


def client(cluster, workload, mode, count):
    trap = mode.startswith("ax-trap")
    if workload == "tcp":
        bench = [cluster.netbench, "tcp-rr", TCP["vip"], TCP["port"], count, "sendmsg"]
    else:
        bench = [cluster.netbench, "udp-rr", UDP["vip"], UDP["port"], count, "sendmsg" if trap else "unconnected"]
    argv = cluster.on("n1", cluster.ax, "run", *(["--trap-sendmsg"] if trap else []), "--", *bench)
    return json.loads(run(*argv, timeout=600).stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="clients per mode in a run (median)")
    parser.add_argument("--count", type=int, default=20000, help="requests per client")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench")
    args = parser.parse_args()
    if not AX.exists():
        sys.exit(f"bench: {AX} is missing; run 'make build' first")
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces)")

    work = Path(tempfile.mkdtemp(prefix="axt-", dir="/tmp"))
    (work / "owner.pid").write_text(str(os.getpid()))
    cluster = SendmsgCluster(work, ["ax"])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        cluster.up()
        for workload, modes in WORKLOADS.items():
            for mode in modes:
                client(cluster, workload, mode, min(args.count, 2000))  # warm-up, not measured
        runs = []
        for index in range(args.runs):
            result = {}
            for workload, modes in WORKLOADS.items():
                order = modes[index % len(modes):] + modes[:index % len(modes)]
                samples = {mode: [] for mode in modes}
                for _ in range(args.repeats):
                    for mode in order:
                        samples[mode].append(client(cluster, workload, mode, args.count))
                result[workload] = {mode: {"per_second": statistics.median(s["per_second"] for s in samples[mode]),
                                           "p99_us": statistics.median(s["p99_us"] for s in samples[mode])} for mode in modes}
            print(f"run {index + 1}/{args.runs}: " + json.dumps(result), file=sys.stderr, flush=True)
            runs.append(result)
        lines = [f"--trap-sendmsg: {args.runs} runs x {args.repeats} clients of {args.count} requests of 64 bytes (median per run)",
                 "", "| workload | mode | requests/s | p99 µs | µs per request vs reference (min–max over runs) |", "|---|---|---|---|---|"]
        for workload, modes in WORKLOADS.items():
            reference = REFERENCE[workload][0]
            for mode in modes:
                rate = statistics.median(r[workload][mode]["per_second"] for r in runs)
                p99 = statistics.median(r[workload][mode]["p99_us"] for r in runs)
                extra = [1e6 / r[workload][mode]["per_second"] - 1e6 / r[workload][reference]["per_second"] for r in runs]
                lines.append(f"| {workload} | {mode} | {rate:.0f} | {p99:.0f} | "
                             f"{statistics.median(extra):+.1f} ({min(extra):+.1f}–{max(extra):+.1f}) |")
        report = "\n".join(lines)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "sendmsg_rr.json").write_text(json.dumps(runs, indent=1))
        (args.out / "sendmsg_rr.md").write_text(report + "\n")
        print(report)
    except BenchError as error:
        print_agent_logs(work)
        sys.exit(f"bench: {error}")
    finally:
        cluster.down()
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
