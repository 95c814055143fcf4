"""scale.md (tables, per-app and per-instance bytes, growth exponents) and scale.svg (the curves) from the results."""
import math

import svg_plot


def slope(points):
    """Least-squares slope of y over x."""
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    var = sum((x - mx) ** 2 for x, _ in points)
    return None if var == 0 else sum((x - mx) * (y - my) for x, y in points) / var


def exponent(points):
    """How y grows with x between the smallest and the largest positive x: 0 flat, 1 linear, 2 quadratic."""
    points = sorted((x, y) for x, y in points if x > 0 and y and y > 0)
    if len(points) < 2 or points[0][0] == points[-1][0]:
        return None
    (x0, y0), (x1, y1) = points[0], points[-1]
    return math.log(y1 / y0) / math.log(x1 / x0)


def fmt(value, digits=0):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def connect_series(results):
    connect = results.get("connect", [])
    most = max((p["rules"] for p in connect), default=0)
    by_size = lambda rules: sorted((p for p in connect if p["rules"] == rules), key=lambda p: p["instances"])  # noqa: E731
    # The rules curve is at the size measured with the most rule counts (connect_curve's middle size).
    middle = max({p["instances"] for p in connect}, key=lambda i: len({p["rules"] for p in connect if p["instances"] == i})) if connect else 0
    by_rules = sorted((p for p in connect if p["instances"] == middle), key=lambda p: p["rules"])
    return connect, most, by_size(0), by_size(most), middle, by_rules


