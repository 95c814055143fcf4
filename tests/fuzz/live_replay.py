#!/usr/bin/env python3
"""Our own malformed inputs against a running agent (`make fuzz-live`; issue 20 point 3).

One agent in a node namespace of its own (tests/bench/datapath.py's helpers), an HTTP server under `ax run` behind the
agent's L7 relay (a header rule sends every connection to it through the relay), then the fuzz inputs fed to the real
endpoints, batch by batch:

  launcher    launcher-frames inputs, each on a new connection to <socket-dir>/ax.sock
  gossip-udp  gossip-packet inputs (first byte dropped: it picks the fuzz target's gate) to the gossip UDP port
  gossip-tcp  gossip-stream inputs (likewise) on a new TCP connection to the gossip port
  dns         dns inputs (first byte even: one UDP query, odd: a TCP stream) to 127.0.0.1:53 from an app under `ax run`
  http        http-head request inputs (first byte even) on a new connection to the relayed server, from an app under `ax run`
  rules       rules-json and rules-yaml inputs as POST /v1/rules bodies on api.sock
  rest        rest-json inputs as POST /api/v1/vservices (first byte even) or /api/v1/keys/install bodies on api.sock

The inputs: out/fuzz/corpus/TARGET (what `make fuzz` kept), out/fuzz/seeds/TARGET, tests/fuzz/Regressions/TARGET
(inputs that once crashed a decoder) and tests/fuzz/LiveSeeds/TARGET (copies of the fuzz seeds, so that this runs
without a fuzz build); `--per-endpoint N` takes N of them per endpoint, filled up with deterministic mutations
(`--seed`) when there are fewer. Sockets get EOF after each input (no input waits for the agent's timeouts).

After every batch: the agent still runs, `ax get apps` answers, a real `ax run -- curl` through the relay gets 200,
no REST answer was a 5xx, no `crit:` or unhandled-exception line in the agent's log, and the agent's RSS, open fds
and threads stay within bounds of their values before the first batch. Prints a table (also out/fuzz/live.md) and
exits 1 on the first failed check (the batch's input files are listed). Everything stays in a namespace the script
makes and removes, pass or fail.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "bench"))
from datapath import AX, BenchError, Cluster, cluster_run, print_agent_logs, process_rss_mib, run, wait_until  # noqa: E402

NODE_IP = "10.79.0.1"
CLUSTER_NAME = "fuzz-cluster"  # the fuzz targets' gossip envelope (GossipEnvelopes.Cluster): plain packets go deep
GOSSIP_PORT = 7946
WEB = {"vip": "198.18.0.20", "port": 80}
ENDPOINTS = {
    "launcher": ["launcher-frames"],
    "gossip-udp": ["gossip-packet"],
    "gossip-tcp": ["gossip-stream"],
    "dns": ["dns"],
    "http": ["http-head"],
    "rules": ["rules-json", "rules-yaml"],
    "rest": ["rest-json"],
}
IN_APP = {"dns", "http"}  # sent from an app under `ax run` (the agent's DNS and relay serve apps)
RELAY_RULES = """rules:
- {id: web-v1, priority: 1, destination: web, route: {backends: [{tags: [version=v1]}]}}
- id: web-header
  priority: 2
  destination: web
  match: {headers: {X-Live-Replay: "^yes$"}}
  route: {backends: [{tags: [version=v1]}]}
