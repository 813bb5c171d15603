"""nginx serving a small response with a compiled 1,000-origin policy against the same nginx
without CORS (issue 4's performance requirement).

The policy: 500 exact origins and 500 subdomain wildcards, credentials, methods and headers.
Two nginx processes run side by side, each ``master_process off`` (one worker) pinned to CPU 0
while wrk runs pinned to CPU 1, on loopback with keep-alive. Each request of wrk's mix is, in
turn: the first exact origin, the last exact origin, a wildcard match, a refused origin, and a
preflight. Runs alternate between the two servers (ABBA order per round); each side's rate is
its median run. Also reported: nginx's CPU time per request (user + system, from /proc),
which the other processes on a busy machine disturb less than the rate does; and the compile
time of the policy (load, check and emit, median of 5). With ``--instructions``, each server
also runs under valgrind's callgrind for the same mix, and the user-space instructions per
request are reported: exact counts, which a shared machine's noise cannot disturb.

Prints one JSON line; exit status 1 when the CORS server's median rate is below 95 % of the
plain one's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corsc import __version__
from corsc.backends import EmitOptions, get
from corsc.evaluate import Evaluator, Request
from corsc.frontend import load
from corsc.source import Source

# The nginx launcher of the tests (run as `python bench/bench_nginx.py`, the repository root is
# not on the path by itself).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.nginx_launcher import NGINX, Nginx, free_port

TARGET_RATIO = 0.95
EXACT = [f"https://app{n}.example.com" for n in range(500)]
WILDCARDS = [f"https://*.site{n}.example.net" for n in range(500)]
MIX = [
    ("GET", EXACT[0], None),
    ("GET", EXACT[-1], None),
    ("GET", "https://a.site250.example.net", None),
    ("GET", "https://evil.example.org", None),
    ("OPTIONS", EXACT[0], "PUT"),
]
POLICY = (
    "policy api {\n  origins "
    + ",\n    ".join(f'"{origin}"' for origin in EXACT + WILDCARDS)
    + "\n  methods GET, POST, PUT, DELETE\n  headers Content-Type, Authorization\n"
    "  credentials true\n  max-age 600\n}\n"
)
LUA = """
local mix = {%s}
local n = 0
request = function()
  n = n %% #mix + 1
  return mix[n]
end
"""
#: The server of each side, inside the launcher's ``http {}``: the CORS side's snippets (if
#: any) in front of a small response.
SERVER = """{http}
    server {{
        listen 127.0.0.1:{port};
{server}
        location / {{ return 200 "ok\\n"; }}
    }}"""


def mix_headers(origin: str, requested: str | None) -> dict[str, str]:
    """The header fields of one request of the mix."""
    return {"Origin": origin, **({"Access-Control-Request-Method": requested} if requested else {})}


def lua_request(method: str, origin: str, requested: str | None) -> str:
    """One request of the mix as wrk's Lua writes it."""
    fields = ", ".join(
        f"[{json.dumps(name)}] = {json.dumps(value)}"
        for name, value in mix_headers(origin, requested).items()
    )
    return f"wrk.format({json.dumps(method)}, nil, {{{fields}}})"


def compile_policy(target: str = "nginx") -> tuple[dict[str, str], float]:
    """The benchmark policy's files for ``target`` and the median time of load, check and
    emit (the benchmarks of the other servers compile the same policy)."""
    times, files = [], {}
    backend = get(target)
    for _ in range(5):
        start = time.perf_counter()
        loaded = load(Source("bench.cors", POLICY))
        assert loaded.policy_set is not None
        options = EmitOptions(__version__, "bench.cors", target, {})
        problems = [
            d for d in backend.check(loaded.policy_set, options) if d.severity.value == "error"
        ]
        assert not problems, problems
        files = {item.name: item.content for item in backend.emit(loaded.policy_set, options)}
        times.append(time.perf_counter() - start)
    return files, statistics.median(times)


def pinned(cpu: int) -> list[str]:
    """The prefix that pins a command to one CPU when taskset exists and there are two CPUs at
    least (nothing otherwise)."""
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(cpu)]
    return []


