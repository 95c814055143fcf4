#!/usr/bin/env python3
"""The README's quoted speeds, measured (`make bench-promises`): three agents of the built out/ in three node
namespaces joined by a bridge (as the integration tests' ThreeNodeCluster: same --gossip-key, LAN gossip defaults),
each speed measured N times (--runs), then a table "promise | README says | measured | holds?". Exits 1 when a
promise does not hold. The functional tests assert the behaviour only; the numbers live here.

Times are taken by polling each agent's api.sock directly (every 10 ms), not by `ax get`, whose process start
would blur them. Everything the script makes (namespaces, processes, socket-lock cgroups, /tmp/axt-*) is removed
on exit, pass, failure or Ctrl-C.
"""
import argparse
import base64
import http.client
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import shutil
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datapath import AX, ROOT, BenchError, Cluster, ProcessDied, remove_namespace, run, wait_until  # noqa: E402

POLL_SECONDS = 0.01
ANTI_HANG_SECONDS = 60.0
# The reconnect interval that heals a partition is 30 s: allow two before calling it a hang.
HEAL_ANTI_HANG_SECONDS = 90.0
SERVER_PORT = 80
SERVICE_VIP = "198.18.0.1"        # n3's server (failure detection, leave, partition)
RESTART_VIP_LOCAL = "198.18.0.2"  # n1's server, reached from n1 across a restart of n1's agent
RESTART_VIP_REMOTE = "198.18.0.3" # n2's server, reached from n1 across a restart of n1's agent
LISTED_VIP_BASE = "198.18.0."     # + 10 + repetition: the server whose listing is timed
EXPOSED_VIP = "198.18.0.4"        # n2's server exposed on n1's HOSTPORT (the relay retry)
HOSTPORT = 18080
BLACK_HOLE = ("127.0.0.1", 5354)  # a UDP socket in n1's namespace that reads questions and never answers
DNS_HELPERS = ROOT / "tests" / "helpers"

# A TCP server that accepts and closes (a listing and a connect is all these promises need).
ACCEPT_AND_CLOSE = f"""import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", {SERVER_PORT})); s.listen(128)
while True:
    c, _ = s.accept(); c.close()
"""


def connect_loop(vip):
    """Connects in a loop; one line per attempt: "ok|fail START END [errno]" on CLOCK_MONOTONIC (the bench's clock)."""
    return f"""import socket, time
while True:
    t0 = time.monotonic()
    try:
        socket.create_connection(("{vip}", {SERVER_PORT}), timeout=30).close()
        print("ok", t0, time.monotonic(), flush=True)
    except OSError as e:
        print("fail", t0, time.monotonic(), e.errno, flush=True)
    time.sleep(0.005)
"""



BLACK_HOLE_SERVER = f"""import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind({BLACK_HOLE!r}); print("ready", flush=True)
while True: s.recv(512)
"""
# N questions for names outside the cluster domain, one after the other; prints [[seconds, rcode], ...].
DNS_TIMER = f"""import json, random, socket, sys, time
sys.path.insert(0, {str(DNS_HELPERS)!r})
from dns_query import question, parse
out = []
for i in range(int(sys.argv[1])):
    qid, q = question(f"q{{i}}-{{random.randrange(1 << 30)}}.outside.example", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(10)
    t0 = time.monotonic(); s.sendto(q, ("127.0.0.1", 53)); msg = s.recv(65535)
    out.append([time.monotonic() - t0, parse(msg, qid)[0]]); s.close()
print(json.dumps(out))
"""