"""


# ---- the sending side: runs as `live_replay.py --feed ENDPOINT LISTFILE` inside the node namespace (or an app) ----

def drain(sock, seconds):
    """Reads until EOF, an error or `seconds`; what came back says answered/closed/silent."""
    sock.settimeout(seconds)
    got = 0
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return "answered" if got else "closed"
            got += len(chunk)
    except socket.timeout:
        return "answered" if got else "silent"
    except OSError:
        return "answered" if got else "reset"


def stream(family, address, data, seconds=5.0):
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(seconds)
        sock.connect(address)
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return "reset"
        return drain(sock, seconds)
    except OSError:
        return "refused"
    finally:
        sock.close()


def datagram(address, data, wait):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.sendto(data, address)
        if not wait:
            return "sent"
        sock.settimeout(wait)
        try:
            sock.recv(65536)
            return "answered"
        except socket.timeout:
            return "silent"
        except OSError:
            return "reset"
    except OSError:
        return "refused"
    finally:
        sock.close()


def api_post(socket_path, path, body):
    class Unix(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(30)
            self.sock.connect(socket_path)

    connection = Unix("localhost", timeout=30)
    try:
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return f"http-{response.status // 100}xx"
    except OSError:
        return "reset"
    finally:
        connection.close()


def feed_one(endpoint, target, data, env):
    """Sends one input; returns its outcome word."""
    if endpoint == "launcher":
        return stream(socket.AF_UNIX, env["launcher"], data)
    tail = data[1:]
    if endpoint == "gossip-udp":
        return datagram((env["node"], GOSSIP_PORT), tail, wait=0)
    if endpoint == "gossip-tcp":
        return stream(socket.AF_INET, (env["node"], GOSSIP_PORT), tail)
    if endpoint == "dns":
        if data[:1] and data[0] & 1:
            return stream(socket.AF_INET, ("127.0.0.1", 53), tail)
        return datagram(("127.0.0.1", 53), tail, wait=1.0)
    if endpoint == "http":
        if data[:1] and data[0] & 1:
            return "skipped"  # a response head: the relay reads those from upstreams, not from apps
        return stream(socket.AF_INET, (WEB["vip"], WEB["port"]), tail)
    if endpoint == "rules":
        return api_post(env["api"], "/v1/rules", data)
    if endpoint == "rest":
        if not data:
            return "skipped"
        return api_post(env["api"], "/api/v1/vservices" if data[0] % 2 == 0 else "/api/v1/keys/install", tail)
    raise ValueError(endpoint)


def feed(endpoint, list_file):
    job = json.loads(Path(list_file).read_text())
    outcomes = {}
    for target, path in job["inputs"]:
        outcome = feed_one(endpoint, target, Path(path).read_bytes(), job["env"])
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(json.dumps(outcomes))


# ---- the driving side ----

def mutate(data, rng):
    """One of a few blind mutations (libFuzzer's own, in miniature): flip, insert, delete, truncate, repeat."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(5)
        at = rng.randrange(len(data) + 1)
        if kind == 0 and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data[at:at] = bytes(rng.choice([0, 0xff, 0x7f, 0x80, ord("{"), ord(":"), ord("\n"), rng.randrange(256)])
                                for _ in range(rng.randint(1, 8)))
        elif kind == 2 and data:
            del data[at:at + rng.randint(1, 16)]
        elif kind == 3 and len(data) > 1:
            del data[max(1, at):]
        else:
            piece = data[at:at + rng.randint(1, 64)]
            data[at:at] = piece * rng.randint(1, 8)
    return bytes(data)


def collect(targets, corpus_dirs, per_endpoint, rng, scratch):
    """(target, file) pairs: every input file (or `per_endpoint` of them, filled up with mutations)."""
    files = []
    for target in targets:
        seen = set()
        for folder in corpus_dirs:
            directory = folder / target
            if directory.is_dir():
                for path in sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")):
                    content = path.read_bytes()  # the same input in several folders is sent once
                    if content not in seen:
                        seen.add(content)
                        files.append((target, path))
    if not per_endpoint:
        return files
    rng.shuffle(files)
    chosen = files[:per_endpoint]
    for index in range(per_endpoint - len(chosen)):
        target, path = files[index % len(files)] if files else (targets[0], None)
        base = path.read_bytes() if path else b""
        mutant = scratch / f"{target}-mutant-{index}"
        mutant.write_bytes(mutate(base, rng))
        chosen.append((target, mutant))
    return chosen


class LiveNode(Cluster):
    """One node namespace (eth0: one end of a veth pair inside it), its agent, and a relayed HTTP server under `ax run`."""

    node_ip = {"n1": NODE_IP}

    def __init__(self, work, ax=AX):
        super().__init__(work, [], ax)

    def up(self):
        ns = self.ns("n1")
        run("ip", "netns", "add", ns)
        run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")  # no dummy module here
        run("ip", "-n", ns, "link", "set", "eth1", "up")
        run("ip", "-n", ns, "addr", "add", f"{NODE_IP}/24", "dev", "eth0")
        run("ip", "-n", ns, "link", "set", "eth0", "up")
        (self.work / "n1").mkdir()
        # Names the agent cannot answer are forwarded to a port nothing listens on: refused at once.
        self.start_agent("n1", "--cluster", CLUSTER_NAME, "--dns-servers", "127.0.0.1:9")
        wait_until("the agent's admin API", lambda: self.ax_ok("get", "apps"), seconds=60)
        www = self.work / "www"
        www.mkdir()
        (www / "index.html").write_text("ok\n")
        self.start("server-web", self.on("n1", self.ax, "run", "--ip", WEB["vip"], "--name", "web", "--labels", "version=v1,zone=default",
                                         "--protocol", "http", "--", "python3", "-m", "http.server", WEB["port"],
                                         "--directory", www))
        wait_until("the web server in `ax get servers`", self.web_listed, seconds=60)
        rules = self.work / "relay-rules.yaml"
        rules.write_text(RELAY_RULES)
        run(*self.on("n1", self.ax, "create", "rule", "-f", rules))
        wait_until("a curl through the relay to answer 200", lambda: self.curl_status() == "200", seconds=60)

    def curl_status(self):
        """The HTTP status a real `ax run -- curl` gets from the web server (through the relay), or what went wrong."""
        curl = run(*self.on("n1", self.ax, "run", "--", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30",
                            f"http://{WEB['vip']}:{WEB['port']}/"), check=False, timeout=90)
        return curl.stdout.strip() if curl.returncode == 0 else f"exit {curl.returncode}, status {curl.stdout.strip() or '-'} {curl.stderr.strip()[:200]}"

    def ax_ok(self, *args):
        return run(*self.on("n1", self.ax, *args), check=False, timeout=60).returncode == 0

    def web_listed(self):
        out = run(*self.on("n1", self.ax, "get", "servers", "-o", "json")).stdout
        return any(item["serviceAddr"] == f"{WEB['vip']}:{WEB['port']}" for item in json.loads(out)["items"])

    @property
    def agent(self):
        return self.agents["n1"]

    def env(self):
        return {"node": NODE_IP, "launcher": str(self.work / "n1" / "sock" / "ax.sock"),
                "api": str(self.work / "n1" / "admin" / "api.sock")}


class Health:
    """The checks between batches, and the agent's resources against their values before the first batch."""

    LOG_FAILURE = re.compile(r" crit: |unhandled (exception|error)", re.IGNORECASE)

    def __init__(self, node, args):
        self.node = node
        self.args = args
        self.log = node.work / "agent-n1.log"
        self.base = self.resources()
        self.peak = dict(self.base)
        self.summary = ""

    def resources(self):
        pid = self.node.agent.pid
        return {"rss_mib": process_rss_mib(pid), "fds": len(os.listdir(f"/proc/{pid}/fd")),
                "threads": len(os.listdir(f"/proc/{pid}/task"))}

    def check(self):
        """None when healthy, else what failed."""
        if self.node.agent.poll() is not None:
            return f"the agent exited with {self.node.agent.returncode}"
        bad = [line for line in self.log.read_text(errors="replace").splitlines() if self.LOG_FAILURE.search(line)]
        if bad:
            return f"the agent logged: {bad[0][:300]}"
        apps = run(*self.node.on("n1", self.node.ax, "get", "apps"), check=False, timeout=60)
        if apps.returncode != 0:
            return f"`ax get apps` exited {apps.returncode}: {apps.stderr.strip()[:300]}"
        status = self.node.curl_status()
        if status != "200":
            return f"`ax run -- curl` through the relay: {status}"
        now = self.resources()
        for key in now:
            self.peak[key] = max(self.peak[key], now[key])
        limits = {"rss_mib": self.base["rss_mib"] + self.args.max_rss_growth_mib,
                  "fds": self.base["fds"] + self.args.max_fd_growth, "threads": self.base["threads"] + self.args.max_thread_growth}
        over = [f"{k} {now[k]:.0f} > {limits[k]:.0f}" for k in limits if now[k] > limits[k]]
        return "resources out of bounds: " + ", ".join(over) if over else None


def feed_batch(node, endpoint, batch, scratch, index):
    listing = scratch / f"{endpoint}-{index}.json"
    listing.write_text(json.dumps({"env": node.env(), "inputs": [(t, str(p)) for t, p in batch]}))
    feeder = ["python3", str(Path(__file__).resolve()), "--feed", endpoint, str(listing)]
    argv = node.on("n1", node.ax, "run", "--", *feeder) if endpoint in IN_APP else node.on("n1", *feeder)
    result = run(*argv, check=False, timeout=1800)
    if result.returncode != 0:
        raise BenchError(f"the {endpoint} feeder exited {result.returncode}: {result.stderr.strip()[-400:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def keep_batch(batch, out):
    """Copies a failed batch's inputs (mutants live in the work folder, which goes) next to the report."""
    folder = out.parent / "live-failed"
    shutil.rmtree(folder, ignore_errors=True)
    for index, (target, path) in enumerate(batch):
        (folder / target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / target / f"{index:03d}-{Path(path).name}")
    return folder


def render(rows, health):
    lines = ["| endpoint | inputs | outcomes | REST 5xx | batches | checks |", "|---|---:|---|---:|---:|---|"]
    for endpoint, row in rows.items():
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(row["outcomes"].items()))
        lines.append(f"| {endpoint} | {row['inputs']} | {outcomes} | {row['outcomes'].get('http-5xx', 0)} | "
                     f"{row['batches']} | {row['status']} |")
    base, peak = health.base, health.peak
    lines += ["", f"agent: RSS {base['rss_mib']:.0f} → peak {peak['rss_mib']:.0f} MiB, fds {base['fds']} → {peak['fds']}, "
                  f"threads {base['threads']} → {peak['threads']} (before the first batch → highest after a batch)"]
    lines.append(health.summary)
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feed", nargs=2, metavar=("ENDPOINT", "LISTFILE"), help=argparse.SUPPRESS)
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), help="comma-separated, of: " + ", ".join(ENDPOINTS))
    parser.add_argument("--corpus", type=Path, action="append",
                        help="a folder of TARGET/ input folders (repeatable; default: out/fuzz/corpus, out/fuzz/seeds, "
                             "tests/fuzz/Regressions, tests/fuzz/LiveSeeds)")
    parser.add_argument("--per-endpoint", type=int, default=0, help="inputs per endpoint (0: every input file, no mutants)")
    parser.add_argument("--batch", type=int, default=100, help="inputs between two health checks")
    parser.add_argument("--seed", type=int, default=1, help="for --per-endpoint's choice and mutations")
    parser.add_argument("--max-rss-growth-mib", type=float, default=256)
    parser.add_argument("--max-fd-growth", type=int, default=64)
    parser.add_argument("--max-thread-growth", type=int, default=64)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "fuzz" / "live.md")
    parser.add_argument("--ax", type=Path, default=AX, help="the build under test (its lib/appswitch beside it)")
    args = parser.parse_args()
    if args.feed:
        feed(*args.feed)
        return
    if not args.ax.exists():
        sys.exit(f"fuzz-live: {args.ax} is missing; run 'make build' first")
    if os.geteuid() != 0:
        sys.exit("fuzz-live: needs root (a network namespace)")
    endpoints = [e for e in args.endpoints.split(",") if e]
    unknown = [e for e in endpoints if e not in ENDPOINTS]
    if unknown:
        sys.exit(f"fuzz-live: unknown endpoint {unknown[0]} (known: {', '.join(ENDPOINTS)})")
    corpus_dirs = args.corpus or [ROOT / "out" / "fuzz" / "corpus", ROOT / "out" / "fuzz" / "seeds",
                                  ROOT / "tests" / "fuzz" / "Regressions", ROOT / "tests" / "fuzz" / "LiveSeeds"]

    with cluster_run(lambda work: LiveNode(work, args.ax), "fuzz-live") as node:
        rows, health, failure = replay(node, endpoints, corpus_dirs, args)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        report = render(rows, health) + ("\n\nFAILED: " + failure if failure else "")
        args.out.write_text(report + "\n")
        print(report)
        if failure:
            print_agent_logs(node.work)
            sys.exit("fuzz-live: FAILED (see above)")


