"""Gossip against the cluster's size: tests/bench/gossip-bench (N members in one process, LAN profile, started 10 ms
apart, each joining the first) at each N, and Serf's agents (tests/bench/serf_bench.py, one process each) at the
sizes this machine runs them. Each run has a network namespace of its own, so lo's counters are its traffic only.
Keys per point (ms unless said): join (after the last start: p50, p99, max), state (a new state on every member:
p50, p99), dead (kill → dead on every other member: p50, p99, max), bytes/s per member on lo. A run that does not
finish in time leaves its keys out (the table shows "n/a")."""
import os
import shutil
import subprocess

from datapath import ROOT, BenchError, remove_namespace, run

STAGGER_MS = 10
KEYS = {  # RESULT key → our key (gossip-bench, then serf_bench.py's names)
    "join_ms": "join_max_ms", "join_p50_ms": "join_p50_ms", "join_p99_ms": "join_p99_ms",
    "state_p50_ms": "state_p50_ms", "state_p99_ms": "state_p99_ms",
    "dead_ms": "dead_max_ms", "dead_p50_ms": "dead_p50_ms", "dead_p99_ms": "dead_p99_ms",
    "lo_bytes_per_s_per_member": "bytes_per_s_per_member",
    "serf_join_ms": "join_max_ms", "serf_join_p50_ms": "join_p50_ms", "serf_dead_ms": "dead_max_ms",
    "serf_dead_p50_ms": "dead_p50_ms", "serf_lo_bytes_per_s_per_member": "bytes_per_s_per_member",
}


def sizes(quick):
    """Our N and Serf's N; SCALE_GOSSIP_SIZES and SCALE_SERF_SIZES (comma lists) override the full run's."""
    full = [int(n) for n in os.environ.get("SCALE_GOSSIP_SIZES", "30,100,300,1000").split(",") if n]
    ours = [10, 20, 40, 80] if quick else full
    serf = [] if quick else [int(n) for n in os.environ.get("SCALE_SERF_SIZES", "30,100,300").split(",") if n]
    return ours, serf


def results_of(output):
    found = {}
    for line in output.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] == "RESULT" and fields[1] in KEYS:
            found[KEYS[fields[1]]] = float(fields[2])
    return found


def in_namespace(ns, argv, timeout, log_file):
    """argv in a fresh namespace (lo up), removed afterwards; its output (also written to log_file)."""
    run("ip", "netns", "add", ns)
    try:
        run("ip", "-n", ns, "link", "set", "lo", "up")
        try:
            out = subprocess.run(["ip", "netns", "exec", ns, *map(str, argv)], capture_output=True, text=True, timeout=timeout).stdout
        except subprocess.TimeoutExpired as expired:
            out = (expired.stdout or b"").decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
            out += f"\n(stopped after {timeout} s)\n"
        log_file.write_text(out)
        return out
    finally:
        remove_namespace(ns)


def measure(work, quick, log):
    ours, serf = sizes(quick)
    bench = ROOT / "out" / "bench" / "gossip-bench"  # kept: the next run's build is incremental
    run("dotnet", "build", "-c", "Release", "--nologo", "-v:q", ROOT / "tests" / "bench" / "gossip-bench", "-o", bench, timeout=900)
    quiet = 2 if quick else 10
    ns = f"axscale-{os.getpid()}-g"
    points = []
    for n in ours:
        out = in_namespace(ns, ["dotnet", bench / "GossipBench.dll", "--nodes", n, "--stagger-ms", STAGGER_MS, "--quiet-seconds", quiet],
                           600, work / f"gossip-ours-{n}.log")
        points.append({"impl": "ours", "n": n, **results_of(out)})
        log(f"gossip: ours N={n}: {points[-1]}")
    if serf and shutil.which("serf") is None:
        log("gossip: serf is not installed (make bench-cluster installs it): Serf left out")
        serf = []
    for n in serf:
        out = in_namespace(ns, ["/usr/bin/python3", ROOT / "tests" / "bench" / "serf_bench.py", "--nodes", n, "--quiet-seconds", quiet,
                                "--timeout", 240], 600, work / f"gossip-serf-{n}.log")
        points.append({"impl": "serf", "n": n, **results_of(out)})
        log(f"gossip: Serf N={n}: {points[-1]}")
    if not any(p.get("join_max_ms") for p in points):
        raise BenchError(f"gossip: no run converged (logs in {work})")
    return points
