"""Origins longer than any browser sends: the evaluator and each Python library refuse them as
fast as a short one, because the length bound comes before any pattern (the tests prove the
bound comes first by counting matcher calls and by the emitted regexes' structure; this
measures it).

Targets: the evaluator answers 100 requests with a megabyte Origin in under 1 s; Starlette,
Django and Flask, configured by corsc's output for a policy with a subdomain wildcard and a
regex, answer each of the longest allowed Origin, one character more, and a megabyte Origin in
under 2 s. Prints one JSON line; exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from corsc import __version__, origins
from corsc.backends import EmitOptions, get
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.source import Source

# The in-process drivers of the tests (run as `python bench/bench_long_origin.py`, neither the
# repository root nor tests/, whose helpers import each other by module name, is on the path).
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from tests.python_harness import library_server, long_origin  # noqa: E402

POLICY = """policy p {
  origins "https://*.example.com", regex "^https://pr-[0-9]+\\.example\\.org$", "http://[::1]:8080"
  headers Accept, Accept-Language, Content-Language, Content-Type
}"""
HUGE = "https://" + "a." * 500_000 + "example.com"
EVALUATOR_SECONDS = 1.0
LIBRARY_SECONDS = 2.0


def evaluator_seconds() -> float:
    loaded = load(Source("bench.cors", POLICY))
    assert loaded.policy_set is not None and not loaded.has_errors
    evaluator = Evaluator(loaded.policy_set)
    start = time.perf_counter()
    for _ in range(100):
        assert evaluator.respond(Request.of("GET", "/", origin=HUGE)).allowed is False
    return time.perf_counter() - start


def library_seconds(library: str) -> float:
    """The slowest of the library's answers to the three long Origins."""
    loaded = load(Source("bench.cors", POLICY))
    assert loaded.policy_set is not None
    backend = get(library)
    text = backend.emit(loaded.policy_set, EmitOptions(__version__, "bench.cors", library))[0]
    serve = library_server(library, text.content)
    limit = origins.MAX_ORIGIN_LENGTH
    slowest = 0.0
    probes = ((long_origin(limit), True), (long_origin(limit + 1), False), (HUGE, False))
    for origin, allowed in probes:
        start = time.perf_counter()
        reply = serve(Request.of("GET", "/", origin=origin))
        slowest = max(slowest, time.perf_counter() - start)
        granted = dict((n.lower(), v) for n, v in reply.headers).get("access-control-allow-origin")
        assert granted == (origin if allowed else None), (library, len(origin))
    return slowest


def main() -> int:
    argparse.ArgumentParser(description=__doc__).parse_args()
    evaluator = evaluator_seconds()
    libraries = {library: library_seconds(library) for library in ("starlette", "django", "flask")}
    met = evaluator < EVALUATOR_SECONDS and all(s < LIBRARY_SECONDS for s in libraries.values())
    print(
        json.dumps(
            {
                "benchmark": "long-origin",
                "evaluator_seconds_100_megabyte_origins": round(evaluator, 4),
                **{f"{name}_slowest_seconds": round(s, 4) for name, s in libraries.items()},
                "met": met,
            }
        )
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
