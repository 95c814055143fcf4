#!/usr/bin/env python3
"""A slow HTTP client against the agent's REST port: it opens a connection and never finishes a request head.

  slowloris.py HOST PORT trickle|idle GIVE_UP_SECONDS

trickle: sends the start of a request head, then one more header byte every 200 ms (each byte would reset a
per-read timeout); idle: connects and sends nothing. Prints one line: `closed after N bytes sent, answer: <status
line or none>` when the server ends the connection, or `still open after S s` (exit 1) when it never does.
"""
import socket
import sys
import time

host, port, mode, give_up = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
conn = socket.create_connection((host, port), timeout=5)
sent = trickled = 0
if mode == "trickle":
    head = b"GET /healthz HTTP/1.1\r\nHost: agent\r\n"
    conn.sendall(head)
    sent = len(head)
deadline = time.monotonic() + give_up
answer = b""
while time.monotonic() < deadline:
    conn.settimeout(0.2)
    try:
        chunk = conn.recv(4096)
        if not chunk:
            break
        answer += chunk
        continue
    except socket.timeout:
        pass
    except ConnectionResetError:
        break
    if mode == "trickle":
        try:
            line = b"X-Slow: a\r\n"
            conn.sendall(line[trickled % len(line):trickled % len(line) + 1])
            trickled += 1
            sent += 1
        except (BrokenPipeError, ConnectionResetError):
            break
else:
    print(f"still open after {give_up:g} s ({sent} bytes sent)")
    sys.exit(1)
status = answer.split(b"\r\n", 1)[0].decode("latin-1") if answer else "none"
print(f"closed after {sent} bytes sent, answer: {status}")
