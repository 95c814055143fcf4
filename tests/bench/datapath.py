#!/usr/bin/env python3
"""Data-path benchmark (`make bench`): the same server and client programs on two node namespaces,
reached five ways, side by side in one run:

  direct  the client connects to the server's node ip:port (no AppSwitch on the client)
  direct2 direct again, measured as a mode of its own: an A/A control. Its ratio to direct is how far two
          identical paths differ on this machine, the yardstick for ax (the same kernel socket after connect)
  ax      the client runs under `ax run` and connects to the server's virtual IP
  haproxy a user-space L4 proxy on the client's node (loopback), as a sidecar would be
  nat     an nftables DNAT rule on the client's node (kube-proxy style)
  relay   the agent's own relay: the app is exposed on the client's node (`--expose P:NODE1:H`)

Workloads: bulk throughput (iperf3), paced keep-alive requests against nginx (wrk: p50/p99/p99.9),
one new connection per request (netbench cycles: connections/s, p99 of connect+request+answer),
and the agents' (and haproxy's) CPU and memory during each. Modes run in a rotated order in every
run so that drift does not favour one; a short unmeasured pass of everything comes first (warm-up), and
each new-connection measurement starts with no TIME_WAIT sockets left by the one before. Everything
stays inside namespaces the script creates, which it removes on exit, pass or fail.
"""
import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AX = ROOT / "out" / "bin" / "ax"
MODES = ["direct", "direct2", "ax", "haproxy", "nat", "relay"]
NODE_IP = {"n1": "10.79.0.1", "n2": "10.79.0.2"}
# Virtual IPs of the three servers (nginx, iperf3, netbench) and the DNAT addresses that stand in for
# kube-proxy's ClusterIPs.
SERVICES = {
    "nginx": {"vip": "198.18.0.10", "port": 80, "nat_ip": "198.18.1.10", "proxy_port": 28080, "relay_port": 18080},
    "iperf": {"vip": "198.18.0.11", "port": 5201, "nat_ip": "198.18.1.11", "proxy_port": 25201, "relay_port": 15201},
    "cycles": {"vip": "198.18.0.12", "port": 7000, "nat_ip": "198.18.1.12", "proxy_port": 27000, "relay_port": 17000},
}
TICKS = os.sysconf("SC_CLK_TCK")


def remove_cgroup(name):
    """rmdir the agent's socket-lock cgroup under ours once its processes are gone (EBUSY until then)."""
    mounts = [l.split(" - ")[0].split() for l in open("/proc/self/mountinfo") if " - cgroup2 " in l]
    ours = next((l.strip()[3:] for l in open("/proc/self/cgroup") if l.startswith("0::")), None)
    if not mounts or ours is None:
        return
    path = os.path.join(mounts[0][4] + ours.rstrip("/"), name)
    deadline = time.monotonic() + 10
    while os.path.isdir(path):
        try:
            os.rmdir(path)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def remove_namespace(ns):
    """Kills whatever still runs in the namespace, then deletes it (nothing to do if it is gone)."""
    if ns not in run("ip", "netns", "list", check=False).stdout.split():
        return
    for pid in run("ip", "netns", "pids", ns, check=False).stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    run("ip", "netns", "del", ns, check=False)


def print_agent_logs(work):
    """The last lines of each agent's log (on stderr), for a failed run."""
    for name in ("agent-n1", "agent-n2"):
        log = work / f"{name}.log"
        if log.exists():
            print(f"--- {name} (last 10 lines) ---\n" + "\n".join(log.read_text().splitlines()[-10:]), file=sys.stderr)


class BenchError(Exception):
    pass


class ProcessDied(BenchError):
    """Raised inside a wait: ends it at once (other BenchErrors there mean "not yet")."""


@contextlib.contextmanager
def cluster_run(make_cluster, program="bench"):
    """A work folder under /tmp and the cluster `make_cluster(work)` builds there, brought up; torn down afterwards, pass
    or fail (the folder kept with KEEP=1). A BenchError ends the script: the agents' last log lines and one line."""
    work = Path(tempfile.mkdtemp(prefix="axt-", dir="/tmp"))
    (work / "owner.pid").write_text(str(os.getpid()))
    cluster = make_cluster(work)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        cluster.up()
        yield cluster
    except BenchError as error:
        print_agent_logs(work)
        sys.exit(f"{program}: {error}")
    finally:
        cluster.down()
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)