def markdown(results):
    lines = [f"# Scale benchmark ({'quick' if results.get('quick') else 'full'}), {results.get('date')}, "
             f"{results.get('cpus')} CPUs, load average {results.get('load', 0):.0f} at the start, {results.get('seconds')} s", ""]
    connect, most, no_rules, with_rules, middle, by_rules = connect_series(results)
    if connect:
        lines += ["## Connect against the table (n1's agent; app = connect() in the app, agent = its histogram)", "",
                  "| instances | services | rules | app p50 µs | app p99 µs | agent p50 µs | agent p99 µs | agent CPU µs/connect | agent RSS MiB | restored in s |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for p in connect:
            lines.append(f"| {p['instances']:,} | {p['services']:,} | {p['rules']:,} | {p['app_p50_us']:.0f} | {p['app_p99_us']:.0f} | "
                         f"{p['agent_p50_us']:.0f} | {p['agent_p99_us']:.0f} | {p['agent_cpu_us']:.0f} | {p['rss_mib']} | {p['load_s']} |")
        per_instance = slope([(p["instances"], p["rss_mib"] * 1048576) for p in no_rules])
        lines += ["", f"Growth exponents (0 flat, 1 linear) from {no_rules[0]['instances']:,} to {no_rules[-1]['instances']:,} instances, "
                  f"no rules: agent CPU per connect {fmt(exponent([(p['instances'], p['agent_cpu_us']) for p in no_rules]), 2)}, "
                  f"app p50 {fmt(exponent([(p['instances'], p['app_p50_us']) for p in no_rules]), 2)}, "
                  f"restore time {fmt(exponent([(p['instances'], p['load_s']) for p in no_rules]), 2)}, "
                  f"RSS {fmt(exponent([(p['instances'], p['rss_mib']) for p in no_rules]), 2)}. "
                  f"Per instance (RSS slope, no rules): **{fmt(per_instance)} bytes**.", ""]
    apps = results.get("apps", [])
    if apps:
        per_app = slope([(p["apps"], p["rss_mib"] * 1048576) for p in apps if p["apps"] > 0])
        lines += ["## Agent RSS against apps under `ax run` (sleepers) on its node", "",
                  "| apps | agent RSS MiB | all listed after s |", "|---|---|---|"]
        lines += [f"| {p['apps']} | {p['rss_mib']} | {p.get('start_s', '')} |" for p in apps]
        lines += ["", f"Per app (RSS slope): **{fmt(per_app)} bytes**; idle agent {apps[0]['rss_mib']} MiB.", ""]
    b = results.get("burst")
    if b:
        lines += ["## Burst", "", f"{b['apps']} apps × {b['connects_per_app']} connects at once: **{b['answered']} of "
                  f"{b['apps'] * b['connects_per_app']} answered** (errors: {b['errors'] or 'none'}); from the start signal "
                  f"p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms, **last answer {b['last_ms']} ms**. The agent spent "
                  f"{b.get('agent_cpu_ms', 'n/a')} ms of CPU on it, the machine kept {b.get('machine_busy_cpus', 'n/a')} of "
                  f"{b.get('cpus', 'n/a')} CPUs busy meanwhile; its own time per connect p50 {b.get('agent_p50_us', 'n/a')} µs, "
                  f"p99 {b.get('agent_p99_us', 'n/a')} µs.", ""]
    gossip = results.get("gossip", [])
    if gossip:
        lines += ["## Gossip (members in one process for ours, one process per agent for Serf; 127.0.0.1; started 10 ms apart / "
                  "one after another)", "",
                  "| impl | N | join p50 ms | join p99 ms | join max ms | new state p50 ms | new state p99 ms | dead p50 ms | dead p99 ms | dead max ms | bytes/s per member |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for p in gossip:
            keys = ["join_p50_ms", "join_p99_ms", "join_max_ms", "state_p50_ms", "state_p99_ms", "dead_p50_ms", "dead_p99_ms", "dead_max_ms",
                    "bytes_per_s_per_member"]
            lines.append(f"| {p['impl']} | {p['n']} | " + " | ".join(fmt(p.get(k)) for k in keys) + " |")
        ours = [p for p in gossip if p["impl"] == "ours"]
        lines += ["", f"Growth exponents of ours from N={ours[0]['n']} to N={ours[-1]['n']}: join max "
                  f"{fmt(exponent([(p['n'], p.get('join_max_ms')) for p in ours]), 2)}, new state p99 "
                  f"{fmt(exponent([(p['n'], p.get('state_p99_ms')) for p in ours]), 2)}, dead max "
                  f"{fmt(exponent([(p['n'], p.get('dead_max_ms')) for p in ours]), 2)}, bytes/s per member "
                  f"{fmt(exponent([(p['n'], p.get('bytes_per_s_per_member')) for p in ours]), 2)}.", ""] if ours else []
    return "\n".join(lines) + "\n"


def panels(results):
    connect, most, no_rules, with_rules, middle, by_rules = connect_series(results)
    out = []
    if connect:
        series = []
        for name, pts in ((f"0 rules", no_rules), (f"{most} rules", with_rules)):
            series += [(f"agent p50, {name}", [(p["instances"], p["agent_p50_us"]) for p in pts]),
                       (f"agent p99, {name}", [(p["instances"], p["agent_p99_us"]) for p in pts]),
                       (f"app p50, {name}", [(p["instances"], p["app_p50_us"]) for p in pts]),
                       (f"app p99, {name}", [(p["instances"], p["app_p99_us"]) for p in pts])]
        out.append(dict(title="Connect vs table size", xlabel="instances (10 per service)", ylabel="µs", series=series, xlog=True, ylog=True))
        out.append(dict(title=f"Connect vs rules ({middle:,} instances)", xlabel="rules", ylabel="µs", xlog=True, ylog=True, series=[
            ("agent p50", [(p["rules"], p["agent_p50_us"]) for p in by_rules]), ("agent p99", [(p["rules"], p["agent_p99_us"]) for p in by_rules]),
            ("app p50", [(p["rules"], p["app_p50_us"]) for p in by_rules]), ("app p99", [(p["rules"], p["app_p99_us"]) for p in by_rules]),
            ("agent CPU/connect", [(p["rules"], p["agent_cpu_us"]) for p in by_rules])]))
        out.append(dict(title="Agent RSS and restore vs table", xlabel="instances", ylabel="MiB / s", xlog=True, series=[
            ("RSS MiB, 0 rules", [(p["instances"], p["rss_mib"]) for p in no_rules]),
            (f"RSS MiB, {most} rules", [(p["instances"], p["rss_mib"]) for p in with_rules]),
            ("restore s, 0 rules", [(p["instances"], p["load_s"]) for p in no_rules])]))
    if results.get("apps"):
        out.append(dict(title="Agent RSS vs apps", xlabel="apps under ax run", ylabel="MiB",
                        series=[("agent RSS", [(p["apps"], p["rss_mib"]) for p in results["apps"]])]))
    gossip = results.get("gossip", [])
    if gossip:
        times = []
        for impl in ("ours", "serf"):
            pts = [p for p in gossip if p["impl"] == impl]
            if pts:
                times += [(f"{impl} join max", [(p["n"], p.get("join_max_ms")) for p in pts]),
                          (f"{impl} dead max", [(p["n"], p.get("dead_max_ms")) for p in pts])]
                if impl == "ours":
                    times.append(("ours new state p99", [(p["n"], p.get("state_p99_ms")) for p in pts]))
        out.append(dict(title="Gossip times vs members", xlabel="members N", ylabel="ms", series=times, xlog=True, ylog=True))
        out.append(dict(title="Gossip bytes/s per member (lo)", xlabel="members N", ylabel="bytes/s", xlog=True, series=[
            (impl, [(p["n"], p.get("bytes_per_s_per_member")) for p in gossip if p["impl"] == impl]) for impl in ("ours", "serf")]))
    return out


def write(results, directory):
    (directory / "scale.md").write_text(markdown(results))
    svg_plot.write(directory / "scale.svg", panels(results),
                   heading=f"AppSwitch scale benchmark, {results.get('date')}, {results.get('cpus')} CPUs"
                           f"{' (quick)' if results.get('quick') else ''}")
