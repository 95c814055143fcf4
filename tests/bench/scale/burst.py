"""A burst: `apps` apps under `ax run` on n1, each with `connects` threads that connect to the server's virtual IP on
n2 at the same moment (a start file every app polls for). Every connect must be answered, none lost; the number is
the time from the start signal to each answer (p50/p99/last), on CLOCK_MONOTONIC in the apps and the script alike."""
import time

from datapath import BenchError, wait_until
from scale_cluster import SERVER


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
        start_ns = time.monotonic_ns()
        go.touch()
        for proc in procs:
            proc.wait(timeout=120)
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
              "p99_ms": round(answers[int((len(answers) - 1) * 0.99)], 1), "last_ms": round(answers[-1], 1)}
    log(f"burst: {apps} apps × {connects} connects: {result['answered']} answered, errors {errors or 'none'}; "
        f"from the start signal p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, last {result['last_ms']} ms")
    return result