def write_report(out, name, results, report):
    """out/NAME.json (the raw results) and out/NAME.md (the report), and the report on stdout."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(results, indent=1))
    (out / f"{name}.md").write_text(report + "\n")
    print(report)


def run(*cmd, check=True, capture=True, timeout=300, env=None):
    result = subprocess.run(cmd, capture_output=capture, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise BenchError(f"{' '.join(map(str, cmd))} exited {result.returncode}: {(result.stderr or '').strip()[-400:]}")
    return result


def wait_until(what, condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except ProcessDied:
            raise
        except (BenchError, subprocess.SubprocessError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    raise BenchError(f"timed out waiting for {what}")


def process_cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def process_rss_mib(pid, key="VmRSS"):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Cluster:
    """Two node namespaces joined by a veth pair (no default route), an agent on each, the servers on n2
    under `ax run`, haproxy and the DNAT rules on n1."""

    def __init__(self, work, modes, ax=AX):
        self.work = work
        self.modes = modes
        self.ax = ax  # the build under test (connect_cpu.py runs two builds side by side)
        self.tag = "axt-" + work.name.split("-", 1)[1]
        self.procs = []
        self.agents = {}
        self.haproxy = None
        self.node_ports = {}

    # The nodes and their addresses on eth0; a subclass with another topology sets its own.
    node_ip = NODE_IP

    def ns(self, node):
        return f"{self.tag}-{node}"

    def on(self, node, *cmd, ax=False):
        # Each agent gets its own socket-lock cgroup (named after its namespace), removed in down().
        prefix = ["ip", "netns", "exec", self.ns(node), "env", f"AX_SOCKET_DIR={self.work / node / 'sock'}",
                  f"AX_ADMIN_SOCKET_DIR={self.work / node / 'admin'}", f"AX_SOCKET_LOCK_CGROUP={self.ns(node)}"]
        return prefix + ([str(self.ax), "run", "--"] if ax else []) + [str(c) for c in cmd]

    def start(self, name, argv):
        log = open(self.work / f"{name}.log", "w")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def up(self):
        for node in NODE_IP:
            run("ip", "netns", "add", self.ns(node))
            run("ip", "-n", self.ns(node), "link", "set", "lo", "up")
        run("ip", "link", "add", "eth0", "netns", self.ns("n1"), "type", "veth", "peer", "name", "eth0", "netns", self.ns("n2"))
        for node, ip in NODE_IP.items():
            run("ip", "-n", self.ns(node), "addr", "add", f"{ip}/24", "dev", "eth0")
            run("ip", "-n", self.ns(node), "link", "set", "eth0", "up")
            # Tens of thousands of short connections: reuse TIME_WAIT ports rather than run out of them.
            run("ip", "netns", "exec", self.ns(node), "sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=1")
            (self.work / node).mkdir()
            self.start_agent(node)
        wait_until("both agents to see each other", lambda: self.alive_nodes("n1") == 2 and self.alive_nodes("n2") == 2)
        self.start_servers()
        if "haproxy" in self.modes:
            self.start_haproxy()
        if "nat" in self.modes:
            self.add_dnat_rules()

    def start_agent(self, node, *extra):
        """`ax daemon` in the node's namespace, joining every node of `node_ip` (its own address is fine there)."""
        argv = self.on(node, self.ax, "daemon", "--socket-dir", self.work / node / "sock", "--node-interface", "eth0",
                       "--node-name", node, "--rest-port", "0", "--log-level", "warning",
                       "--neighbors", ",".join(self.node_ip.values()), *extra)
        self.agents[node] = self.start(f"agent-{node}", argv)
        return self.agents[node]

    def alive_nodes(self, node):
        out = run(*self.on(node, self.ax, "get", "nodes", "-o", "json")).stdout
        return sum(1 for item in json.loads(out)["items"] if item.get("state", "").lower() == "alive")

    def start_servers(self):
        www = self.work / "www"
        www.mkdir()
        (www / "index.html").write_text("x" * 1024)
        conf = self.work / "nginx.conf"
        conf.write_text(f"""daemon off;
worker_processes 1;
pid {self.work}/nginx.pid;
error_log {self.work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    server {{ listen 80; root {www}; }}
}}
""")
        netbench = self.work / "netbench"
        run("gcc", "-O2", "-Wall", "-pthread", "-o", netbench, ROOT / "tests" / "bench" / "netbench.c")
        commands = {
            "nginx": ["nginx", "-c", conf, "-p", self.work, "-e", self.work / "nginx-error.log"],
            "iperf": ["iperf3", "-s", "-p", SERVICES["iperf"]["port"]],
            "cycles": [netbench, "server", SERVICES["cycles"]["port"]],
        }
        for name, command in commands.items():
            svc = SERVICES[name]
            options = ["--ip", svc["vip"]]
            if "relay" in self.modes:
                options += ["--expose", f"{svc['port']}:{NODE_IP['n1']}:{svc['relay_port']}"]
            argv = self.on("n2", self.ax, "run", *options, "--", *command)
            self.start(f"server-{name}", argv)
        wait_until("the servers in `ax get servers`", self.read_node_ports)

    def read_node_ports(self):
        out = run(*self.on("n2", self.ax, "get", "servers", "-o", "json")).stdout
        bound = {item["serviceAddr"]: item["ipv4Addr"] for item in json.loads(out)["items"]}
        for name, svc in SERVICES.items():
            key = f"{svc['vip']}:{svc['port']}"
            if key not in bound:
                return False
            self.node_ports[name] = int(bound[key].rsplit(":", 1)[1])
        return True

    def start_haproxy(self):
        conf = self.work / "haproxy.cfg"
        listeners = "".join(
            f"listen {name}\n    bind 127.0.0.1:{svc['proxy_port']}\n    server s {NODE_IP['n2']}:{self.node_ports[name]}\n"
            for name, svc in SERVICES.items())
        conf.write_text(f"""global
    maxconn 8000
defaults
    mode tcp
    timeout connect 5s
    timeout client 120s
    timeout server 120s
{listeners}""")
        run("haproxy", "-c", "-q", "-f", conf)
        self.haproxy = self.start("haproxy", self.on("n1", "haproxy", "-db", "-f", conf))
        self.haproxy_conf = conf
        wait_until("haproxy to listen", lambda: self.listening("n1", "127.0.0.1:28080", self.haproxy))

    def listening(self, node, address, proc):
        if proc.poll() is not None:
            raise ProcessDied(f"haproxy exited with {proc.returncode}: "
                              + (self.work / "haproxy.log").read_text().strip().splitlines()[-1])
        return address in run(*self.on(node, "ss", "-ltn")).stdout

    def add_dnat_rules(self):
        rules = "".join(
            f"        ip daddr {svc['nat_ip']} tcp dport {svc['port']} dnat to {NODE_IP['n2']}:{self.node_ports[name]}\n"
            for name, svc in SERVICES.items())
        ruleset = self.work / "dnat.nft"
        ruleset.write_text(f"""table ip axbench {{
    chain output {{
        type nat hook output priority -100; policy accept;
{rules}    }}
}}
""")
        run(*self.on("n1", "nft", "-f", ruleset))
        # Outgoing packets are routed before the nat hook rewrites them: the ClusterIP range needs a route.
        run("ip", "-n", self.ns("n1"), "route", "add", "198.18.1.0/24", "dev", "eth0")

    def target(self, mode, name):
        """(host, port, under ax) a client on n1 uses to reach service `name` in `mode`."""
        svc = SERVICES[name]
        return {
            "direct": (NODE_IP["n2"], self.node_ports[name], False),
            "direct2": (NODE_IP["n2"], self.node_ports[name], False),
            "ax": (svc["vip"], svc["port"], True),
            "haproxy": ("127.0.0.1", svc["proxy_port"], False),
            "nat": (svc["nat_ip"], svc["port"], False),
            "relay": (NODE_IP["n1"], svc["relay_port"], False),
        }[mode]

    def forget_time_wait(self):
        for node in NODE_IP:
            run(*self.on(node, "ss", "-K", "-t", "state", "time-wait"), check=False)

    def down(self):
        self.stop_processes()
        for node in self.node_ip:
            remove_namespace(self.ns(node))
            remove_cgroup(self.ns(node))

    def stop_processes(self):
        """SIGTERM to every process group started here, SIGKILL to those still there 5 s later."""
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for _, proc in reversed(self.procs):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


