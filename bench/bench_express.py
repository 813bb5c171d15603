"""Express serving a small response with the compiled 1,000-origin policy (cors package plus
corsc's middleware) against the same Express without CORS.

The policy and the request mix are bench_nginx.py's: 500 exact origins and 500 subdomain
wildcards, credentials, methods and headers; each request of wrk's mix is, in turn, the first
exact origin, the last exact origin, a wildcard match, a refused origin, and a preflight. Two
Node.js processes (tests/express_app/serve.js) run side by side pinned to CPU 0 while wrk runs
pinned to CPU 1, on loopback with keep-alive. Runs alternate between the two servers (ABBA
order per round); each side's rate is its median run. Also reported: the server's CPU time per
request (user + system, from /proc).

Needs Node.js with tests/express_app's packages installed (``npm ci`` there) and wrk. Prints
one JSON line; exit status 1 when the CORS server's median rate is below 95 % of the plain one's
or its CPU per request above 1.15 times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from bench_nginx import (
    LUA,
    MIX,
    POLICY,
    abba_rounds,
    check_answers,
    lua_request,
    pinned,
    report,
)

from tests.conformance_express import APP, MODULES, compile_or_refuse, missing

TARGET_CPU_RATIO = 1.15
#: The plain side: the same application, with a middleware that does nothing.
PLAIN = "module.exports = { corsMiddleware: () => (req, res, next) => next() };\n"


def start(module: Path) -> tuple[subprocess.Popen[str], int]:
    """serve.js with ``module``, pinned to CPU 0: (process, port)."""
    server = subprocess.Popen(
        [*pinned(0), "node", str(APP / "serve.js"), str(module)],
        cwd=APP,
        env={**os.environ, "NODE_PATH": str(MODULES)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    return server, json.loads(server.stdout.readline())[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    reason = missing()
    if reason is not None or wrk is None:
        raise SystemExit(f"needs Node.js with express and cors, and wrk: {reason or 'no wrk'}")
    compiled = compile_or_refuse("bench", POLICY)
    assert isinstance(compiled, str), compiled
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        script = root / "mix.lua"
        script.write_text(LUA % ", ".join(lua_request(*request) for request in MIX))
        (root / "plain.js").write_text(PLAIN)
        (root / "cors.js").write_text(compiled)
        plain, plain_port = start(root / "plain.js")
        cors, cors_port = start(root / "cors.js")
        try:
            check_answers(cors_port)
            sides = {"plain": (plain_port, plain.pid), "cors": (cors_port, cors.pid)}
            rates, cpu = abba_rounds(wrk, script, sides, args, warm_up=2)  # the JIT too
        finally:
            for server in (plain, cors):
                server.kill()
                server.wait()
    facts = {"origins": 1000, "output_bytes": len(compiled)}
    return report(args, "express", rates, cpu, facts, TARGET_CPU_RATIO)


if __name__ == "__main__":
    sys.exit(main())
