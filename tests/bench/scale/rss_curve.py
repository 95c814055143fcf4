"""Agent RSS against the apps under `ax run` on its node: sleepers (scale_client sleep: no socket call at all, so
the agent's cost is the app's entry, its session and its seccomp listener) started in steps up to the largest count,
RSS read a second after the agent lists them all. The sleepers are stopped at the end."""
import time

from datapath import wait_until


def counts(quick):
    return [1, 5, 10, 20] if quick else [1, 50, 100, 250, 500]


def measure(cluster, quick, log):
    cluster.restart_with_table(0, 0, 0)  # an agent with an empty table
    idle = cluster.rss_mib()
    results, sleepers = [{"apps": 0, "rss_mib": round(idle, 1)}], []
    log(f"apps: idle agent RSS {idle:.1f} MiB")
    try:
        for count in counts(quick):
            started = time.monotonic()
            while len(sleepers) < count:
                sleepers.append(cluster.start_sleeper(f"sleeper-{len(sleepers)}"))
            wait_until(f"n1 to list {count} apps", lambda: cluster.app_count() == count, 60 + count)
            took = time.monotonic() - started
            time.sleep(1)
            rss = cluster.rss_mib()
            results.append({"apps": count, "rss_mib": round(rss, 1), "start_s": round(took, 2)})
            log(f"apps: {count:>4} sleepers: agent RSS {rss:.1f} MiB (listed {took:.1f} s after the step began)")
    finally:
        cluster.stop_group(sleepers)
    return results