class Meter:
    """CPU (percent of one core) and peak RSS of the agents and haproxy over the samples of one mode and workload."""

    def __init__(self, cluster):
        self.pids = {f"agent-{n}": p.pid for n, p in cluster.agents.items()}
        if cluster.haproxy:
            self.pids["haproxy"] = cluster.haproxy.pid
        self.wall = 0.0
        self.cpu = {k: 0.0 for k in self.pids}
        self.agent_rss_mib = 0.0

    def __enter__(self):
        self.t0 = time.monotonic()
        self.cpu0 = {k: process_cpu_seconds(p) for k, p in self.pids.items()}
        return self

    def __exit__(self, *exc):
        self.wall += time.monotonic() - self.t0
        for k, p in self.pids.items():
            self.cpu[k] += process_cpu_seconds(p) - self.cpu0[k]
        self.agent_rss_mib = max([self.agent_rss_mib] + [process_rss_mib(p) for k, p in self.pids.items() if k.startswith("agent")])
        return False

    def summary(self):
        return {"agent_cpu_pct": 100 * sum(v for k, v in self.cpu.items() if k.startswith("agent")) / self.wall,
                "proxy_cpu_pct": 100 * self.cpu.get("haproxy", 0.0) / self.wall, "agent_rss_mib": self.agent_rss_mib}