class UnixHttp(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=2)
        self.unix_path = str(path)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class ThreeNodes(Cluster):
    """Bridge namespace `<tag>-br` (br0) and n1..n3 on veths vn1..vn3, an agent on each with the same gossip key;
    apps under `ax run` are started and stopped by the promises."""

    node_ip = {"n1": "10.78.0.11", "n2": "10.78.0.12", "n3": "10.78.0.13"}

    def __init__(self, work):
        super().__init__(work, modes=[])
        self.bridge = f"{self.tag}-br"
        self.key = base64.b64encode(os.urandom(32)).decode()
        self.apps = {}

    def up(self):
        run("ip", "netns", "add", self.bridge)
        run("ip", "-n", self.bridge, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", self.bridge, "link", "set", "br0", "up")
        for i, (node, ip) in enumerate(self.node_ip.items(), start=1):
            run("ip", "netns", "add", self.ns(node))
            run("ip", "-n", self.ns(node), "link", "set", "lo", "up")
            run("ip", "-n", self.ns(node), "link", "add", "eth0", "type", "veth", "peer", "name", f"vn{i}", "netns", self.bridge)
            run("ip", "-n", self.bridge, "link", "set", f"vn{i}", "master", "br0")
            run("ip", "-n", self.bridge, "link", "set", f"vn{i}", "up")
            run("ip", "-n", self.ns(node), "addr", "add", f"{ip}/24", "dev", "eth0")
            run("ip", "-n", self.ns(node), "link", "set", "eth0", "up")
            (self.work / node).mkdir()
            self.start_agent(node)
        self.await_all_alive()

    def start_agent(self, node, *extra):
        # The black hole is every node's forwarder: only n1's is asked (the DNS promise).
        return super().start_agent(node, "--gossip-key", self.key, "--dns-servers", "%s:%d" % BLACK_HOLE, *extra)

    def down(self):
        try:
            super().down()
        finally:
            remove_namespace(self.bridge)

    # ---- the agents' tables, read from api.sock ----

    def api(self, node, path):
        agent = self.agents[node]
        if agent.poll() is not None:
            log = (self.work / f"agent-{node}.log").read_text().strip().splitlines()
            raise ProcessDied(f"{node}'s agent exited with {agent.returncode}: {log[-1] if log else ''}")
        conn = UnixHttp(self.work / node / "admin" / "api.sock")
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
        data = json.loads(body) if path != "/healthz" else {}
        return data["items"] if isinstance(data, dict) and "items" in data else data

    def states(self, observer):
        return {n["name"]: n["state"].lower() for n in self.api(observer, "/api/v1/nodes")}

    def has_entries_of(self, observer, node):
        return any(e["nodeId"] == node for what in ("servers", "apps") for e in self.api(observer, f"/api/v1/{what}"))

    def lists_server(self, observer, vip, node):
        return any(s["nodeId"] == node and s["serviceAddr"] == f"{vip}:{SERVER_PORT}"
                   for s in self.api(observer, "/api/v1/servers"))

    def ready(self, node):
        self.api(node, "/healthz")
        return True

    def await_all_alive(self, seconds=ANTI_HANG_SECONDS):
        wait_until("every agent to list all three alive",
                   lambda: all(set(self.states(o).values()) == {"alive"} and len(self.states(o)) == 3 for o in self.node_ip),
                   seconds)

    # ---- apps under `ax run` ----

    def start_app(self, node, name, vip, program, *options):
        options = (["--ip", vip] if vip else []) + list(options)
        self.apps[name] = self.start(name, self.on(node, AX, "run", *options, "--", "python3", "-c", program))
        return self.apps[name]

    def stop(self, name, sig=signal.SIGKILL):
        proc = self.apps.pop(name, None) or self.agents.get(name.removeprefix("agent-"))
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)

    def restart_agent(self, node):
        """kill -9 of the node's agent and a new one (same dirs: it takes the apps back); returns when it was ready."""
        self.stop(f"agent-{node}")
        self.start_agent(node)
        started = time.monotonic()
        return started + first_true_on_each([node], self.ready, started, ANTI_HANG_SECONDS, f"{node}'s agent to answer")


def first_true_on_each(observers, condition, since, seconds, what):
    """Polls every observer until `condition(observer)` holds on all; returns the largest delay after `since`."""
    pending, delays = list(observers), {}
    deadline = time.monotonic() + seconds
    while pending:
        for observer in list(pending):
            try:
                held = condition(observer)
            except ProcessDied:
                raise
            except (BenchError, ValueError, KeyError):
                held = False  # an agent not answering yet: not yet
            if held:
                delays[observer] = time.monotonic() - since
                pending.remove(observer)
        if pending and time.monotonic() > deadline:
            raise BenchError(f"timed out ({seconds:.0f} s) waiting for {what} on {','.join(pending)}")
        time.sleep(POLL_SECONDS)
    return max(delays.values())


# ---- the promises: each yields one measurement (seconds) per repetition ----

