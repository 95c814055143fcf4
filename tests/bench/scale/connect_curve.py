"""Agent time per trapped connect against the table's size and the rules in force (n1's agent restarted with each
table from a state file). Per point: the app's connect() p50/p99, the agent's histogram p50/p99
(appswitch_connect_duration_seconds, interpolated inside its buckets), the agent's CPU per connect, the agent's RSS
with that table, and how long the restart took to restore it."""


def points(quick):
    """(services, instances, rules) per point: two curves over the table's size (no rules, and the most rules), and
    one over the rules at a middle size."""
    sizes = [10, 100, 1_000, 10_000] if quick else [10, 1_000, 10_000, 100_000]
    most_rules = 100 if quick else 1_000
    middle = sizes[2]
    chosen = [(size, 0) for size in sizes] + [(size, most_rules) for size in sizes]
    chosen += [(middle, rules) for rules in ([1, 10] if quick else [10, 100])]
    return [(max(1, size // 10), size, rules) for size, rules in chosen]


def measure(cluster, quick, log):
    warm_up, connects = (200, 500) if quick else (2_000, 5_000)
    results = []
    for services, instances, rules in points(quick):
        load_s = cluster.restart_with_table(services, instances, rules)
        cluster.sequential_connects(warm_up)  # tiering: a fresh agent's first thousands of calls run slower
        point = {"services": services, "instances": instances, "rules": rules, "load_s": round(load_s, 2)}
        point.update(cluster.sequential_connects(connects))
        point["rss_mib"] = round(cluster.rss_mib(), 1)
        log(f"connect: {instances:>6} instances in {services:>5} services, {rules:>4} rules: app p50 {point['app_p50_us']:.0f} "
            f"p99 {point['app_p99_us']:.0f} µs, agent p50 {point['agent_p50_us']:.0f} p99 {point['agent_p99_us']:.0f} µs, "
            f"CPU {point['agent_cpu_us']:.0f} µs/connect, RSS {point['rss_mib']} MiB, restored in {load_s:.1f} s")
        results.append(point)
    return results