WRK_SCRIPT = """
local pace = tonumber(os.getenv("WRK_PACE_MS") or "0")
function delay() return pace end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"seconds":%.3f,"errors":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d}\\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
"""


class Workloads:
    def __init__(self, cluster, args):
        self.cluster = cluster
        self.args = args
        self.wrk_script = cluster.work / "pace.lua"
        self.wrk_script.write_text(WRK_SCRIPT)
        self.netbench = cluster.work / "netbench"

    def last_json(self, stdout):
        return json.loads(stdout.strip().splitlines()[-1])

    def bulk(self, mode):
        host, port, under_ax = self.cluster.target(mode, "iperf")
        argv = self.cluster.on("n1", "iperf3", "-c", host, "-p", port, "-t", self.args.bulk_seconds, "-O", "1", "-J",
                               ax=under_ax)
        # An iperf3 server takes a moment after one test before it accepts the next; a client that comes too
        # early is turned away ("the server is busy" / "control socket has closed"). Try again then.
        for attempt in range(5):
            report = json.loads(run(*argv, check=False, timeout=self.args.bulk_seconds + 60).stdout or "{}")
            if "end" in report and "error" not in report:
                return {"gbit_per_second": report["end"]["sum_received"]["bits_per_second"] / 1e9}
            time.sleep(0.2 * (attempt + 1))
        raise BenchError(f"iperf3 ({mode}): {report.get('error', 'no report')}")

    def keepalive(self, mode):
        host, port, under_ax = self.cluster.target(mode, "nginx")
        argv = self.cluster.on("n1", "env", f"WRK_PACE_MS={self.args.pace_ms}", "wrk", "-t", "1", "-c", self.args.connections,
                               "-d", f"{self.args.keepalive_seconds}s", "-s", self.wrk_script, f"http://{host}:{port}/",
                               ax=under_ax)
        result = self.last_json(run(*argv, timeout=self.args.keepalive_seconds + 60).stdout)
        if result["errors"]:
            raise BenchError(f"wrk ({mode}): {result['errors']} errors")
        result["requests_per_second"] = result["requests"] / result["seconds"]
        return result

    def cycles(self, mode, count=None):
        # Every client starts from no TIME_WAIT sockets: the client's ephemeral port search (inside connect, in
        # every mode) gets slower as the earlier runs' tens of thousands of them pile up on the same server port.
        self.cluster.forget_time_wait()
        host, port, under_ax = self.cluster.target(mode, "cycles")
        argv = self.cluster.on("n1", self.netbench, "cycles", host, port, count or self.args.cycles, ax=under_ax)
        return self.last_json(run(*argv, timeout=300).stdout)

    def warm_up(self, modes):
        """One short sample of every workload in every mode, not measured: the agents' code is compiled by then
        (the first thousands of trapped calls run slower) and every server has served."""
        saved = self.args.keepalive_seconds
        self.args.keepalive_seconds = 1
        try:
            for mode in (m for m in modes if m != "direct2"):  # the same path as direct: warm already
                self.bulk(mode)
                self.keepalive(mode)
                self.cycles(mode)
        finally:
            self.args.keepalive_seconds = saved

    def measure(self, workload, order):
        """Every mode's samples of one workload, the modes taking turns sample by sample (so that the machine's
        drift spreads over all of them), each mode's samples then combined into one value (see COMBINE)."""
        repeats = {"bulk": self.args.bulk_repeats, "keepalive": self.args.keepalive_repeats, "cycles": self.args.cycles_repeats}[workload]
        samples = {mode: [] for mode in order}
        meters = {mode: Meter(self.cluster) for mode in order}
        for _ in range(repeats):
            for mode in order:
                with meters[mode]:
                    samples[mode].append(getattr(self, workload)(mode))
        return {mode: {**COMBINE[workload](samples[mode]), **meters[mode].summary(), "samples": samples[mode]} for mode in order}