def server_listed_and_app_gone(cluster, runs, results):
    """"A new server is listed on the other nodes in well under a second" (from being listed on its own node), and
    "when the application's whole process tree exits, its entries disappear at once" (on its node)."""
    for rep in range(runs):
        vip = f"{LISTED_VIP_BASE}{10 + rep}"
        cluster.start_app("n1", "listed", vip, ACCEPT_AND_CLOSE)
        own = time.monotonic() + first_true_on_each(["n1"], lambda o: cluster.lists_server(o, vip, "n1"),
                                                    time.monotonic(), ANTI_HANG_SECONDS, f"n1 to list {vip}")
        results["server_listed"].append(first_true_on_each(
            ["n2", "n3"], lambda o: cluster.lists_server(o, vip, "n1"), own, ANTI_HANG_SECONDS, f"{vip} listed"))
        killed = time.monotonic()
        cluster.stop("listed")
        results["app_gone"].append(first_true_on_each(
            ["n1"], lambda o: not cluster.lists_server(o, vip, "n1") and not cluster.has_entries_of(o, "n1"),
            killed, ANTI_HANG_SECONDS, "the killed app's entries to go"))


def dns_servfail(cluster, runs, results):
    """"no answer in 2 s from any of them is SERVFAIL" (a forwarder that reads the question and never answers)."""
    hole = cluster.start("black-hole", cluster.on("n1", "python3", "-c", BLACK_HOLE_SERVER))
    wait_until("the black hole to listen", lambda: "ready" in (cluster.work / "black-hole.log").read_text())
    out = run(*cluster.on("n1", AX, "run", "--", "python3", "-c", DNS_TIMER, str(runs)), timeout=30 + 15 * runs).stdout
    for seconds, rcode in json.loads(out.strip().splitlines()[-1]):
        if rcode != "SERVFAIL":
            raise BenchError(f"a question for an outside name got {rcode}, not SERVFAIL")
        results["dns_servfail"].append(seconds)
    os.killpg(hole.pid, signal.SIGKILL)


def n3_serving(cluster):
    """n3 has a server of its own, listed on every node (the entries that must go with n3)."""
    cluster.stop("n3-server")
    cluster.start_app("n3", "n3-server", SERVICE_VIP, ACCEPT_AND_CLOSE)
    first_true_on_each(list(cluster.node_ip), lambda o: cluster.lists_server(o, SERVICE_VIP, "n3"),
                       time.monotonic(), ANTI_HANG_SECONDS, "n3's server listed")


def n3_gone_as(cluster, state, since):
    return first_true_on_each(["n1", "n2"], lambda o: cluster.states(o).get("n3") == state and not cluster.has_entries_of(o, "n3"),
                              since, ANTI_HANG_SECONDS, f"n3 {state} and its entries gone")


def leave_and_crash(cluster, runs, results):
    """"An agent stopped with SIGTERM leaves: the others show it left and drop its entries within ~0.4–0.7 s" and
    "after kill -9 of an agent its entries are gone from the other nodes in ~6 s on 3 nodes"."""
    for key, sig, state in (("sigterm_left", signal.SIGTERM, "left"), ("kill9_dead", signal.SIGKILL, "dead")):
        for _ in range(runs):
            n3_serving(cluster)
            since = time.monotonic()
            os.kill(cluster.agents["n3"].pid, sig)
            results[key].append(n3_gone_as(cluster, state, since))
            cluster.agents["n3"].wait(timeout=30)
            cluster.restart_agent("n3")
            cluster.await_all_alive()


def partition(cluster, runs, results):
    """"A partitioned node is declared dead on both sides after ~6 s; when the link returns the cluster heals
    within one reconnect interval (30 s)"."""
    def link(up):
        run("ip", "-n", cluster.bridge, "link", "set", "vn3", "up" if up else "down")

    def isolated(observer):
        return all(s == "dead" for n, s in cluster.states(observer).items() if n != "n3") and \
            not cluster.has_entries_of(observer, "n1") and not cluster.has_entries_of(observer, "n2")

    for _ in range(runs):
        n3_serving(cluster)
        cut = time.monotonic()
        link(False)
        try:
            # Each side on its own: n3 must see *both* others dead (it probes them one at a time), they only n3.
            results["partition_dead_others"].append(n3_gone_as(cluster, "dead", cut))
            results["partition_dead_isolated"].append(
                first_true_on_each(["n3"], isolated, cut, ANTI_HANG_SECONDS, "n1 and n2 dead"))
        finally:
            restored = time.monotonic()
            link(True)
        results["partition_heal"].append(first_true_on_each(
            list(cluster.node_ip), lambda o: len(cluster.states(o)) == 3 and set(cluster.states(o).values()) == {"alive"},
            restored, HEAL_ANTI_HANG_SECONDS, "every node alive again"))