def start_nginx(
    root: Path, http: str, server: str, files: dict[str, str]
) -> tuple[Nginx, int, str]:
    """A private-prefix nginx pinned to CPU 0: (nginx, port, what ``nginx -t`` printed)."""
    nginx = Nginx(root, wrap=pinned(0))
    port = free_port()
    nginx.configure(SERVER.format(http=http, server=server, port=port), files)
    test = nginx.test()
    if test.returncode:
        raise SystemExit(test.stderr)
    try:
        nginx.start([port])
    except AssertionError as error:
        raise SystemExit(str(error)) from None
    return nginx, port, test.stderr


def pid_of(nginx: Nginx) -> int:
    """The pid of a started nginx (taskset runs it in its own process)."""
    assert nginx.process is not None
    return nginx.process.pid


def check_answers(port: int) -> None:
    """The CORS server answers the mix as the evaluator does (Allow-Origin and status)."""
    loaded = load(Source("bench.cors", POLICY))
    assert loaded.policy_set is not None
    evaluator = Evaluator(loaded.policy_set)
    for method, origin, requested in MIX:
        headers = mix_headers(origin, requested)
        want = evaluator.respond(Request.of(method, "/", headers=headers))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request(method, "/", headers=headers)
        reply = connection.getresponse()
        reply.read()
        connection.close()
        assert reply.getheader("Access-Control-Allow-Origin") == want.header(
            "Access-Control-Allow-Origin"
        ), (method, origin)
        assert reply.status == (want.status or 200), (method, origin, reply.status)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def abba_rounds(
    wrk: str,
    script: Path,
    sides: dict[str, tuple[int, int]],
    args: argparse.Namespace,
    warm_up: int = 1,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each side (name → port, server pid) warmed up for ``warm_up`` seconds, then
    ``args.rounds`` rounds of ``args.seconds`` each, the order alternating (ABBA): every
    run's requests per second and server CPU microseconds per request, by side."""
    for port, pid in sides.values():
        run_wrk(wrk, port, script, warm_up, args.connections, pid)
    rates: dict[str, list[float]] = {side: [] for side in sides}
    cpu: dict[str, list[float]] = {side: [] for side in sides}
    names = list(sides)
    for round_number in range(args.rounds):
        for side in names if round_number % 2 == 0 else names[::-1]:
            port, pid = sides[side]
            rate, per_request = run_wrk(wrk, port, script, args.seconds, args.connections, pid)
            rates[side].append(rate)
            cpu[side].append(per_request)
    return rates, cpu


def report(
    args: argparse.Namespace,
    server: str,
    rates: dict[str, list[float]],
    cpu: dict[str, list[float]],
    facts: dict[str, object],
    cpu_target: float | None,
    extra: dict[str, object] | None = None,
) -> int:
    """Print one benchmark's JSON line: ``facts`` about the compiled output, every run's rate,
    the medians, their ratios and the CPU share, and whether the targets are met (the CPU one
    only when ``cpu_target`` is given); the exit status is 0 when they are."""
    medians = {side: statistics.median(values) for side, values in rates.items()}
    cpu_medians = {side: statistics.median(values) for side, values in cpu.items()}
    ratio = medians["cors"] / medians["plain"]
    cpu_ratio = cpu_medians["cors"] / cpu_medians["plain"]
    met = ratio >= TARGET_RATIO and (cpu_target is None or cpu_ratio <= cpu_target)
    summary = {
        "benchmark": server,
        **facts,
        "rounds": args.rounds,
        "seconds_per_run": args.seconds,
        "rps_plain": [round(x) for x in rates["plain"]],
        "rps_cors": [round(x) for x in rates["cors"]],
        "rps_plain_median": round(medians["plain"]),
        "rps_cors_median": round(medians["cors"]),
        "ratio": round(ratio, 3),
        "cpu_us_per_request_plain": round(cpu_medians["plain"], 2),
        "cpu_us_per_request_cors": round(cpu_medians["cors"], 2),
        "cpu_ratio": round(cpu_ratio, 3),
        # Below 1, the server waited for the load generator, whose rate then bounds both sides.
        f"{server}_cpu_share_plain": round(medians["plain"] * cpu_medians["plain"] / 1e6, 2),
        **(extra or {}),
        "target_ratio": TARGET_RATIO,
        **({} if cpu_target is None else {"target_cpu_ratio": cpu_target}),
        "met": met,
    }
    print(json.dumps(summary))
    return 0 if met else 1


def run_wrk(
    wrk: str, port: int, script: Path, seconds: int, connections: int, pid: int
) -> tuple[float, float]:
    """(requests per second, nginx CPU microseconds per request) of one wrk run."""
    before = cpu_seconds(pid)
    result = subprocess.run(
        [
            *pinned(1),
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    used = cpu_seconds(pid) - before
    total = next(
        int(line.split()[0]) for line in result.stdout.splitlines() if "requests in" in line
    )
    rate = next(
        float(line.split()[1])
        for line in result.stdout.splitlines()
        if line.startswith("Requests/sec")
    )
    return rate, used * 1e6 / total


def instructions_per_request(nginx: Nginx, port: int, requests: int) -> float:
    """User-space instructions per request of the mix for ``nginx`` (configured by
    :func:`start_nginx`, stopped), run under callgrind: counters zeroed after a warm-up, dumped
    after ``requests`` requests."""
    root = nginx.root
    out = root / "callgrind.out"
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *nginx.foreground()]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("nginx under valgrind did not start") from None
                time.sleep(0.1)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def send(count: int) -> None:
            for index in range(count):
                method, origin, requested = MIX[index % len(MIX)]
                connection.request(method, "/", headers=mix_headers(origin, requested))
                connection.getresponse().read()

        send(len(MIX) * 10)
        subprocess.run(
            ["callgrind_control", "-z", str(process.pid)], check=True, capture_output=True
        )
        send(requests)
        subprocess.run(
            ["callgrind_control", "-d", str(process.pid)], check=True, capture_output=True
        )
        connection.close()
    finally:
        process.kill()
        process.wait(30)
    dumps = sorted(root.glob("callgrind.out*"), key=lambda path: path.stat().st_mtime)
    totals = next(
        int(line.split()[1])
        for line in dumps[-1].read_text().splitlines()
        if line.startswith("summary:")
    )
    return totals / requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--instructions", action="store_true", help="also count instructions")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if NGINX is None or wrk is None:
        raise SystemExit("needs nginx and wrk (Debian: apt-get install nginx wrk)")
    files, compile_time = compile_policy()
    lua = ", ".join(lua_request(*request) for request in MIX)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        script = root / "mix.lua"
        script.write_text(LUA % lua)
        http = "".join(f"    include {name};\n" for name in files if name.endswith(".http.conf"))
        server = "".join(f"        include {name};\n" for name in files if name.count(".") == 1)
        plain, plain_port, _ = start_nginx(root / "plain", "", "", {})
        cors, cors_port, warnings = start_nginx(root / "cors", http, server, files)
        try:
            check_answers(cors_port)
            sides = {"plain": (plain_port, pid_of(plain)), "cors": (cors_port, pid_of(cors))}
            rates, cpu = abba_rounds(wrk, script, sides, args)
        finally:
            plain.stop()
            cors.stop()
        instructions = {}
        if args.instructions:
            for side, port in (("plain", plain_port), ("cors", cors_port)):
                nginx = plain if side == "plain" else cors
                count = instructions_per_request(nginx, port, len(MIX) * 200)
                instructions[f"instructions_per_request_{side}"] = round(count)
    facts = {
        "origins": len(EXACT) + len(WILDCARDS),
        "compile_seconds": round(compile_time, 3),
        "output_bytes": sum(len(text) for text in files.values()),
        "nginx_t_warnings": warnings.strip(),
    }
    return report(args, "nginx", rates, cpu, facts, None, instructions)


if __name__ == "__main__":
    sys.exit(main())