def _median_of(keys):
    return lambda samples: {k: statistics.median(s[k] for s in samples) for k in keys}


# How a mode's samples of a workload become its value in a run. Bulk: the best client, because one iperf3 client
# process runs at ~15 or ~25 Gbit/s for its whole life on a small VM depending on where it and its softirqs land
# (a bad placement only ever lowers it). The others: the median.
COMBINE = {
    "bulk": lambda samples: {"gbit_per_second": max(s["gbit_per_second"] for s in samples)},
    "keepalive": _median_of(["p50_us", "p99_us", "p999_us", "requests_per_second"]),
    "cycles": _median_of(["per_second", "p50_us", "p99_us"]),
}


# workload → (metric key, label, unit, higher is better)
METRICS = [
    ("bulk", "gbit_per_second", "bulk throughput (iperf3, best of {bulk})", "Gbit/s", True),
    ("keepalive", "p50_us", "keep-alive p50 (wrk, paced)", "µs", False),
    ("keepalive", "p99_us", "keep-alive p99", "µs", False),
    ("keepalive", "p999_us", "keep-alive p99.9", "µs", False),
    ("cycles", "per_second", "new connection per request (median of {cycles})", "conn/s", True),
    ("cycles", "p99_us", "connect+request+answer p99", "µs", False),
]


def machine_description():
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem_gib = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    versions = []
    for tool, flag in (("nginx", "-v"), ("haproxy", "-v"), ("iperf3", "--version"), ("wrk", "--version")):
        out = run(tool, flag, check=False)
        text = (out.stdout + out.stderr).strip().splitlines()
        versions.append(text[0] if text else tool)
    return (f"{model}, {os.cpu_count()} CPUs, {mem_gib:.0f} GiB, Linux {platform.release()}\n"
            + "; ".join(v.replace("nginx version: ", "") for v in versions))


def summarise(results, modes, runs):
    """Per metric and mode: min/median/max of the absolute values and of the per-run ratio to direct."""
    rows = []
    for workload, key, label, unit, higher in METRICS:
        for mode in modes:
            values = [r[mode][workload][key] for r in results]
            ratios = [r[mode][workload][key] / r["direct"][workload][key] for r in results]
            rows.append({"workload": workload, "key": key, "metric": label, "unit": unit, "mode": mode, "higher_is_better": higher,
                         "values": values, "ratios": ratios})
    resources = []
    for mode in modes:
        for workload in ("bulk", "keepalive", "cycles"):
            resources.append({"mode": mode, "workload": workload,
                              "agent_cpu_pct": statistics.median(r[mode][workload]["agent_cpu_pct"] for r in results),
                              "proxy_cpu_pct": statistics.median(r[mode][workload]["proxy_cpu_pct"] for r in results),
                              "agent_rss_mib": max(r[mode][workload]["agent_rss_mib"] for r in results)})
    return rows, resources