def replay(node, endpoints, corpus_dirs, args):
    """Feeds every endpoint its inputs batch by batch; stops at the first failed check. (rows, health, failure)."""
    scratch = node.work / "inputs"
    scratch.mkdir()
    rng = random.Random(args.seed)
    rows = {}
    started = time.monotonic()
    health = Health(node, args)
    failure = health.check()
    for endpoint in endpoints:
        if failure:
            break
        inputs = collect(ENDPOINTS[endpoint], corpus_dirs, args.per_endpoint, rng, scratch)
        row = rows[endpoint] = {"inputs": len(inputs), "outcomes": {}, "batches": 0, "status": "ok"}
        for index in range(0, len(inputs), args.batch):
            batch = inputs[index:index + args.batch]
            for outcome, count in feed_batch(node, endpoint, batch, scratch, index // args.batch).items():
                row["outcomes"][outcome] = row["outcomes"].get(outcome, 0) + count
            row["batches"] += 1
            failure = health.check()
            if not failure and row["outcomes"].get("http-5xx"):
                failure = f"{row['outcomes']['http-5xx']} REST answers were 5xx (bad input must be 4xx)"
            if failure:
                row["status"] = "FAILED"
                failure = f"{endpoint}, batch {row['batches']}: {failure}; its inputs are in {keep_batch(batch, args.out)}"
                break
        print(f"{endpoint}: {row['inputs']} inputs, {row['batches']} batches, {row['status']} "
              f"({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    rows_total = sum(r["inputs"] for r in rows.values())
    health.summary = f"{rows_total} inputs in {time.monotonic() - started:.0f} s"
    return rows, health, failure

if __name__ == "__main__":
    main()
