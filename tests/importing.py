"""Helpers for the import tests: import a fixture, and what came of it."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from attrs import evolve
from browser import evaluator_server, fetch, script_request

from corsc import __version__
from corsc.backends import EmitOptions, check, get
from corsc.diagnostics import fails
from corsc.evaluate import Evaluator
from corsc.frontend import Loaded, load
from corsc.imports import Imported, import_source
from corsc.ir import PolicySet
from corsc.source import Source

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
GOLDEN = Path(__file__).resolve().parent / "golden"


def compiled(text: str, target: str) -> tuple[PolicySet, str] | None:
    """``text`` compiled for a target that writes one file: its policy set and that file's
    content, or ``None`` when the policy or the target refuses it."""
    loaded = load(Source("p.cors", text))
    if loaded.policy_set is None or loaded.has_errors:
        return None
    options = EmitOptions(__version__, "p.cors", target, {})
    backend = get(target)
    if fails(check(backend, loaded.policy_set, options)):
        return None
    (output,) = backend.emit(loaded.policy_set, options)
    return loaded.policy_set, output.content


def imported(path: Path, family: str | None = None) -> Imported:
    return import_source(Source(path.name, path.read_text("utf-8")), family)


def codes(result: Imported) -> list[str]:
    """The import's own codes (CORS7xx), in order of position."""
    return [item.code for item in result.diagnostics]


def policy_of(result: Imported) -> Loaded:
    """The imported policy, loaded; it always parses."""
    assert result.policy is not None
    loaded = load(Source("imported.cors", result.policy))
    assert loaded.policy_set is not None, result.policy
    return loaded


def nginx_outputs() -> list[tuple[str, Path, Path]]:
    """Each nginx output per policy, as (policy name, the part nginx reads in http{} or
    server{}, the part included where the policy applies), both variants."""
    found = []
    for first in sorted(GOLDEN.glob("nginx/*.http.conf")) + sorted(
        GOLDEN.glob("nginx/a2/*.server.conf")
    ):
        second = first.with_name(first.name.rsplit(".", 2)[0] + ".conf")
        found.append((first.name.split(".")[1].removeprefix("corsc-"), first, second))
    return found


def assembled(first: Path, second: Path) -> str:
    """The configuration nginx assembles from the two includes: the maps variant's first part
    at http level, the a2 variant's in the server block, the second in the server block."""
    if first.name.endswith(".http.conf"):
        return f"{first.read_text()}\nserver {{\n{second.read_text()}\n}}\n"
    return f"server {{\n{first.read_text()}\n{second.read_text()}\n}}\n"


def verdicts(
    original: PolicySet,
    back: PolicySet,
    requests: Iterable[tuple[str, str, tuple[tuple[str, str], ...], str]],
    *,
    reasons: bool = True,
    path: str = "/x",
) -> set[bool]:
    """Asserts that ``back`` gives every request (origin, method, headers, credentials mode)
    at ``path`` the browser verdict ``original`` gives (with the reason of a network error too
    when ``reasons``); returns the verdicts seen (whether the script could read the
    response)."""
    before, after = evaluator_server(Evaluator(original)), evaluator_server(Evaluator(back))
    seen = set()
    for origin, method, headers, credentials in requests:
        request = script_request(
            method, path, origin=origin, headers=headers, credentials=credentials
        )
        expected, got = fetch(before, request), fetch(after, request)
        if not reasons:
            expected, got = evolve(expected, reason=""), evolve(got, reason="")
        assert got == expected, (path, origin, method, headers, credentials)
        seen.add(expected.shared)
    return seen


def every(
    origins: Iterable[str], methods: Iterable[str], headers: Iterable[tuple[tuple[str, str], ...]]
) -> list[tuple[str, str, tuple[tuple[str, str], ...], str]]:
    """Each origin with each method, header set and credentials mode."""
    return [
        (origin, method, fields, credentials)
        for origin in origins
        for method in methods
        for fields in headers
        for credentials in ("include", "omit")
    ]


def ask(
    port: int, path: str, method: str, fields: Iterable[tuple[str, str]]
) -> tuple[int, list[tuple[str, str]]]:
    """A request to a server on 127.0.0.1:``port``: its status and headers (names lowercase),
    whatever the status."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    for name, value in fields:
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, headers = response.status, response.headers.items()
    except urllib.error.HTTPError as error:
        status, headers = error.code, error.headers.items()
    return status, [(name.lower(), value) for name, value in headers]
