"""A state file (<admin-dir>/state.json) that loads an agent's table at start-up: vservices and rules need no
process, so a restarted agent restores them as they are (StateRestorer) — seconds for 100 000 instances, where
`ax create` would take ~190 ms each.

Instances are vservice backends: `services` vservices of `instances // services` backends each. Every address comes
from 198.18.16.0 – 198.19.255.255 (inside 198.18.0.0/15, clear of the data-path bench's 198.18.0.x/1.x): the
vservices' virtual IPs first, then the backends; nothing ever connects to them (they are the table's weight).
Rules are Amalgam8 route rules for services svc-0 … svc-(rules-1) (90/10 between tags v1 and v2), so the connect path
holds `rules` rules but the measured destination has none of its own.
"""
import ipaddress
import json

FIRST = int(ipaddress.IPv4Address("198.18.16.0"))
LAST = int(ipaddress.IPv4Address("198.19.255.255"))
VSERVICE_PORT = 9080


def address(index):
    value = FIRST + index
    if value > LAST:
        raise ValueError(f"address {index} is past 198.19.255.255: too many services and instances")
    return str(ipaddress.IPv4Address(value))


def ballast(services, instances, rules):
    """The state file's JSON (a dict) with `services` vservices holding `instances` backends and `rules` rules."""
    if services < 1 or instances < services or rules < 0:
        raise ValueError(f"need 1 <= services <= instances and rules >= 0 (got {services}, {instances}, {rules})")
    per_service, extra = divmod(instances, services)
    vservices, next_backend = [], services
    for i in range(services):
        count = per_service + (1 if i < extra else 0)
        vservices.append({
            "name": f"svc-{i}", "ip": address(i), "backends": [address(next_backend + b) for b in range(count)],
            "ports": [{"vport": VSERVICE_PORT, "aport": VSERVICE_PORT}], "lbType": "Random", "external": False,
        })
        next_backend += count
    route = {"backends": [{"tags": ["v1"], "weight": 0.9}, {"tags": ["v2"], "weight": 0.1}]}
    return {"version": 1, "apps": [], "sockets": [], "vServices": vservices,
            "rules": [{"id": f"rule-{i}", "destination": f"svc-{i}", "route": route} for i in range(rules)]}


def write(path, services, instances, rules):
    path.write_text(json.dumps(ballast(services, instances, rules)))