def fmt(value):
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def render(rows, resources, description, args, modes):
    method = (f"Each run measures every workload in every mode, the modes taking turns sample by sample in an order rotated "
              f"from run to run, after one unmeasured warm-up pass: bulk = best of {args.bulk_repeats} iperf3 clients of "
              f"{args.bulk_seconds} s; keep-alive = median of {args.keepalive_repeats} wrk samples of {args.keepalive_seconds} s, "
              f"{args.connections} connections each pausing {args.pace_ms} ms between requests; new connection = median of "
              f"{args.cycles_repeats} netbench clients of {args.cycles} connections, each from no TIME_WAIT sockets.")
    lines = [f"AppSwitch data path: {args.runs} runs, two node namespaces on a veth pair", description, "", method, "",
             f"| metric | mode | median | min / max | ratio to direct (min / median / max) |",
             "|---|---|---|---|---|"]
    for row in rows:
        v, r = row["values"], row["ratios"]
        metric = row["metric"].format(bulk=args.bulk_repeats, cycles=args.cycles_repeats)
        lines.append(f"| {metric} ({row['unit']}) | {row['mode']} | {fmt(statistics.median(v))} | "
                     f"{fmt(min(v))} / {fmt(max(v))} | {min(r):.2f} / **{statistics.median(r):.2f}** / {max(r):.2f} |")
    lines += ["", "| mode | workload | agents' CPU (% of a core) | haproxy CPU | agent RSS max (MiB) |", "|---|---|---|---|---|"]
    for res in resources:
        lines.append(f"| {res['mode']} | {res['workload']} | {res['agent_cpu_pct']:.1f} | {res['proxy_cpu_pct']:.1f} | "
                     f"{res['agent_rss_mib']:.0f} |")
    lines += ["", targets(rows, modes)]
    return "\n".join(lines)


def row(rows, workload, key, mode):
    return next(r for r in rows if r["workload"] == workload and r["key"] == key and r["mode"] == mode)


def median_ratio(rows, workload, key, mode):
    return statistics.median(row(rows, workload, key, mode)["ratios"])


def median_value(rows, workload, key, mode):
    return statistics.median(row(rows, workload, key, mode)["values"])


def targets(rows, modes):
    """The issue's targets against the medians; the ratios to direct come with the A/A control's (direct2's) ratios
    for the same metric when it ran: a ratio inside that band cannot be told apart from direct on this machine."""
    def against_direct(workload, key):
        value = median_ratio(rows, workload, key, "ax")
        if "direct2" not in modes:
            return value, ""
        control = row(rows, workload, key, "direct2")["ratios"]
        return value, f"   (A/A control, direct against itself: {min(control):.2f} / {statistics.median(control):.2f} / {max(control):.2f})"

    checks = []
    if "ax" in modes:
        checks.append(("ax/direct throughput ≥ 0.98", *against_direct("bulk", "gbit_per_second"), lambda x: x >= 0.98))
        checks.append(("ax/direct keep-alive p99 ≤ 1.05", *against_direct("keepalive", "p99_us"), lambda x: x <= 1.05))
        checks.append(("ax/direct connections/s ≥ 0.7", *against_direct("cycles", "per_second"), lambda x: x >= 0.7))
    if "ax" in modes and "haproxy" in modes:
        ratio = median_value(rows, "cycles", "per_second", "ax") / median_value(rows, "cycles", "per_second", "haproxy")
        checks.append(("ax/haproxy connections/s ≥ 1.5", ratio, "", lambda x: x >= 1.5))
    if "relay" in modes and "haproxy" in modes:
        ratio = median_value(rows, "bulk", "gbit_per_second", "relay") / median_value(rows, "bulk", "gbit_per_second", "haproxy")
        checks.append(("relay/haproxy throughput ≥ 1.0", ratio, "", lambda x: x >= 1.0))
    return "Targets (medians):\n" + "\n".join(f"  {'met ' if ok(v) else 'MISS'}  {name}: {v:.2f}{note}" for name, v, note, ok in checks)


