#!/usr/bin/env python3
"""What an app would try against the agent's own ports, for the agent-port tests.

  agent_port_attack.py HOST REST_PORT GOSSIP_PORT [--read-only]
One line per attempt, "<attempt> <outcome>": the outcome is the errno name of a failed connect, "connected"
(socket level) or the HTTP status (REST). Attempts: GET /healthz, POST /v1/rules (a rule sending every
'helloworld' connection to the attacker's version), DELETE /v1/rules?destination=helloworld, a TCP connect to
the gossip port, a UDP connect to it followed by a datagram. --read-only skips the two rule writes (for the
comparison run without ax, which would really make them).
"""
import errno, http.client, socket, sys

host, rest, gossip = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
read_only = "--read-only" in sys.argv[4:]
RULE = b'{"rules":[{"id":"hijack","priority":99,"destination":"helloworld","route":{"backends":[{"tags":["version=evil"]}]}}]}'


def name(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def request(method, path, body=None):
    conn = http.client.HTTPConnection(host, rest, timeout=5)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        return str(conn.getresponse().status)
    except OSError as e:
        return name(e)
    finally:
        conn.close()


def connect(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(5)
    try:
        s.connect((host, gossip))
        if kind == socket.SOCK_DGRAM:
            s.send(b"\0" * 8)
        return "connected"
    except OSError as e:
        return name(e)
    finally:
        s.close()


print("healthz", request("GET", "/healthz"))
if not read_only:
    print("create-rule", request("POST", "/v1/rules", RULE))
    print("delete-rules", request("DELETE", "/v1/rules?destination=helloworld"))
print("gossip-tcp", connect(socket.SOCK_STREAM))
print("gossip-udp", connect(socket.SOCK_DGRAM))
sys.stdout.flush()
