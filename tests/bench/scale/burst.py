"""A burst: `apps` apps under `ax run` on n1, each with `connects` threads that connect to the server's virtual IP on
n2 at the same moment (a start file every app polls for). Every connect must be answered, none lost; the number is
the time from the start signal to each answer (p50/p99/last), on CLOCK_MONOTONIC in the apps and the script alike."""
import os
import time
from pathlib import Path

from datapath import BenchError, process_cpu_seconds, wait_until
from scale_cluster import SERVER, histogram_quantile


def machine_busy_seconds():
    """CPU seconds the whole machine spent busy (all CPUs, everything but idle and iowait), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def measure(cluster, quick, log):
    apps, connects = (20, 10) if quick else (100, 10)
    go = cluster.work / "burst.go"
    go.unlink(missing_ok=True)
    before = cluster.app_count()
    procs = [cluster.start(f"burst-{i}", cluster.on("n1", cluster.client, "burst", SERVER["vip"], SERVER["port"], connects, go, ax=True))
             for i in range(apps)]
    try:
        wait_until(f"n1 to list the {apps} burst apps", lambda: cluster.app_count() == before + apps, 60 + apps)
        cluster.forget_time_wait()
        histogram, cpu = cluster.connect_histogram(), process_cpu_seconds(cluster.agent_pid())
        busy = machine_busy_seconds()
        start_ns = time.monotonic_ns()
        go.touch()
        for proc in procs:
            proc.wait(timeout=120)
        # What the agent spent on the burst tells its share of the wall time from the apps' (threads, scheduling).
        cpu = process_cpu_seconds(cluster.agent_pid()) - cpu
        busy = machine_busy_seconds() - busy
        wall = (time.monotonic_ns() - start_ns) / 1e9
        after = cluster.connect_histogram()
        delta = {le: after[le] - histogram.get(le, 0) for le in after}
    finally:
        cluster.stop_group(procs)
    answers, errors = [], {}
    for i in range(apps):
        for line in (cluster.work / f"burst-{i}.log").read_text().splitlines():
            fields = line.split()
            if fields[:1] == ["ok"]:
                answers.append((int(fields[1]) - start_ns) / 1e6)
            elif fields[:1] == ["err"]:
                errors[fields[1]] = errors.get(fields[1], 0) + 1
                answers.append((int(fields[2]) - start_ns) / 1e6)
    if len(answers) != apps * connects:
        raise BenchError(f"burst: {len(answers)} of {apps * connects} connects reported (apps' logs in {cluster.work})")
    answers.sort()
    result = {"apps": apps, "connects_per_app": connects, "answered": len(answers) - sum(errors.values()),
              "errors": errors, "p50_ms": round(answers[len(answers) // 2], 1),
              "p99_ms": round(answers[int((len(answers) - 1) * 0.99)], 1), "last_ms": round(answers[-1], 1),
              "agent_cpu_ms": round(cpu * 1e3, 1),
              "machine_busy_cpus": round(busy / wall, 2), "cpus": os.cpu_count(), "agent_p50_us": round(histogram_quantile(delta, 0.5) * 1e6, 1),
              "agent_p99_us": round(histogram_quantile(delta, 0.99) * 1e6, 1)}
    log(f"burst: {apps} apps × {connects} connects: {result['answered']} answered, errors {errors or 'none'}; "
        f"from the start signal p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, last {result['last_ms']} ms; agent CPU "
        f"{result['agent_cpu_ms']} ms, the machine {result['machine_busy_cpus']} of {result['cpus']} CPUs busy, agent time per connect p50 {result['agent_p50_us']} µs, p99 {result['agent_p99_us']} µs")
    return result