def plot(rows, modes, path):
    """Latency percentiles per mode as a PNG; matplotlib may live only in the system python."""
    data = {mode: [median_value(rows, "keepalive", key, mode) for key in ("p50_us", "p99_us", "p999_us")] for mode in modes}
    program = f"""
import json, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
data = json.loads({json.dumps(json.dumps(data))})
labels = ["p50", "p99", "p99.9"]
fig, ax = plt.subplots(figsize=(7, 4))
width = 0.8 / len(data)
for i, (mode, values) in enumerate(data.items()):
    ax.bar([x + i * width for x in range(3)], values, width, label=mode)
ax.set_xticks([x + 0.4 - width / 2 for x in range(3)], labels)
ax.set_ylabel("latency (µs, log scale)")
ax.set_yscale("log")
ax.set_title("keep-alive requests to nginx (wrk, paced), medians over runs")
ax.legend()
fig.tight_layout()
fig.savefig({json.dumps(str(path))}, dpi=100)
"""
    for python in (sys.executable, "/usr/bin/python3"):
        if run(python, "-c", program, check=False).returncode == 0:
            return True
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 5)))
    parser.add_argument("--modes", default=os.environ.get("MODES", ",".join(MODES)))
    parser.add_argument("--bulk-seconds", type=int, default=1, help="seconds per iperf3 client (after 1 s not counted)")
    parser.add_argument("--bulk-repeats", type=int, default=5, help="iperf3 clients per bulk measurement (the best counts)")
    parser.add_argument("--keepalive-seconds", type=int, default=3, help="seconds per wrk sample")
    parser.add_argument("--keepalive-repeats", type=int, default=2, help="wrk samples per measurement (median)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--pace-ms", type=int, default=1, help="pause of each wrk connection between requests")
    parser.add_argument("--cycles", type=int, default=5000, help="connections per netbench cycles client")
    parser.add_argument("--cycles-repeats", type=int, default=3, help="cycles clients per measurement (median)")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or "direct" not in modes:
        parser.error(f"--modes takes a subset of {','.join(MODES)} that includes direct")
    if not AX.exists():
        sys.exit(f"bench: {AX} is missing; run 'make build' first")
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces)")
    missing = [tool for tool in ("nginx", "iperf3", "wrk", "haproxy", "nft", "gcc") if not shutil.which(tool)]
    if missing:
        sys.exit(f"bench: missing {' '.join(missing)} (make bench-deps installs them)")

    work = Path(tempfile.mkdtemp(prefix="axt-", dir="/tmp"))
    work.chmod(0o755)  # nginx workers (www-data) read the page from it
    (work / "owner.pid").write_text(str(os.getpid()))
    cluster = Cluster(work, modes)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        cluster.up()
        workloads = Workloads(cluster, args)
        print("warm-up: one short pass of every workload in every mode (not measured)", file=sys.stderr, flush=True)
        workloads.warm_up(modes)
        results = []
        for run_index in range(args.runs):
            order = modes[run_index % len(modes):] + modes[:run_index % len(modes)]
            result = {mode: {} for mode in modes}
            for workload in ("bulk", "keepalive", "cycles"):
                for mode, measured in workloads.measure(workload, order).items():
                    result[mode][workload] = measured
            for mode in order:
                print(f"run {run_index + 1}/{args.runs} {mode:>7}: {result[mode]['bulk']['gbit_per_second']:.2f} Gbit/s, "
                      f"p99 {result[mode]['keepalive']['p99_us']:.0f} µs, {result[mode]['cycles']['per_second']:.0f} conn/s",
                      file=sys.stderr, flush=True)
            results.append(result)
        rows, resources = summarise(results, modes, args.runs)
        report = render(rows, resources, machine_description(), args, modes)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "datapath.json").write_text(json.dumps({"runs": results, "rows": rows, "resources": resources}, indent=1))
        (args.out / "datapath.md").write_text(report + "\n")
        print(report)
        png = args.out / "latency.png"
        print(f"\nplot: {png}" if plot(rows, modes, png) else "\nplot: skipped (no matplotlib)")
    except BenchError as error:
        print_agent_logs(work)
        sys.exit(f"bench: {error}")
    finally:
        cluster.down()
        if not os.environ.get("KEEP"): shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
