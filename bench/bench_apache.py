"""Apache httpd 2.4 serving a small static file with a compiled 1,000-origin policy against the
same Apache without it.

The policy: 500 exact origins and 500 subdomain wildcards, credentials, methods and headers
(the policy of ``bench_nginx.py``), compiled for ``--target apache`` and included in the
``<VirtualHost>``. Two Apache servers (mpm_event, one child process of 25 threads, no access
log) run side by side on ephemeral 127.0.0.1 ports, both pinned to CPU 0, while wrk runs
pinned to CPU 1, on loopback with keep-alive. Each request of wrk's mix is, in turn: the first
exact origin, the last exact origin, a wildcard match, a refused origin, and a preflight.
Runs alternate between the two servers (ABBA order per round); each side's rate is its median
run. Also reported: Apache's CPU time per request (user + system of the parent and its child
processes, from /proc), which the other processes on a busy machine disturb less than the
rate does; and the compile time of the policy (load, check and emit, median of 5).

Prints one JSON line; exit status 1 when the CORS server's median rate is below 95 % of the
plain one's or its CPU per request above 1.15 × the plain one's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

# The policy, the mix and the wrk driver are nginx's benchmark's; the launcher is the tests'
# (run as `python bench/bench_apache.py`, the repository root is not on the path by itself).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import bench.bench_nginx as driver
from bench.bench_nginx import (
    EXACT,
    LUA,
    MIX,
    WILDCARDS,
    abba_rounds,
    check_answers,
    compile_policy,
    lua_request,
    pinned,
    report,
)
from tests.apache_launcher import APACHE, Apache, free_ports

TARGET_CPU_RATIO = 1.15


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its child processes (Apache's work is done in
    its children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if entry.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def start(root: Path, files: dict[str, str]) -> tuple[Apache, int]:
    """An Apache pinned to CPU 0 serving a static file, with ``files`` (none: the plain side)
    included in its virtual host; checked by ``apache2 -t`` first. taskset execs Apache, so the
    process's pid is Apache's parent."""
    server = Apache(root, wrap=pinned(0))
    (port,) = free_ports(1)
    includes = "".join(
        f"    Include {server.write(f'policies/{name}', text)}\n" for name, text in files.items()
    )
    server.configure(
        [port],
        f"<VirtualHost 127.0.0.1:{port}>\n{includes}"
        f'    AliasMatch "^/" "{root}/www/app.json"\n</VirtualHost>\n',
    )
    checked = server.check()
    if checked.returncode:
        raise SystemExit(checked.stderr)
    server.start([port])
    return server, port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if APACHE is None or wrk is None:
        raise SystemExit("needs apache2 and wrk (Debian: apt-get install apache2 wrk)")
    # The driver measures one process; Apache's work is in its children.
    driver.cpu_seconds = process_tree_cpu_seconds
    lua = ", ".join(lua_request(*request) for request in MIX)
    files, compile_time = compile_policy("apache")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        root.chmod(0o755)
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
    return report(args, "apache", rates, cpu, facts, TARGET_CPU_RATIO)


if __name__ == "__main__":
    sys.exit(main())
