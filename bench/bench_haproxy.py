"""HAProxy serving a small response with a compiled 1,000-origin policy against the same
HAProxy without it.

The policy: 500 exact origins and 500 subdomain wildcards, credentials, methods and headers
(the policy of ``bench_nginx.py``); its lists go into pattern files. Two HAProxy processes run
side by side (one thread each, ``nbthread 1``, a frontend on an ephemeral 127.0.0.1 port whose
backend answers ``ok`` itself), both pinned to CPU 0, while wrk runs pinned to CPU 1, on
loopback with keep-alive. Each request of wrk's mix is, in turn: the first exact origin, the
last exact origin, a wildcard match, a refused origin, and a preflight. Runs alternate between
the two servers (ABBA order per round); each side's rate is its median run. Also reported:
HAProxy's CPU time per request (user + system, from /proc), which the other processes on a
busy machine disturb less than the rate does; and the compile time of the policy (load, check
and emit, median of 5).

``--instructions`` measures instead what the targets stand for on a machine too busy to time
(bench/instructions.py): the instructions HAProxy runs per request of the mix under valgrind's
callgrind, each side alone, and their ratio (the kernel's share of a request, the same on both
sides, is not in it).

Prints one JSON line; exit status 1 when the CORS server's median rate is below 95 % of the
plain one's or its CPU per request above 1.15 × the plain one's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from corsc import __version__
from corsc.backends import EmitOptions, get
from corsc.frontend import load
from corsc.source import Source

# The policy, the mix and the wrk driver are nginx's benchmark's; the launcher is the tests'
# (run as `python bench/bench_haproxy.py`, the repository root is not on the path by itself).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_nginx import (
    EXACT,
    LUA,
    MIX,
    POLICY,
    WILDCARDS,
    abba_rounds,
    check_answers,
    lua_request,
    mix_headers,
    pinned,
    report,
)
from bench.instructions import per_request, request_bytes
from tests.haproxy_launcher import HAPROXY, Haproxy, free_ports

TARGET_CPU_RATIO = 1.15
#: One side's own configuration: one thread, no logs, a backend answering by itself.
BASE = """\
global
    nbthread 1
    maxconn 4096
defaults base
    mode http
    timeout client 30s
    timeout server 30s
    timeout connect 5s
backend app from base
    http-request return status 200 content-type text/plain string "ok"
"""


def compile_policy(directory: Path) -> tuple[dict[str, str], float]:
    """The compiled files (pattern files read from ``directory``) and the median time of load,
    check and emit."""
    times, files = [], {}
    backend = get("haproxy")
    values = {"from": "base", "pattern-dir": str(directory)}
    for _ in range(5):
        start = time.perf_counter()
        loaded = load(Source("bench.cors", POLICY))
        assert loaded.policy_set is not None
        options = EmitOptions(__version__, "bench.cors", "haproxy", values)
        problems = [
            d for d in backend.check(loaded.policy_set, options) if d.severity.value == "error"
        ]
        assert not problems, problems
        files = {item.name: item.content for item in backend.emit(loaded.policy_set, options)}
        times.append(time.perf_counter() - start)
    return files, statistics.median(times)


def configured(root: Path, files: dict[str, str]) -> tuple[Haproxy, int]:
    """An HAProxy pinned to CPU 0 serving ``files`` (none: the plain side), checked, not yet
    started. taskset execs HAProxy, so the process's pid is HAProxy's."""
    server = Haproxy(root, wrap=pinned(0))
    (port,) = free_ports(1)
    defaults = "corsc" if files else "base"
    front = f"frontend www from {defaults}\n    bind 127.0.0.1:{port}\n    default_backend app\n"
    configs = [("base.cfg", BASE)]
    configs += [(name, text) for name, text in files.items() if name.endswith(".cfg")]
    patterns = {name: text for name, text in files.items() if not name.endswith(".cfg")}
    server.configure([*configs, ("www.cfg", front)], patterns)
    checked = server.check()
    if checked.returncode:
        raise SystemExit(checked.stderr)
    return server, port


def start(root: Path, files: dict[str, str]) -> tuple[Haproxy, int]:
    server, port = configured(root, files)
    server.start([port])
    return server, port


def instructions(root: Path, files: dict[str, str]) -> int:
    """The benchmark's line with the instructions per request of each side and their ratio."""
    requests = [request_bytes(method, mix_headers(*request)) for method, *request in MIX]
    counts = {}
    for side, side_files in (("plain", {}), ("cors", files)):
        server, port = configured(root / side, side_files)
        counts[side] = per_request(lambda server=server: server.command("-db"), port, requests)
    ratio = counts["cors"] / counts["plain"]
    summary = {
        "benchmark": "haproxy-instructions",
        "origins": len(EXACT) + len(WILDCARDS),
        "instructions_per_request_plain": round(counts["plain"]),
        "instructions_per_request_cors": round(counts["cors"]),
        "instructions_ratio": round(ratio, 3),
    }
    print(json.dumps(summary))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--instructions", action="store_true", help="count, under callgrind")
    args = parser.parse_args()
    if args.instructions:
        if HAPROXY is None:
            raise SystemExit("needs haproxy (Debian: apt-get install haproxy)")
        with tempfile.TemporaryDirectory() as directory:
            files, _ = compile_policy(Path(directory) / "cors")
            return instructions(Path(directory), files)
    wrk = shutil.which("wrk")
    if HAPROXY is None or wrk is None:
        raise SystemExit("needs haproxy and wrk (Debian: apt-get install haproxy wrk)")
    lua = ", ".join(lua_request(*request) for request in MIX)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        files, compile_time = compile_policy(root / "cors")
        script = root / "mix.lua"
        script.write_text(LUA % lua)
        plain, plain_port = start(root / "plain", {})
        try:
            cors, cors_port = start(root / "cors", files)
        except BaseException:
            plain.stop()
            raise
        try:
            check_answers(cors_port)
            pids = {}
            for side, server in (("plain", plain), ("cors", cors)):
                assert server.process is not None
                pids[side] = server.process.pid
            sides = {"plain": (plain_port, pids["plain"]), "cors": (cors_port, pids["cors"])}
            rates, cpu = abba_rounds(wrk, script, sides, args)
        finally:
            plain.stop()
            cors.stop()
    facts = {
        "origins": len(EXACT) + len(WILDCARDS),
        "compile_seconds": round(compile_time, 3),
        "output_bytes": sum(len(text) for text in files.values()),
    }
    return report(args, "haproxy", rates, cpu, facts, TARGET_CPU_RATIO)


if __name__ == "__main__":
    sys.exit(main())
