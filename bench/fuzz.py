"""A bounded mutation fuzzer over every corsc command, in-process.

Each run builds one input — a seed policy (the examples, the test fixtures and goldens, hostile
snippets) mutated by bytes, tokens, lines and splices — and one command line: ``check``,
``compile``, ``explain``, ``targets`` or ``--version``; ``check --target T`` and ``compile
--target T`` for every registered target, with ``-o``, ``--merge``, ``--check``, ``--set``,
``-O``, ``--policy``, ``--strict`` and ``--format text|json|sarif`` drawn at random. A few runs in
a hundred also set up a file-system state first (a FIFO, a device, a directory where a file
goes, a parent that is a file, a symlink, a stale output, a read-only place, a hostile file
name). The CLI's ``main(argv)`` runs with stdout and stderr captured and ``CORSC_DEBUG=1``, so a
bug escapes as an exception instead of exit 70.

A run is a crash when an exception escapes ``main`` (or it returns 70), or when it outlives
``--timeout``. Crashes are grouped by exception type and innermost corsc frame; the first
reproducer of each group is saved to ``bench/results/`` (argv, input, file-system state,
traceback). The last line of output is one JSON object: runs, seconds, runs/s, crashes and the
distinct roots.

    python bench/fuzz.py --seconds 600 --workers 1 --seed 1
    python bench/fuzz.py --runs 1000000 --workers 2
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import io
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

#: Snippets that have broken parsers, lowering or backends before, or that aim at them.
HOSTILE = [
    "",
    "\ufeff",
    "policy",
    "policy p {",
    "policy p { origins * ",
    'policy p { origins "https://a.example" }',
    "let a = a\npolicy p { origins a }",
    "let a = b\nlet b = a\npolicy p { origins a }",
    'let a = "/x"\npolicy p { paths a\n origins a }',
    'policy p { origins regex "^https://(a|b)\\.example$" }',
    'policy p { origins regex "^https://[a-z]{1,3}\\.example\\.com$" }',
    'policy p { origins regex "(((((((((((((((((((("}',
    'policy p { origins regex "^https://a\\.example$" credentials true }',
    'policy p { origins "https://*.example.com"; credentials true; max-age 99999999999999999999 }',
    'policy p { origins "null", "http://[::1]:8080", "https://xn--nxasmq6b.example" }',
    'policy p { origins "https://a.example"; origin "https://b.example" { methods PUT } }',
    "policy p { origins *; origin * { } }",
    'policy p { paths "/a", "/a/"; origins * }\npolicy q { paths "/a"; origins * }',
    'policy p { paths "/%2e%2e/", "/\u00e9", "/a b"; origins * }',
    "policy p { origins *; headers *; expose *; methods *; private-network true }",
    'policy p { origins "https://a.example"; unlisted reject; preflight-status 200 }',
    'policy p { origins "https://a.example"; preflight-status 999; unlisted maybe }',
    'policy p { origins "https://\u202eevil.example", "https://a.example:99999" }',
    'policy p { origins "https://a.example" }\n' * 50,
    "policy p {\n" + 'origin "https://a.example" {\n' * 200 + "}\n" * 201,
    "{" * 5000,
    '"' * 3000,
    "let " + "x" * 10000 + " = *",
    "# " + "\x00" * 10,
    "policy p { origins " + ", ".join(f'"https://h{i}.example"' for i in range(300)) + " }",
    "policy p { methods get, Get, CONNECT, TRACK, OPTIONS; origins * }",
    'policy p { headers "Content-Type", Authorization, "X Y", "\u00e9"; origins * }',
    'policy p { expose Set-Cookie, "*"; origins "https://a.example"; credentials true }',
    'policy p { origins "https://a.example"; deny "https://a.example" }',
    'policy p { origins "https://*.example"; deny regex "^https://b\\.example$" }',
]

#: Tokens inserted by token mutations.
TOKENS = [
    *("policy", "let", "origin", "origins", "deny", "paths", "methods", "headers", "expose"),
    *("credentials", "max-age", "private-network", "unlisted", "preflight-status", "regex"),
    *("true", "false", "pass", "reject", "204", "200", "10m", "1d", "0", "-1", "*", "GET"),
    *("{", "}", ",", ";", "=", "\n", '"', "#", "\\", "\r\n", " ", "\t", "\x00", "\udcff"),
    *('"https://a.example"', '"https://*.example.com"', '"null"', '"/api"', '"/"', '""'),
    *('"http://localhost:*"', '"https://a.example:443"', '"HTTPS://A.EXAMPLE."', '"*.com"'),
    *('regex "^https://a\\.example$"', 'regex "a{1,3}"', 'regex "[^/]+"', '"\\"', "\u00e9"),
    *("\u202e", "\u2028", "\x1b[31m", "a" * 300, "9" * 40, "$", "%", "'", "`", "--", "<!--"),
]

SET_VALUES = [
    "",
    "*",
    ",",
    "https://a.example",
    "https://a.example,https://b.example",
    "regex:^https://a{1,3}\\.example$",
    'regex:"^https://(a|b)\\.x$"',
    '"https://a,b.example"',
    "/api,/v2",
    "GET,PUT",
    "X-Token,Content-Type",
    "a{",
    '"unclosed',
    "\udcff",
    "https://\u00e9.example",
    "null",
    "https://*.com",
]

ORIGINS = [
    "https://a.example",
    "https://app.example.com",
    "null",
    "http://localhost:3000",
    "https://a.example:443",
    "not an origin",
    "",
    "https://\u00e9.example",
    "https://a.example.evil.net",
    "\udcff",
]


def seeds() -> list[str]:
    """The seed corpus: examples, fixtures, goldens (as text), hostile snippets."""
    corpus = list(HOSTILE)
    for directory in ("examples", "tests/fixtures", "tests/golden", "tests/conformance"):
        for path in sorted((ROOT / directory).rglob("*")):
            if path.is_file() and path.stat().st_size < 200_000:
                with contextlib.suppress(UnicodeDecodeError):
                    corpus.append(path.read_text("utf-8"))
    return corpus


class Mutator:
    def __init__(self, rng: random.Random, corpus: list[str]) -> None:
        self.rng = rng
        self.corpus = corpus
        self.policies = [text for text in corpus if "policy" in text]

    def text(self) -> str:
        rng = self.rng
        text = rng.choice(self.policies if rng.random() < 0.8 else self.corpus)
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3, 5, 8))):
            text = rng.choice(self.mutations)(self, text)
        return text

    def _at(self, text: str) -> int:
        return self.rng.randint(0, len(text))

    def byte_flip(self, text: str) -> str:
        if not text:
            return chr(self.rng.randint(0, 0x7F))
        at = self.rng.randrange(len(text))
        return text[:at] + chr(self.rng.randint(0, 0x7F)) + text[at + 1 :]

    def delete_range(self, text: str) -> str:
        at = self._at(text)
        return text[:at] + text[at + self.rng.randint(1, 20) :]

    def insert_token(self, text: str) -> str:
        at = self._at(text)
        return text[:at] + self.rng.choice(TOKENS) + text[at:]

    def replace_token(self, text: str) -> str:
        words = list(re.finditer(r'"[^"\n]*"|[A-Za-z0-9_.:/*-]+|[{};,=]', text))
        if not words:
            return self.insert_token(text)
        word = self.rng.choice(words)
        return text[: word.start()] + self.rng.choice(TOKENS) + text[word.end() :]

    def duplicate_token(self, text: str) -> str:
        words = list(re.finditer(r'"[^"\n]*"|[A-Za-z0-9_.:/*-]+', text))
        if not words:
            return text
        word = self.rng.choice(words)
        return text[: word.end()] + ", " + word.group() + text[word.end() :]

    def line_op(self, text: str) -> str:
        lines = text.split("\n")
        rng = self.rng
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        choice = rng.randrange(3)
        if choice == 0:
            lines.insert(j, lines[i])
        elif choice == 1:
            del lines[i]
        else:
            lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines)

    def splice(self, text: str) -> str:
        other = self.rng.choice(self.corpus)
        return text[: self._at(text)] + other[self._at(other) :]

    def repeat(self, text: str) -> str:
        if not text:
            return text
        at = self._at(text)
        end = min(len(text), at + self.rng.randint(1, 40))
        return text[:end] + text[at:end] * self.rng.choice((2, 10, 100)) + text[end:]

    mutations: ClassVar[list[Callable[[Mutator, str], str]]] = [
        byte_flip,
        delete_range,
        insert_token,
        insert_token,
        replace_token,
        replace_token,
        duplicate_token,
        line_op,
        splice,
        repeat,
    ]


def bindings_of(text: str) -> list[str]:
    return re.findall(r"\blet\s+([a-z][a-z0-9_]*)", text) or ["b"]


def policies_of(text: str) -> list[str]:
    return re.findall(r"\bpolicy\s+(\S+)", text) or ["p"]


class Runner:
    """Builds and runs one case in the worker's scratch directory."""

    def __init__(self, rng: random.Random, scratch: Path, fs_rate: float) -> None:
        from corsc.backends import backends, target_names

        self.rng = rng
        self.scratch = scratch
        self.fs_rate = fs_rate
        self.targets = list(target_names())
        self.options = {name: b.options for b in backends() for name in b.names}
        self.merging = {name for b in backends() for name in b.names if hasattr(b, "merge")}
        self.mutator = Mutator(rng, seeds())

    def case(self) -> dict[str, Any]:
        """One input and command line, as data (so it can be saved and replayed)."""
        rng = self.rng
        text = self.mutator.text()
        command = rng.choices(
            ["check", "compile", "explain", "fmt", "targets", "--version"], [30, 50, 12, 8, 2, 1]
        )[0]
        argv: list[str] = []
        fs: list[str] = []
        use_file = rng.random() < 0.5
        if command == "--version":
            return {"argv": ["--version"], "text": text, "fs": [], "stdin": False}
        if command == "targets":
            argv = ["targets", *rng.choice(([], ["--format", "json"], ["--format", "text"]))]
            return {"argv": argv, "text": text, "fs": [], "stdin": False}
        name = "policy.cors"
        if rng.random() < self.fs_rate:
            fs.append(rng.choice(FS_STATES))
            use_file = True
            if fs[-1] == "hostile-name":
                name = rng.choice(["a--b.cors", "x\n.cors", "\udcff.cors", '"""', "-", "<!--;{}$#"])
        source = "-" if not use_file else f"@/{name}"
        argv = [command, source]
        target = rng.choice(self.targets)
        if command == "check":
            for _ in range(rng.choice((0, 1, 1, 2))):
                argv += ["--target", rng.choice(self.targets)]
            if rng.random() < 0.1:
                argv.append(rng.choice(("@/other.cors", "-", "@/missing.cors")))
        elif command == "compile":
            argv += ["--target", target]
            self.compile_options(argv, target, text, fs)
        elif command == "fmt":  # rewrites the file, or with these writes nothing
            argv += rng.sample(["--check", "--diff"], rng.choice((0, 1, 1, 2)))
            if rng.random() < 0.1:
                argv.append(rng.choice(("@/", "@/missing.cors")))  # a directory: its *.cors
            return {"argv": argv, "text": text, "fs": fs, "stdin": not use_file}
        else:
            argv += ["--origin", rng.choice(ORIGINS)]
            if rng.random() < 0.5:
                argv += ["--method", rng.choice(("GET", "PUT", "get", "DELETE", "", "X Y"))]
            for _ in range(rng.choice((0, 0, 1, 2))):
                argv += ["--header", rng.choice(("X-Token", "Content-Type:text/plain", ":", "a b"))]
            if rng.random() < 0.5:
                argv += ["--path", rng.choice(("/", "/api/x", "", "api", "/%2e%2e/", "/\u00e9"))]
            if rng.random() < 0.3:
                argv.append("--credentials")
        for _ in range(rng.choice((0, 0, 0, 1, 2))):
            argv += ["--set", f"{rng.choice(bindings_of(text))}={rng.choice(SET_VALUES)}"]
        if command != "explain" and rng.random() < 0.5:
            argv += ["--format", rng.choice(("text", "json", "sarif"))]
        elif command == "explain" and rng.random() < 0.3:
            argv += ["--format", "json"]
        if command != "explain" and rng.random() < 0.2:
            argv.append("--strict")
        return {"argv": argv, "text": text, "fs": fs, "stdin": not use_file}

    def compile_options(self, argv: list[str], target: str, text: str, fs: list[str]) -> None:
        rng = self.rng
        where = rng.random()
        if where < 0.35:
            argv += ["-o", rng.choice(("@/out/", "@/out.txt", "@/out"))]
        elif where < 0.45 and target in self.merging:
            argv += ["--merge", "@/web.config"]
            fs.append(rng.choice(("merge-empty", "merge-garbage", "merge-config", "merge-fixture")))
        if ("-o" in argv or "--merge" in argv) and rng.random() < 0.3:
            argv.append("--check")
        for option in self.options.get(target, ()):
            if rng.random() < 0.3:
                value = rng.choice(
                    [*option.choices, option.default, "", "x y", "\udcff", "1" * 300]
                )
                argv += ["-O", f"{option.key}={value}"]
        if rng.random() < 0.05:
            argv += ["-O", rng.choice(("nope=1", "=", "variant"))]
        if rng.random() < 0.15:
            argv += ["--policy", rng.choice([*policies_of(text), "nope"])]

    def prepare(self, case: dict[str, Any]) -> list[str]:
        """Create the case's files under a fresh scratch directory; its argv with ``@/``
        resolved."""
        base = self.scratch / "run"
        if base.exists():
            for path in base.rglob("*"):  # a read-only state must not stop the clean-up
                # Only real directories: chmod follows symbolic links, and the states link
                # to /dev/null and /dev/zero.
                if path.is_symlink() or not path.is_dir():
                    continue
                with contextlib.suppress(OSError):
                    path.chmod(0o755)
            shutil.rmtree(base, ignore_errors=True)
        base.mkdir()
        argv = [
            item.replace("@/", f"{base}/", 1) if item.startswith("@/") else item
            for item in case["argv"]
        ]
        source = next((item for item in argv[1:2] if item.startswith(str(base))), None)
        for state in case["fs"]:
            self.state(base, state, source)
        if source is not None and not os.path.lexists(source):
            with open(os.fsencode(source), "wb") as stream:
                stream.write(case["text"].encode("utf-8", "surrogatepass"))
        if any(item == f"{base}/other.cors" for item in argv):
            (base / "other.cors").write_text('policy q { origins "https://q.example" }\n')
        return argv

    @staticmethod
    def state(base: Path, state: str, source: str | None) -> None:
        out = base / "out"
        if state == "fifo-input" and source:
            os.mkfifo(source)
        elif state == "dir-input" and source:
            os.mkdir(source)
        elif state == "device-input" and source:
            os.symlink(random.choice(("/dev/zero", "/dev/null", "/dev/urandom")), source)
        elif state == "out-is-file":
            out.write_text("a file\n")
        elif state == "out-parent-is-file":
            (base / "out").write_text("x")
            (base / "out.txt").mkdir()
        elif state == "out-has-dirs":
            out.mkdir()
            for name in (
                "corsc-api.conf",
                "corsc-api.http.conf",
                "api.json",
                "web.config",
                "policy.json",
            ):
                (out / name).mkdir()
        elif state == "out-symlinks":
            out.mkdir()
            (base / "real").mkdir()
            for name in ("policy.json", "web.config", "corsc-api.conf", "policy.toml"):
                (out / name).symlink_to(base / "real" / name)
            (base / "out.txt").symlink_to("out.txt")  # a loop
        elif state == "out-device":
            (base / "out.txt").symlink_to("/dev/null")
            out.mkdir()
            (out / "policy.json").symlink_to("/dev/zero")
        elif state == "out-fifo":
            out.mkdir()
            for name in ("policy.json", "web.config", "corsc-api.conf"):
                os.mkfifo(out / name)
        elif state == "out-stale":
            out.mkdir()
            for name in ("corsc-old.conf", "corsc-old.http.conf", "mine.conf"):
                (out / name).write_text(
                    "# corsc 0.1.0 from policy.cors for target nginx; policy sha256:00; "
                    "generated — edit the policy, not this file\n"
                )
        elif state == "out-read-only":
            out.mkdir()
            out.chmod(0o555)
        elif state.startswith("merge-"):
            config = base / "web.config"
            if state == "merge-empty":
                config.write_bytes(b"")
            elif state == "merge-garbage":
                config.write_bytes(os.urandom(random.randint(0, 200)))
            elif state == "merge-config":
                config.write_text(
                    '<?xml version="1.0"?>\n<configuration><system.webServer/></configuration>\n'
                )
            else:
                fixtures = sorted((ROOT / "tests" / "fixtures").rglob("*.config"))
                if fixtures:
                    shutil.copy(random.choice(fixtures), config)


