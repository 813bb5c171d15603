"""Golden outputs per example and target: ``tests/golden/<target>/<example>.<file>``, or
``<example>.diagnostics.txt`` when the target refuses the example. Updated only on purpose:
``CORSC_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py``, then read the diff. How they
are compared (version and policy digest masked) is tests/goldens.py's."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from corsc import __version__, cli
from corsc.backends import EmitOptions, backends, check, validate_options
from corsc.diagnostics import Diagnostic, fails
from corsc.frontend import load
from corsc.render_text import render_text
from corsc.source import Source
from tests.goldens import DIGEST, GOLDEN, ROOT, check_golden, digests, golden_set, masked

EXAMPLES = sorted((ROOT / "examples").glob("*.cors"))
TARGETS = [backend.names[0] for backend in backends()]


def compile_example(example: Path, target: str) -> dict[str, str]:
    """What ``corsc compile examples/<example> --target <target>`` produces, by golden name."""
    loaded = load(Source(f"examples/{example.name}", example.read_text("utf-8")))
    assert loaded.policy_set is not None
    backend = next(b for b in backends() if b.names[0] == target)
    values, problems = validate_options(backend, [])
    assert not problems
    options = EmitOptions(__version__, example.name, target, values)
    diagnostics = sorted(
        [*loaded.diagnostics, *check(backend, loaded.policy_set, options)],
        key=Diagnostic.sort_key,
    )
    if fails(diagnostics):
        text = render_text(diagnostics, loaded.sources, color=False)
        return {f"{example.stem}.diagnostics.txt": text}
    return {
        f"{example.stem}.{item.name}": item.content
        for item in backend.emit(loaded.policy_set, options)
    }


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_golden(example: Path, target: str) -> None:
    check_golden(GOLDEN / target, example.stem, compile_example(example, target))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_every_output_names_a_well_formed_digest_once(example: Path, target: str) -> None:
    """The digest the golden comparison masks: one per output file, well formed, in the produced
    file and in its golden alike (diagnostics goldens have none)."""
    produced = compile_example(example, target)
    for name, content in [*produced.items(), *golden_set(GOLDEN / target, example.stem).items()]:
        found = digests(content)
        if name.endswith(".diagnostics.txt"):
            assert found == [], name
        else:
            assert len(found) == 1 and DIGEST.fullmatch(found[0]), (name, found)


def test_masking_hides_only_the_version_and_the_digest() -> None:
    line = "# corsc 9.9 from a.cors for target nginx; policy sha256:0123456789abcdef; generated\n"
    assert masked(line) == "# corsc * from a.cors for target nginx; policy sha256:*; generated\n"
    assert masked(line + "x") != masked(line + "y")
    assert masked(line.replace("nginx", "iis")) != masked(line)
    # Only the provenance line: a later line that looks like one is compared as it is.
    assert masked(line + line).endswith(line)


@pytest.mark.parametrize("target", TARGETS)
def test_same_input_same_bytes(target: str) -> None:
    assert EXAMPLES
    for example in EXAMPLES:
        assert compile_example(example, target) == compile_example(example, target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_an_example_a_target_expresses_compiles_there_under_strict(
    example: Path, target: str
) -> None:
    """The examples are what people copy: where a target can express one, nothing in it is
    likely a mistake, so ``corsc compile --strict`` succeeds (exit 0, no warning)."""
    if any(name.endswith(".diagnostics.txt") for name in compile_example(example, target)):
        return  # the target refuses it: its golden holds the error diagnostics
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["compile", str(example), "--target", target, "--strict", "--quiet"])
    assert code == 0, err.getvalue()