def restart(cluster, runs, results):
    """"a client looping through the restart sees no failure, and a new connection succeeds once the new agent is
    ready" (ready: its api.sock answers /healthz, the tests' readiness) — for a server on the same node, as
    AgentRestartTests; and how long a server on another node stays unknown to the restarted agent."""
    loops = {"local": ("n1", RESTART_VIP_LOCAL), "remote": ("n2", RESTART_VIP_REMOTE)}
    for kind, (node, vip) in loops.items():
        cluster.start_app(node, f"restart-server-{kind}", vip, ACCEPT_AND_CLOSE)
        first_true_on_each(["n1"], lambda o: cluster.lists_server(o, vip, node), time.monotonic(),
                           ANTI_HANG_SECONDS, f"{node}'s server listed on n1")
        cluster.start_app("n1", f"connect-loop-{kind}", None, connect_loop(vip))

    def attempts(kind):
        log = cluster.work / f"connect-loop-{kind}.log"
        return [line.split() for line in log.read_text().splitlines() if line.startswith(("ok ", "fail "))]

    def first_ok_after(kind, since):
        return min((float(a[2]) for a in attempts(kind) if a[0] == "ok" and float(a[1]) >= since), default=None)

    for kind in loops:
        wait_until(f"the {kind} looping client's first connection", lambda: first_ok_after(kind, 0) is not None,
                   ANTI_HANG_SECONDS)
    for _ in range(runs):
        killed = time.monotonic()
        ready = cluster.restart_agent("n1")
        for kind in loops:
            wait_until(f"a {kind} connection started after the new agent was ready",
                       lambda: first_ok_after(kind, ready) is not None, ANTI_HANG_SECONDS)
            results[f"restart_{kind}_connection"].append(first_ok_after(kind, ready) - ready)
        # The remote server is unknown to the new agent until the cluster's table reaches it: connects are held
        # meanwhile (ClusterReadiness); any failure window measured here is a regression.
        failed = [a for a in attempts("remote") if a[0] == "fail" and float(a[1]) >= killed - 1]
        results["restart_remote_unreachable"].append(float(failed[-1][2]) - float(failed[0][1]) if failed else 0.0)
        cluster.await_all_alive()
    results["restart_failed_connects"].append(sum(1 for a in attempts("local") if a[0] == "fail"))
    for kind in loops:
        cluster.stop(f"connect-loop-{kind}")
        cluster.stop(f"restart-server-{kind}")


def relay_retry(cluster, runs, results):
    """"A node whose HOSTPORT is taken … keeps running and retries every 2 s": from freeing the port until n1's relay
    for n2's exposed app listens on it."""
    listener = f"{cluster.node_ip['n1']}:{HOSTPORT}"

    def relay_state(observer):
        return next((r["state"] for r in cluster.api(observer, "/api/v1/proxies") if r["listener"] == listener), None)

    occupy = f"""import socket
s = socket.socket(); s.bind(("{cluster.node_ip['n1']}", {HOSTPORT})); s.listen(); print("ready", flush=True)
while True: s.accept()[0].close()
"""
    for rep in range(runs):
        occupier = cluster.start(f"occupier-{rep}", cluster.on("n1", "python3", "-c", occupy))
        wait_until("the port to be taken", lambda: "ready" in (cluster.work / f"occupier-{rep}.log").read_text())
        cluster.start_app("n2", "exposed", EXPOSED_VIP, ACCEPT_AND_CLOSE, "--expose", f"{SERVER_PORT}:{listener}")
        first_true_on_each(["n1"], lambda o: (relay_state(o) or "").startswith("failed"), time.monotonic(),
                           ANTI_HANG_SECONDS, f"n1 to report {listener} taken")
        freed = time.monotonic()
        os.killpg(occupier.pid, signal.SIGKILL)
        occupier.wait(timeout=30)
        results["relay_retry"].append(first_true_on_each(
            ["n1"], lambda o: relay_state(o) == "listening", freed, ANTI_HANG_SECONDS, f"n1's relay on {listener}"))
        cluster.stop("exposed")
        first_true_on_each(["n1"], lambda o: relay_state(o) is None, time.monotonic(), ANTI_HANG_SECONDS,
                           "the relay to go with its app")


