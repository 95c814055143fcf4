#!/usr/bin/env python3
"""Parses a Prometheus text exposition with Prometheus' own Python parser, for the metrics tests.

  prom_samples.py FILE
prints one JSON object: {"families": {NAME: TYPE}, "samples": [[SAMPLE_NAME, {LABEL: VALUE}, NUMBER]]};
exits 1 with the parser's message when the text is not valid exposition format.
Run it with Debian's python3 (/usr/bin/python3, package python3-prometheus-client).
"""
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families

try:
    with open(sys.argv[1], encoding="utf-8") as f:
        families = list(text_string_to_metric_families(f.read()))
except Exception as e:  # the parser raises ValueError and friends on malformed text
    print(f"not valid Prometheus text: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
json.dump({
    "families": {f.name: f.type for f in families},
    "samples": [[s.name, s.labels, s.value if math.isfinite(s.value) else str(s.value)] for f in families for s in f.samples],
}, sys.stdout)
