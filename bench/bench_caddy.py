"""Caddy serving a small response with a compiled 1,000-origin policy against the same Caddy
without the snippet.

The policy: 500 exact origins and 500 subdomain wildcards, credentials, methods and headers
(the policy of ``bench_nginx.py``). Two Caddy processes run side by side (``admin off``,
``auto_https off``, one site on an ephemeral 127.0.0.1 port each), both pinned to CPU 0 (Go
sizes its scheduler to that one CPU) while wrk runs pinned to CPU 1, on loopback with
keep-alive. Each request of wrk's mix is, in turn: the first exact origin, the last exact
origin, a wildcard match, a refused origin, and a preflight. Runs alternate between the two
servers (ABBA order per round); each side's rate is its median run. Also reported: Caddy's CPU
time per request (user + system of every thread, from /proc), which the other processes on a
busy machine disturb less than the rate does; and the compile time of the policy (load, check
and emit, median of 5).

Prints one JSON line; exit status 1 when the CORS server's median rate is below 95 % of the
plain one's or its CPU per request above 1.15 × the plain one's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

# The policy, the mix and the wrk driver are nginx's benchmark's (run as
# `python bench/bench_caddy.py`, the repository root is not on the path by itself).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
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
from tests.server_process import wait_for_ports

TARGET_CPU_RATIO = 1.15
#: One side's Caddyfile: no admin endpoint, no certificates, access logs off (Caddy's default),
#: the snippet (if any) in front of a small response.
CADDYFILE = """{{
\tadmin off
\tauto_https off
}}
{snippets}
http://127.0.0.1:{port} {{
{imports}\trespond "ok" 200
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_caddy(
    caddy: str, root: Path, files: dict[str, str]
) -> tuple[subprocess.Popen[bytes], int]:
    """A Caddy pinned to CPU 0 serving ``files``' snippets (none: the plain side), validated
    first: (process, port). taskset execs Caddy, so the process's pid is Caddy's."""
    root.mkdir(parents=True)
    port = free_port()
    snippets = "".join(files.values())
    imports = "".join(
        f"\timport {name.removesuffix('.caddy')}\n" for name in files if name.endswith(".caddy")
    )
    config = root / "Caddyfile"
    config.write_text(CADDYFILE.format(snippets=snippets, imports=imports, port=port), "utf-8")
    env = {
        **os.environ,
        "HOME": str(root),
        "XDG_DATA_HOME": str(root),
        "XDG_CONFIG_HOME": str(root),
    }
    command = [caddy, "--adapter", "caddyfile", "--config", str(config)]
    check = subprocess.run(
        [caddy, "validate", *command[1:]], capture_output=True, text=True, env=env, timeout=120
    )
    if check.returncode:
        raise SystemExit(check.stderr)
    process = subprocess.Popen(
        [*pinned(0), caddy, "run", *command[1:]],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_ports(process, [port], 60)
    except AssertionError as failure:
        process.kill()
        raise SystemExit(f"caddy did not start: {failure}") from None
    return process, port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    wrk, caddy = shutil.which("wrk"), shutil.which("caddy")
    if caddy is None or wrk is None:
        raise SystemExit("needs caddy and wrk (Debian: apt-get install caddy wrk)")
    files, compile_time = compile_policy("caddy")
    lua = ", ".join(lua_request(*request) for request in MIX)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        script = root / "mix.lua"
        script.write_text(LUA % lua)
        plain, plain_port = start_caddy(caddy, root / "plain", {})
        try:
            cors, cors_port = start_caddy(caddy, root / "cors", files)
        except BaseException:
            plain.kill()
            plain.wait(10)
            raise
        try:
            check_answers(cors_port)
            sides = {"plain": (plain_port, plain.pid), "cors": (cors_port, cors.pid)}
            rates, cpu = abba_rounds(wrk, script, sides, args)
        finally:
            for process in (plain, cors):
                process.terminate()
                process.wait(10)
    facts = {
        "origins": len(EXACT) + len(WILDCARDS),
        "compile_seconds": round(compile_time, 3),
        "output_bytes": sum(len(text) for text in files.values()),
    }
    return report(args, "caddy", rates, cpu, facts, TARGET_CPU_RATIO)


if __name__ == "__main__":
    sys.exit(main())