# name → (what is promised, the README's words, the statistic checked, its limit)
PROMISES = {
    "server_listed": ("a new server listed on the other nodes", "well under a second (~0.2–0.4 s)", "median", 0.5),
    "app_gone": ("an exited app's entries gone from its node", "at once (~10–50 ms)", "median", 0.2),
    "sigterm_left": ("SIGTERM: left + entries gone on the others", "~0.2–0.5 s", "median", 0.7),
    "kill9_dead": ("kill -9: dead + entries gone on the others (3 nodes)", "~6 s", "median", 7.0),
    "partition_dead_others": ("partition: the cut node dead + entries gone on the others", "~6 s", "median", 7.0),
    "partition_dead_isolated": ("partition: the others dead + entries gone on the cut node", "~7 s", "median", 8.0),
    "partition_heal": ("partition: healed after the link returns", "within 30 s", "max", 30.0),
    "relay_retry": ("a taken HOSTPORT freed: the relay listens after", "retries every 2 s", "max", 2.5),
    "dns_servfail": ("black-holed forwarder: SERVFAIL", "no answer in 2 s", "max", 2.5),
    "restart_local_connection": ("restart: new connection to a server on its node, after ready", "~10–30 ms", "median", 0.1),
    "restart_failed_connects": ("restart: failed connects of a client looping through (same node)", "none", "max", 0),
    "restart_remote_connection": ("restart: new connection to a server on another node, after ready", "—", "median", 1.0),
    "restart_remote_unreachable": ("restart: a server on another node unreachable (ENETUNREACH) for", "never (held)", "max", 0.0),
}
MEASURE = [("listing", server_listed_and_app_gone), ("dns", dns_servfail), ("leave", leave_and_crash),
           ("partition", partition), ("relay", relay_retry), ("restart", restart)]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def fmt(key, value):
    return f"{value:.0f}" if key == "restart_failed_connects" else f"{value:.2f} s" if value >= 0.1 else f"{value * 1000:.0f} ms"


def table(results):
    lines = ["| promise | README says | measured (median / p90 / max, n) | holds? |", "|---|---|---|---|"]
    failed = []
    for key, (what, says, stat, limit) in PROMISES.items():
        values = results.get(key)
        if not values:
            continue
        summary = {"median": statistics.median(values), "p90": percentile(values, 90), "max": max(values)}
        holds = summary[stat] <= limit
        if not holds:
            failed.append(key)
        lines.append(f"| {what} | {says} | {fmt(key, summary['median'])} / {fmt(key, summary['p90'])} / "
                     f"{fmt(key, summary['max'])}, n={len(values)} | {'yes' if holds else 'NO'} ({stat} ≤ {fmt(key, limit)}) |")
    return "\n".join(lines), failed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 5)), help="repetitions of each promise")
    parser.add_argument("--only", default=os.environ.get("ONLY", ""),
                        help=f"comma-separated subset of {','.join(name for name, _ in MEASURE)}")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench")
    args = parser.parse_args()
    chosen = [m for m in MEASURE if not args.only or m[0] in args.only.split(",")]
    if args.runs < 1 or not chosen:
        parser.error(f"--runs must be ≥ 1 and --only a subset of {','.join(name for name, _ in MEASURE)}")
    if not AX.exists():
        sys.exit(f"bench-promises: {AX} is missing; run 'make build' first")
    if os.geteuid() != 0:
        sys.exit("bench-promises: needs root (network namespaces)")

    work = Path(tempfile.mkdtemp(prefix="axt-", dir="/tmp"))
    (work / "owner.pid").write_text(str(os.getpid()))  # the tests' leftover sweep keeps a live owner's namespaces
    cluster = ThreeNodes(work)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, _: sys.exit(128 + number))
    results = {key: [] for key in PROMISES}
    error = None
    try:
        cluster.up()
        for name, measure in chosen:
            started = time.monotonic()
            measure(cluster, args.runs, results)
            print(f"{name}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        error = BenchError("interrupted")
    except BenchError as e:
        error = e
        for node in cluster.node_ip:
            log = work / f"agent-{node}.log"
            if log.exists():
                print(f"--- agent-{node} (last 10 lines) ---\n" + "\n".join(log.read_text().splitlines()[-10:]), file=sys.stderr)
    finally:
        cluster.down()
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)

    report, failed = table(results)
    load = os.getloadavg()
    report += f"\n\n{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end; --runs {args.runs}"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "promises.json").write_text(json.dumps(results, indent=1))
    (args.out / "promises.md").write_text(report + "\n")
    print(report)
    if error is not None:
        sys.exit(f"bench-promises: {error} (the table shows what was measured before)")
    if failed:
        sys.exit(f"bench-promises: not held: {', '.join(failed)}")

if __name__ == "__main__":
    main()
