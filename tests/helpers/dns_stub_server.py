#!/usr/bin/env python3
"""A tiny upstream DNS server for the forwarding tests: answers NAME with ADDRESS (A) over UDP and TCP,
NXDOMAIN for anything else. Prints "ready" once both sockets listen.

  dns_stub_server.py --port N [--bind ADDRESS] NAME ADDRESS   (--bind: the local address, 127.0.0.1 unless told)

ADDRESS may be @FILE: the address is read from FILE at every query, so a test can change the answer.
"""
import argparse, socket, struct, sys, threading


def answer(query, name, address):
    qid, flags = struct.unpack(">HH", query[:4])
    i, labels = 12, []
    while query[i]:
        labels.append(query[i + 1:i + 1 + query[i]].decode().lower())
        i += 1 + query[i]
    qend = i + 5
    known = ".".join(labels) == name
    if address.startswith("@"):
        with open(address[1:]) as f:
            address = f.read().strip()
    head = struct.pack(">HHHHHH", qid, 0x8180 | (flags & 0x0100) | (0 if known else 3), 1, 1 if known else 0, 0, 0)
    body = query[12:qend]
    if known:
        body += struct.pack(">HHHIH", 0xC00C, 1, 1, 30, 4) + socket.inet_aton(address)
    return head + body


def serve_tcp(srv, name, address):
    while True:
        conn, _ = srv.accept()
        with conn:
            data = b""
            while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
                chunk = conn.recv(65535)
                if not chunk:
                    break
                data += chunk
            if len(data) >= 2:
                reply = answer(data[2:], name, address)
                conn.sendall(struct.pack(">H", len(reply)) + reply)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("name")
    ap.add_argument("address")
    a = ap.parse_args()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((a.bind, a.port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((a.bind, a.port))
    tcp.listen(16)
    threading.Thread(target=serve_tcp, args=(tcp, a.name.lower(), a.address), daemon=True).start()
    print("ready", flush=True)
    while True:
        query, peer = udp.recvfrom(65535)
        udp.sendto(answer(query, a.name.lower(), a.address), peer)


if __name__ == "__main__":
    sys.exit(main())
