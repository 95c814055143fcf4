#!/usr/bin/env python3
"""Load on the control plane (issue 20 point 5): does the data path or `ax get apps` suffer when the agent's control
sockets are hammered?

One two-node cluster of datapath.py (netbench server under `ax run` on n2). On n1, the client node, whose agent traps
every connect:
  quiet    netbench `cycles` clients under ax (connect, 64-byte request and answer, close), back to back: conn/s
  loaded   the same clients while, for --seconds (60):
             REST load  --rate (1000) calls/s on n1's api.sock from --workers processes, mixed: GET apps, GET services,
                        POST + DELETE of a vservice (keep-alive connections, like a controller);
             CLI        `ax get apps` (the real NativeAOT CLI, a new process and connection each) every 100 ms: latency;
             flood      --flood (1000) half-open clients on n1's ax.sock (half silent, half with half a frame), each
                        reopened as soon as the agent closes it;
             sampler    the n1 agent's fds, threads and RSS every second.
  quiet    again. The A/A band is the spread of the quiet samples (before and after) around their median.
Output: a table on stdout and out/bench/ctlload.md. Run as root:  make bench-ctlload  (~5 min)
"""
import argparse
import http.client
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from connect_cpu import ConnectCluster  # noqa: E402
from datapath import ROOT, SERVICES, BenchError, process_rss_mib, run  # noqa: E402


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("agent", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def rest_connection(api_sock, rate, seconds, worker, result):
    """One keep-alive connection, paced (a schedule, not back to back): GET apps, GET services, POST then DELETE a
    vservice. Results go into `result` (a dict)."""
    conn = UnixHTTPConnection(api_sock)
    latencies, errors, calls = [], {}, 0
    start = time.monotonic()
    interval = 1.0 / rate
    n = 0
    while True:
        due = start + n * interval
        now = time.monotonic()
        if now - start >= seconds:
            break
        if due > now:
            time.sleep(due - now)
        kind = n % 4
        name = f"ld{worker}x{n // 4 % 50}"
        if kind == 0:
            method, path, body = "GET", "/api/v1/apps", None
        elif kind == 1:
            method, path, body = "GET", "/api/v1/services", None
        elif kind == 2:
            octet = (worker * 50 + n // 4 % 50) % 250 + 1
            method, path = "POST", "/api/v1/vservices"
            body = json.dumps({"name": name, "ip": f"198.18.{200 + worker % 50}.{octet}", "ports": [{"vport": 80, "aport": 80}],
                               "backends": ["198.18.0.10"]})
        else:
            method, path, body = "DELETE", f"/api/v1/vservices/{name}", None
        t0 = time.monotonic()
        try:
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as e:
            status = type(e).__name__
            conn.close()
            conn = UnixHTTPConnection(api_sock)
        latencies.append(time.monotonic() - t0)
        calls += 1
        if status not in (200, 201):
            errors[str(status)] = errors.get(str(status), 0) + 1
        n += 1
    result.update(calls=calls, seconds=time.monotonic() - start, errors=errors, latencies=latencies)


def rest_worker(api_sock, rate, seconds, worker, connections):
    """`connections` keep-alive connections (a thread each: a call waiting on the agent does not hold up the next
    one's schedule), `rate` calls/s among them."""
    results = [{} for _ in range(connections)]
    threads = [threading.Thread(target=rest_connection, args=(api_sock, rate / connections, seconds,
                                                              worker * connections + i, results[i]))
               for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies = sorted(v for r in results for v in r["latencies"])
    errors = {}
    for r in results:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    print(json.dumps({"calls": sum(r["calls"] for r in results), "seconds": max(r["seconds"] for r in results),
                      "cpu": own_cpu_seconds(),
                      "errors": errors, "p50_ms": percentile(latencies, 50) * 1e3, "p99_ms": percentile(latencies, 99) * 1e3,
                      "max_ms": max(latencies) * 1e3 if latencies else 0}))


def flood_worker(ax_sock, count, seconds):
    """`count` half-open clients held for `seconds`; one the agent closes is opened again (at most once per 10 ms each)."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (count + 256, max(count + 256, resource.getrlimit(resource.RLIMIT_NOFILE)[1])))
    clients = [None] * count
    opened = closed_by_agent = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for i in range(count):
            c = clients[i]
            if c is not None:
                try:
                    c.setblocking(False)
                    if c.recv(4096, socket.MSG_PEEK) is not None:
                        closed_by_agent += 1
                        c.close()
                        clients[i] = None
                except BlockingIOError:
                    continue
                except OSError:
                    closed_by_agent += 1
                    c.close()
                    clients[i] = None
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                c.connect(ax_sock)
                if i % 2:
                    c.send(bytes([100, 0, 0, 0, 1, 1, 0]))
                clients[i] = c
                opened += 1
            except OSError:
                c.close()
        time.sleep(0.01)
    held = sum(1 for c in clients if c is not None)
    for c in clients:
        if c is not None:
            c.close()
    print(json.dumps({"opened": opened, "closed_by_agent": closed_by_agent, "held_at_end": held, "cpu": own_cpu_seconds()}))


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def run(self):
        while not self.stop.wait(1.0):
            try:
                fds = len(os.listdir(f"/proc/{self.pid}/fd"))
                threads = len(os.listdir(f"/proc/{self.pid}/task"))
                self.samples.append((fds, threads, process_rss_mib(self.pid)))
            except OSError:
                pass


class CliProbe(threading.Thread):
    """`ax get apps` every 100 ms on n1, timed from process start to exit; and after each, the same GET on a new
    connection from here (no process start): what the agent itself takes, apart from starting the CLI."""

    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.cluster, self.latencies, self.api_latencies, self.failures = cluster, [], [], 0
        self.stop = threading.Event()

    def run(self):
        argv = self.cluster.on("n1", self.cluster.ax, "get", "apps")
        api = str(self.cluster.work / "n1" / "admin" / "api.sock")
        while not self.stop.wait(0.1):
            t0 = time.monotonic()
            result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            self.latencies.append(time.monotonic() - t0)
            if result.returncode != 0:
                self.failures += 1
            t0 = time.monotonic()
            conn = UnixHTTPConnection(api)
            try:
                conn.request("GET", "/api/v1/apps")
                if conn.getresponse().read() is not None:
                    self.api_latencies.append(time.monotonic() - t0)
            except (OSError, http.client.HTTPException):
                self.failures += 1
            finally:
                conn.close()


def cycles(cluster, connects):
    cluster.forget_time_wait()
    svc = SERVICES["cycles"]
    out = run(*cluster.on("n1", cluster.netbench, "cycles", svc["vip"], svc["port"], connects, ax=True), timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])["per_second"]


def refusals(cluster):
    api = str(cluster.work / "n1" / "admin" / "api.sock")
    conn = UnixHTTPConnection(api)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    return {line.split("{", 1)[1].split("}", 1)[0]: int(float(line.rsplit(" ", 1)[1]))
            for line in text.splitlines() if line.startswith("appswitch_control_refusals_total{")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="length of the loaded window")
    parser.add_argument("--rate", type=int, default=1000, help="REST calls per second in total")
    parser.add_argument("--workers", type=int, default=4, help="REST load processes")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections per REST process")
    parser.add_argument("--flood", type=int, default=1000, help="half-open launcher clients")
    parser.add_argument("--connects", type=int, default=3000, help="connects per netbench cycles client")
    parser.add_argument("--quiet-samples", type=int, default=3, help="quiet clients before and after the load")
    parser.add_argument("--worker", choices=["rest", "flood"], help=argparse.SUPPRESS)
    parser.add_argument("--socket", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "rest":
        return rest_worker(args.socket, args.rate, args.seconds, args.index, args.connections)
    if args.worker == "flood":
        return flood_worker(args.socket, args.flood, args.seconds)

    work = Path(tempfile.mkdtemp(prefix="axt-", dir="/tmp"))
    (work / "owner.pid").write_text(str(os.getpid()))
    cluster = ConnectCluster(work, ["ax"])
    try:
        cluster.up()
        agent = cluster.agents["n1"].pid
        cycles(cluster, args.connects)  # warm-up (tiering), not counted
        quiet = [cycles(cluster, args.connects) for _ in range(args.quiet_samples)]
        idle = (len(os.listdir(f"/proc/{agent}/fd")), len(os.listdir(f"/proc/{agent}/task")), process_rss_mib(agent))

        quiet_cli = []  # `ax get apps` without the load: the process start's own share of the loaded latency
        for _ in range(20):
            t0 = time.monotonic()
            run(*cluster.on("n1", cluster.ax, "get", "apps"))
            quiet_cli.append(time.monotonic() - t0)
        me = [sys.executable, str(Path(__file__).resolve())]
        api, ax_sock = str(work / "n1" / "admin" / "api.sock"), str(work / "n1" / "sock" / "ax.sock")
        sampler, probe = Sampler(agent), CliProbe(cluster)
        workers = [subprocess.Popen(me + ["--worker", "rest", "--socket", api, "--rate", str(args.rate // args.workers),
                                          "--seconds", str(args.seconds), "--index", str(i),
                                          "--connections", str(args.connections)], stdout=subprocess.PIPE, text=True)
                   for i in range(args.workers)]
        flood = subprocess.Popen(me + ["--worker", "flood", "--socket", ax_sock, "--flood", str(args.flood),
                                       "--seconds", str(args.seconds)], stdout=subprocess.PIPE, text=True)
        sampler.start()
        probe.start()
        started, loaded = time.monotonic(), []
        agent_cpu = cpu_seconds(agent)
        while time.monotonic() - started < args.seconds - 5:
            loaded.append(cycles(cluster, args.connects))
        rest = [json.loads(w.communicate(timeout=args.seconds + 120)[0]) for w in workers]
        flooded = json.loads(flood.communicate(timeout=args.seconds + 120)[0])
        agent_cpu, window = cpu_seconds(agent) - agent_cpu, time.monotonic() - started
        probe.stop.set()
        sampler.stop.set()
        probe.join()
        sampler.join()
        quiet += [cycles(cluster, args.connects) for _ in range(args.quiet_samples)]
        counted = refusals(cluster)
        if cluster.agents["n1"].poll() is not None:
            raise BenchError("the n1 agent exited during the load")
    except BenchError as error:
        sys.exit(f"ctlload: {error}")
    finally:
        cluster.down()

    q = statistics.median(quiet)
    band = (min(quiet) / q, max(quiet) / q)
    ratio = statistics.median(loaded) / q if loaded else float("nan")
    calls = sum(r["calls"] for r in rest)
    rest_seconds = max(r["seconds"] for r in rest)
    errors = {}
    for r in rest:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    fds, threads, rss = (max(s[i] for s in sampler.samples) for i in range(3))
    cli = probe.latencies
    lines = [
        f"# Control-plane load (`make bench-ctlload`), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end. Loaded window {args.seconds} s.",
        "",
        "| what | value |",
        "|---|---|",
        f"| connects/s under ax, quiet (median of {len(quiet)}) | {q:.0f} (samples {', '.join(f'{v:.0f}' for v in quiet)}) |",
        f"| connects/s under ax, loaded (median of {len(loaded)}) | {statistics.median(loaded):.0f} (samples {', '.join(f'{v:.0f}' for v in loaded)}) |",
        f"| loaded / quiet | {ratio:.2f} (A/A band of the quiet samples {band[0]:.2f}-{band[1]:.2f}: "
        f"{'inside' if band[0] <= ratio <= band[1] else 'OUTSIDE'}) |",
        f"| REST calls answered | {calls} in {rest_seconds:.1f} s = {calls / rest_seconds:.0f}/s (target {args.rate}/s), "
        f"not 200/201: {errors or 'none'} |",
        f"| REST call latency, worst worker p50 / p99 / max | {max(r['p50_ms'] for r in rest):.2f} / {max(r['p99_ms'] for r in rest):.2f} / "
        f"{max(r['max_ms'] for r in rest):.1f} ms |",
        f"| `ax get apps` (new process each) p50 / p99 / max, failures | {percentile(cli, 50) * 1e3:.1f} / {percentile(cli, 99) * 1e3:.1f} / "
        f"{max(cli) * 1e3:.1f} ms ({len(cli)} calls), {probe.failures} |",
        f"| `ax get apps` without the load (20 calls) p50 / p99 | {percentile(quiet_cli, 50) * 1e3:.1f} / "
        f"{percentile(quiet_cli, 99) * 1e3:.1f} ms |",
        f"| the same GET /api/v1/apps on a new connection from the script, p50 / p99 / max | "
        f"{percentile(probe.api_latencies, 50) * 1e3:.1f} / {percentile(probe.api_latencies, 99) * 1e3:.1f} / "
        f"{max(probe.api_latencies, default=0) * 1e3:.1f} ms |",
        f"| launcher flood | {args.flood} held at once; {flooded['opened']} opened, {flooded['closed_by_agent']} closed by the agent, "
        f"{flooded['held_at_end']} open at the end |",
        f"| refusals counted by the agent | {', '.join(f'{k}: {v}' for k, v in counted.items()) or 'none'} |",
        f"| CPU in the loaded window (% of one core): n1 agent / REST generator / flood generator | "
        f"{agent_cpu / window * 100:.0f} / {sum(r['cpu'] for r in rest) / window * 100:.0f} / {flooded['cpu'] / window * 100:.0f} |",
        f"| n1 agent fds, idle → peak | {idle[0]} → {fds} |",
        f"| n1 agent threads, idle → peak | {idle[1]} → {threads} |",
        f"| n1 agent RSS, idle → peak | {idle[2]:.0f} → {rss:.0f} MiB |",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    out = ROOT / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ctlload.md").write_text(report)


if __name__ == "__main__":
    main()
