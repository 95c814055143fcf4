#!/usr/bin/env python3
"""Sends one DNS question and prints what came back, for the DNS tests.

  dns_query.py [--tcp] [--server IP] [--port N] [--type A|AAAA] NAME
prints "<RCODE> <addr>,<addr>..." (RCODE as a name: NOERROR, NXDOMAIN, SERVFAIL, ...), exit 0;
exit 1 with a message when no answer came within 5 s.
"""
import argparse, random, socket, struct, sys

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
TYPES = {"A": 1, "AAAA": 28}


def question(name, qtype):
    qid = random.randrange(65536)
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.strip(".").split(".") if l) + b"\0"
    return qid, struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire + struct.pack(">HH", qtype, 1)


def skip_name(msg, i):
    while True:
        n = msg[i]
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n
        if n == 0:
            return i


def parse(msg, qid):
    rid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
    if rid != qid:
        raise SystemExit(f"answer id {rid} != query id {qid}")
    i = 12
    for _ in range(qd):
        i = skip_name(msg, i) + 4
    addrs = []
    for _ in range(an):
        i = skip_name(msg, i)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[i:i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(msg[i:i + 4]))
        i += rdlen
    return RCODES.get(flags & 0xF, str(flags & 0xF)), addrs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--type", default="A", choices=TYPES)
    ap.add_argument("name")
    a = ap.parse_args()
    qid, q = question(a.name, TYPES[a.type])
    try:
        if a.tcp:
            s = socket.create_connection((a.server, a.port), timeout=5)
            s.sendall(struct.pack(">H", len(q)) + q)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                chunk = s.recv(65535)
                if not chunk:
                    raise SystemExit("connection closed before the answer")
                buf += chunk
            msg = buf[2:]
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            s.sendto(q, (a.server, a.port))
            msg, _ = s.recvfrom(65535)
    except socket.timeout:
        print("no answer within 5 s", file=sys.stderr)
        return 1
    rcode, addrs = parse(msg, qid)
    print(rcode, ",".join(addrs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