FS_STATES = [
    "fifo-input",
    "dir-input",
    "device-input",
    "hostile-name",
    "out-is-file",
    "out-parent-is-file",
    "out-has-dirs",
    "out-symlinks",
    "out-device",
    "out-fifo",
    "out-stale",
    "out-read-only",
]


class Hang(Exception):
    """A run that outlived ``--timeout``."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)

    def read(self) -> str:
        return self.buffer.read().decode("utf-8", "replace")

    def isatty(self) -> bool:
        return False


def run_case(
    argv: list[str], stdin: bytes, timeout: float
) -> tuple[int | None, BaseException | None]:
    """``main(argv)`` with captured streams: its exit code, or the exception that escaped."""
    from corsc import cli

    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = _Stdin(stdin)  # type: ignore[assignment]
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
        for text in (out.getvalue(), err.getvalue()):
            text.encode("utf-8")  # a real stream would fail to write what cannot be encoded
        return code, None
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2, None
    except BaseException as error:
        return None, error
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdin = saved


def root_of(error: BaseException | None, code: int | None) -> str:
    """Exception type and the innermost frame inside corsc: what one bug has in common."""
    if error is None:
        return f"exit {code}"
    frames = traceback.extract_tb(error.__traceback__)
    inner = [
        frame
        for frame in frames
        if f"{os.sep}corsc{os.sep}" in frame.filename
        or f"{os.sep}backends{os.sep}" in frame.filename
    ]
    where = inner[-1] if inner else (frames[-1] if frames else None)
    place = f"{Path(where.filename).name}:{where.lineno} in {where.name}" if where else "?"
    return f"{type(error).__name__} at {place}"


def worker(job: tuple[int, int, float, float, float]) -> dict[str, Any]:
    seed, runs, seconds, fs_rate, timeout = job
    os.environ["CORSC_DEBUG"] = "1"
    os.environ["NO_COLOR"] = "1"
    signal.signal(signal.SIGALRM, _alarm)
    rng = random.Random(seed)
    random.seed(seed)
    # A RAM file system when there is one: every run with files creates and removes some.
    memory = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    scratch = Path(tempfile.mkdtemp(prefix="corsc-fuzz-", dir=memory))
    runner = Runner(rng, scratch, fs_rate)
    roots: dict[str, dict[str, Any]] = {}
    done = 0
    codes: dict[str, int] = {}
    start = time.perf_counter()
    deadline = start + seconds if seconds else float("inf")
    try:
        while (not runs or done < runs) and time.perf_counter() < deadline:
            case = runner.case()
            argv = (
                runner.prepare(case)
                if case["fs"] or any(a.startswith("@/") for a in case["argv"])
                else case["argv"]
            )
            stdin = case["text"].encode("utf-8", "surrogatepass") if case["stdin"] else b""
            code, error = run_case(argv, stdin, timeout)
            done += 1
            codes[str(code)] = codes.get(str(code), 0) + 1
            if error is None and code != 70:
                continue
            if isinstance(error, Hang):
                key = "Hang"
            elif isinstance(error, KeyboardInterrupt):
                raise error
            else:
                key = root_of(error, code)
            entry = roots.setdefault(key, {"count": 0})
            entry["count"] += 1
            if entry["count"] == 1:
                entry["reproducer"] = save(key, case, error)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"runs": done, "seconds": time.perf_counter() - start, "roots": roots, "codes": codes}


def save(key: str, case: dict[str, Any], error: BaseException | None) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    path = RESULTS / f"crash-{digest}.json"
    text = case["text"].encode("utf-8", "surrogatepass")
    record = {
        "root": key,
        "argv": [
            base64.b64encode(a.encode("utf-8", "surrogateescape")).decode() for a in case["argv"]
        ],
        "argv_shown": [a.encode("utf-8", "backslashreplace").decode() for a in case["argv"]],
        "fs": case["fs"],
        "stdin": case["stdin"],
        "input_b64": base64.b64encode(text).decode(),
        "input_head": case["text"][:2000].encode("utf-8", "backslashreplace").decode(),
        "traceback": "".join(traceback.format_exception(error)) if error else "",
    }
    path.write_text(json.dumps(record, indent=2) + "\n")
    return str(path.relative_to(ROOT))


def replay(path: Path) -> None:
    """Run a saved reproducer again, showing its traceback (``--replay FILE``)."""
    record = json.loads(path.read_text())
    case = {
        "argv": [base64.b64decode(a).decode("utf-8", "surrogateescape") for a in record["argv"]],
        "text": base64.b64decode(record["input_b64"]).decode("utf-8", "surrogatepass"),
        "fs": record["fs"],
        "stdin": record["stdin"],
    }
    os.environ["CORSC_DEBUG"] = "1"
    signal.signal(signal.SIGALRM, _alarm)
    scratch = Path(tempfile.mkdtemp(prefix="corsc-replay-"))
    runner = Runner(random.Random(0), scratch, 0)
    argv = runner.prepare(case)
    print("argv:", argv)
    code, error = run_case(
        argv, case["text"].encode("utf-8", "surrogatepass") if case["stdin"] else b"", 60
    )
    if error is not None:
        traceback.print_exception(error)
    print("exit:", code)
    shutil.rmtree(scratch, ignore_errors=True)


def merge(results: list[dict[str, Any]], wall: float) -> dict[str, Any]:
    roots: dict[str, dict[str, Any]] = {}
    codes: dict[str, int] = {}
    for result in results:
        for key, entry in result["roots"].items():
            merged = roots.setdefault(key, {"count": 0, "reproducer": entry.get("reproducer")})
            merged["count"] += entry["count"]
        for code, count in result["codes"].items():
            codes[code] = codes.get(code, 0) + count
    runs = sum(result["runs"] for result in results)
    return {
        "runs": runs,
        "seconds": round(wall, 1),
        "runs_per_s": round(runs / wall, 1) if wall else 0,
        "workers": len(results),
        "crashes": sum(entry["count"] for entry in roots.values()),
        "distinct_crashes": len(roots),
        "exit_codes": dict(sorted(codes.items())),
        "roots": [{"root": key, **entry} for key, entry in sorted(roots.items())],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=0, help="total runs (0: until --seconds)")
    parser.add_argument("--seconds", type=float, default=0, help="wall-clock budget")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--fs-rate", type=float, default=0.05, help="share of runs with a file-system state"
    )
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="seconds before a run is a hang"
    )
    parser.add_argument("--replay", type=Path, help="run one saved reproducer and show it")
    args = parser.parse_args(argv)
    if args.replay:
        replay(args.replay)
        return 0
    if not args.runs and not args.seconds:
        args.runs = 1000
    share = -(-args.runs // args.workers) if args.runs else 0
    jobs = [
        (args.seed * 1000 + i, share, args.seconds, args.fs_rate, args.timeout)
        for i in range(args.workers)
    ]
    start = time.perf_counter()
    if args.workers == 1:
        results = [worker(jobs[0])]
    else:
        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            results = pool.map(worker, jobs)
    summary = merge(results, time.perf_counter() - start)
    print(json.dumps(summary))
    return 1 if summary["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
