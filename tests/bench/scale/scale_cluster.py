"""The scale benchmark's two nodes (datapath.py's Cluster through connect_cpu's ConnectCluster): the netbench server
under `ax run` on n2, every measured app on n1, whose agent is the one measured. n1's agent can be restarted with a
table loaded from a state file (table_state.py)."""
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from connect_cpu import ConnectCluster
from datapath import SERVICES, BenchError, process_cpu_seconds, process_rss_mib, run, wait_until

import table_state

HERE = Path(__file__).resolve().parent
SERVER = SERVICES["cycles"]  # the netbench server on n2: 198.18.0.12:7000
HISTOGRAM = "appswitch_connect_duration_seconds_bucket"


class UnixHttp(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = str(path)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class ScaleCluster(ConnectCluster):
    def start_servers(self):
        super().start_servers()
        self.client = self.work / "scale_client"
        run("gcc", "-O2", "-Wall", "-pthread", "-o", self.client, HERE / "scale_client.c")

    # ---- n1's agent ----

    def get(self, node, path, timeout=30):
        """GET on the node's api.sock: the body (JSON decoded, except /metrics and /healthz)."""
        conn = UnixHttp(self.work / node / "admin" / "api.sock", timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise BenchError(f"GET {path} on {node}: {error}") from error
        finally:
            conn.close()
        if response.status != 200:
            raise BenchError(f"GET {path} on {node}: {response.status}")
        return body.decode() if path in ("/metrics", "/healthz") else json.loads(body)

    def items(self, node, path):
        """The entries a listing endpoint returns (a bare list, or {"items": […]})."""
        body = self.get(node, path)
        return body["items"] if isinstance(body, dict) else body

    def agent_pid(self, node="n1"):
        return self.agents[node].pid

    def rss_mib(self, node="n1"):
        return process_rss_mib(self.agent_pid(node))

    def restart_with_table(self, services, instances, rules):
        """n1's agent stopped, its saved state replaced by the ballast, a new agent started; returns the seconds from
        its start until its API lists every vservice (restore included)."""
        agent = self.agents["n1"]
        os.killpg(agent.pid, signal.SIGTERM)
        agent.wait(timeout=30)
        admin = self.work / "n1" / "admin"
        for name in ("state.wal", "state.wal.old"):
            (admin / name).unlink(missing_ok=True)
        if services:
            table_state.write(admin / "state.json", services, instances, rules)
        else:
            (admin / "state.json").unlink(missing_ok=True)
        started = time.monotonic()
        self.start_agent("n1")
        wait_until("n1's agent to answer", lambda: self.get("n1", "/healthz", timeout=2) is not None, 120)
        wait_until(f"n1 to list {services} vservices", lambda: len(self.items("n1", "/api/v1/vservices")) == services, 120)
        loaded = time.monotonic() - started
        wait_until("n1 to see both nodes alive", lambda: self.alive_nodes("n1") == 2, 60)
        return loaded

    # ---- connects ----

    def connect_histogram(self):
        """The agent's connect histogram on n1: {upper bound in seconds: cumulative count}."""
        buckets = {}
        for line in self.get("n1", "/metrics").splitlines():
            if line.startswith(HISTOGRAM + "{"):
                le = line.split('le="', 1)[1].split('"', 1)[0]
                buckets[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
        return buckets

    def sequential_connects(self, count):
        """`count` connects from one app on n1 to the server's virtual IP: the app's view (p50/p99 µs) and the
        agent's (histogram p50/p99 µs, CPU µs per connect)."""
        self.forget_time_wait()
        before, cpu = self.connect_histogram(), process_cpu_seconds(self.agent_pid())
        out = run(*self.on("n1", self.client, "seq", SERVER["vip"], SERVER["port"], count, ax=True), timeout=900).stdout.split()
        cpu = process_cpu_seconds(self.agent_pid()) - cpu
        after = self.connect_histogram()
        fields = dict(zip(out[::2], out[1::2]))
        if int(fields["errors"]) > 0:
            raise BenchError(f"{fields['errors']} of {count} connects failed")
        delta = {le: after[le] - before.get(le, 0) for le in after}
        return {"app_p50_us": float(fields["p50_us"]), "app_p99_us": float(fields["p99_us"]),
                "agent_p50_us": histogram_quantile(delta, 0.5) * 1e6, "agent_p99_us": histogram_quantile(delta, 0.99) * 1e6,
                "agent_cpu_us": cpu / count * 1e6}

    # ---- apps ----

    def app_count(self):
        """n1's own apps (the listing has every node's)."""
        return sum(1 for app in self.items("n1", "/api/v1/apps") if app.get("nodeId") == "n1")

    def start_sleeper(self, name):
        return self.start(name, self.on("n1", self.client, "sleep", ax=True))

    def stop_group(self, procs):
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in procs:
            proc.wait(timeout=30)
        self.procs = [(n, p) for n, p in self.procs if p not in procs]


def histogram_quantile(cumulative, q):
    """Prometheus' histogram_quantile: linear inside the bucket that holds the q-th observation."""
    bounds = sorted(cumulative)
    total = cumulative[bounds[-1]]
    if total <= 0:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for bound in bounds:
        count = cumulative[bound]
        if count >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = bound, count
    return lower
