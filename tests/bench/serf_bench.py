#!/usr/bin/python3
"""N Serf agents on 127.0.0.1 (distinct gossip and RPC ports, LAN profile): join convergence after the last
agent started, bytes per second per member on lo in a quiet period, and the time until every other agent lists
a kill -9'd agent as failed. Driven by cluster-vs-serf.sh inside a network namespace of its own (so that lo
carries only these agents' traffic). Membership is read over each agent's RPC socket (msgpack, kept open),
not with the `serf members` command: that would start a process per poll and blur the timings.
Prints `RESULT key value` lines for the script."""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time

import msgpack


def lo_tx():
    """(bytes, packets) sent on lo in this network namespace so far."""
    with open("/proc/net/dev") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name.strip() == "lo":
                fields = rest.split()
                return int(fields[8]), int(fields[9])
    return 0, 0


class Rpc:
    """One connection to a Serf agent's RPC port: handshake, then `members` requests."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.unpacker = msgpack.Unpacker(raw=False)
        self.seq = 0
        self.call("handshake", {"Version": 1})

    def _next(self):
        while True:
            for obj in self.unpacker:
                return obj
            data = self.sock.recv(1 << 16)
            if not data:
                raise ConnectionError("RPC connection closed")
            self.unpacker.feed(data)

    def call(self, command, body=None, has_reply_body=False):
        self.seq += 1
        self.sock.sendall(msgpack.packb({"Command": command, "Seq": self.seq}))
        if body is not None:
            self.sock.sendall(msgpack.packb(body))
        header = self._next()
        if header.get("Error"):
            raise RuntimeError(f"serf rpc {command}: {header['Error']}")
        return self._next() if has_reply_body else None

    def members(self):
        """name -> status (alive, leaving, left, failed)."""
        reply = self.call("members", has_reply_body=True)
        return {m["Name"]: m["Status"] for m in reply["Members"]}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def connect(port, deadline):
    while True:
        try:
            return Rpc(port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(-(-p * len(s) // 1)) - 1))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--base-port", type=int, default=17000, help="gossip ports from here, RPC ports from here + 1000")
    ap.add_argument("--quiet-seconds", type=float, default=10)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--serf", default="serf")
    a = ap.parse_args()

    n = a.nodes
    procs = []
    rpcs = []

    def stop_all(*_):
        for r in rpcs:
            r.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(143)))
    try:
        name = lambda i: f"s{i:03d}"
        seed = f"127.0.0.1:{a.base_port}"
        first_start = time.monotonic()
        last_start = first_start
        for i in range(n):
            cmd = [a.serf, "agent", f"-node={name(i)}", f"-bind=127.0.0.1:{a.base_port + i}",
                   f"-rpc-addr=127.0.0.1:{a.base_port + 1000 + i}", "-log-level=err"]
            if i > 0:
                cmd.append(f"-join={seed}")
            last_start = time.monotonic()
            procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            # The next agent starts once this one answers on RPC (its join has been made by then).
            rpcs.append(connect(a.base_port + 1000 + i, time.monotonic() + 30))
        started = time.monotonic()
        gap_ms = (last_start - first_start) / max(1, n - 1) * 1000
        print(f"serf: {n} agents started one after another in {started - first_start:.1f} s "
              f"(mean gap {gap_ms:.0f} ms between starts)", flush=True)
        print(f"RESULT serf_start_gap_ms {gap_ms:.0f}")

        # (a) join convergence: from the last agent's start until every agent lists n alive members.
        seen_all = {}
        deadline = time.monotonic() + a.timeout
        while len(seen_all) < n and time.monotonic() < deadline:
            for i in range(n):
                if i in seen_all:
                    continue
                ms = rpcs[i].members()
                if sum(1 for s in ms.values() if s == "alive") == n:
                    seen_all[i] = time.monotonic()
            time.sleep(0.02)
        if len(seen_all) < n:
            print(f"serf: join did not converge in {a.timeout:.0f} s: {len(seen_all)} of {n} see everyone")
            return 1
        join = [t - last_start for t in seen_all.values()]
        print(f"serf: join convergence after the last start: p50 {percentile(join, .5) * 1000:.0f} ms, "
              f"max {max(join) * 1000:.0f} ms (from the first start {max(seen_all.values()) - first_start:.1f} s)")
        print(f"RESULT serf_join_ms {max(join) * 1000:.0f}")
        print(f"RESULT serf_join_p50_ms {percentile(join, .5) * 1000:.0f}")

        # Bandwidth in a quiet period (nothing polls the agents meanwhile).
        b0, p0 = lo_tx()
        t0 = time.monotonic()
        time.sleep(a.quiet_seconds)
        b1, p1 = lo_tx()
        dt = time.monotonic() - t0
        per_member = (b1 - b0) / dt / n
        print(f"serf: steady state: {per_member:.0f} bytes/s per member on lo ({(p1 - p0) / dt / n:.1f} packets/s per member)")
        print(f"RESULT serf_lo_bytes_per_s_per_member {per_member:.0f}")

        # (b) failure detection: kill -9 one agent (not the seed); every other agent must list it failed.
        victim = 2
        rpcs[victim].close()
        killed = time.monotonic()
        procs[victim].kill()
        failed_at = {}
        deadline = killed + a.timeout
        others = [i for i in range(n) if i != victim]
        while len(failed_at) < len(others) and time.monotonic() < deadline:
            for i in others:
                if i in failed_at:
                    continue
                if rpcs[i].members().get(name(victim)) == "failed":
                    failed_at[i] = time.monotonic()
            time.sleep(0.02)
        detect = [t - killed for t in failed_at.values()]
        if len(failed_at) < len(others):
            print(f"serf: (incomplete) {len(failed_at)} of {len(others)} list the killed agent failed after {a.timeout:.0f} s")
            return 1
        print(f"serf: killed agent listed failed by every other: p50 {percentile(detect, .5) * 1000:.0f} ms, "
              f"max {max(detect) * 1000:.0f} ms")
        print(f"RESULT serf_dead_ms {max(detect) * 1000:.0f}")
        print(f"RESULT serf_dead_p50_ms {percentile(detect, .5) * 1000:.0f}")
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
