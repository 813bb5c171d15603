"""Scale: generated policies with 10,000 and 100,000 origins (mixed exact and subdomain
wildcard) go through the whole front end (parse, lower, check) and the json backend.

Targets: 10,000 origins in under 1 s, 100,000 in under 10 s, and linear growth (the 100k time
at most 13 times the 10k time: ten times the work plus noise; a quadratic check would be ~100).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from corsc import __version__
from corsc.backends import EmitOptions, get
from corsc.frontend import load
from corsc.source import Source


def policy_text(count: int) -> str:
    """``count`` origins: four exact origins for each subdomain wildcard, all distinct."""
    origins = []
    for index in range(count):
        if index % 5 == 4:
            origins.append(f'"https://*.tenant{index}.example.net"')
        else:
            origins.append(f'"https://app{index}.example{index % 97}.com"')
    listing = ",\n          ".join(origins)
    return f"policy api {{\n  origins {listing}\n  methods GET, POST, PUT\n}}\n"


def compile_seconds(count: int) -> float:
    text = policy_text(count)
    backend = get("json")
    start = time.perf_counter()
    loaded = load(Source("scale.cors", text))
    assert loaded.policy_set is not None and not loaded.has_errors, loaded.diagnostics[:3]
    backend.emit(loaded.policy_set, EmitOptions(__version__, "scale.cors", "json"))
    return time.perf_counter() - start


def main() -> int:
    argparse.ArgumentParser(description=__doc__).parse_args()
    compile_seconds(100)  # build Lark's parser and warm imports outside the measurement
    small = compile_seconds(10_000)
    large = compile_seconds(100_000)
    growth = large / small
    met = small < 1.0 and large < 10.0 and growth <= 13
    print(
        json.dumps(
            {
                "benchmark": "scale",
                "seconds_10k": round(small, 3),
                "seconds_100k": round(large, 3),
                "growth_100k_over_10k": round(growth, 2),
                "met": met,
            }
        )
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
