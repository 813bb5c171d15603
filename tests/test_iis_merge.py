"""``--merge`` into existing web.config files (corsc.backends.iis_merge): realistic ones
(tests/fixtures/iis/), where only corsc's marked regions change and everything else survives
byte for byte; generated ones (self-closing containers, odd markup), which parse, keep the
user's tree and re-merge byte for byte; ``--check`` and the atomic write through the CLI."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.iis_merging import (
    COMPILED,
    FIXTURES,
    SPA,
    STAGING,
    TARGETS,
    documents,
    merge,
    merged_of,
    run,
    shape,
    user_tree,
)
from tests.iis_structure import parse

#: A corsc region as it sits in a file: the newline and indentation before it included.
_REGION = re.compile(
    r"\r?\n[ \t]*<!-- corsc:begin (?!vary )[^>]*-->.*?<!-- corsc:end [^>]*-->", re.S
)


_VARY = re.compile(
    r'<!-- corsc:begin vary appended="(?P<appended>[^"]*)" -->\r?\n[ \t]*'
    r"(?P<element><add [^>]*?)(?P=appended)(?P<rest>\"[^>]*>)\r?\n[ \t]*<!-- corsc:end vary -->",
    re.S,
)


def outside_regions(text: str) -> str:
    """The text with corsc's regions taken out (written independently of the merge code): a
    plain region with the line it starts; a vary region by unwrapping its element and
    dropping the members corsc appended."""
    text = _VARY.sub(lambda m: m.group("element") + m.group("rest"), text)
    return _REGION.sub("", text)


CASES = [
    (fixture.name, policy, target)
    for fixture in sorted(FIXTURES.glob("*.config"))
    for policy in (SPA, STAGING)
    for target in TARGETS
    if not (policy is STAGING and target == "iis-headers")  # refused: not static
]


@pytest.mark.parametrize(
    ("fixture", "policy", "target"), CASES, ids=lambda v: getattr(v, "stem", v)
)
def test_merge_preserves_everything_else_and_is_idempotent(
    fixture: str, policy: Path, target: str
) -> None:
    original = (FIXTURES / fixture).read_bytes()
    merged = merge(policy, target, original)
    assert isinstance(merged, str), merged
    text = original.decode("utf-8")
    assert outside_regions(merged) == outside_regions(text)
    assert merged != text
    root = parse(merged.removeprefix("\ufeff"))
    assert root.tag == "configuration"
    assert len(list(root.iter("cors"))) == (1 if target == "iis" else 0)
    again = merge(policy, target, merged.encode("utf-8"))
    assert again == merged
    if text.startswith("\ufeff"):
        assert merged.startswith("\ufeff") and not merged[1:].startswith("\ufeff")
    if "\r\n" in text:
        assert "\n" not in merged.replace("\r\n", "")


def test_fixtures_are_what_they_claim() -> None:
    """Guard against a checkout that converted line endings or dropped the BOM."""
    raw = (FIXTURES / "crlf-bom.config").read_bytes()
    assert (
        raw.startswith(b"\xef\xbb\xbf")
        and b"\r\n" in raw
        and b"\n" not in raw.replace(b"\r\n", b"")
    )


def test_aspnetcore_file_gets_cors_under_location_dot() -> None:
    merged = merge(STAGING, "iis", (FIXTURES / "aspnetcore.config").read_bytes())
    assert isinstance(merged, str)
    root = parse(merged)
    assert root.find("system.webServer") is None
    server = root.find("location[@path='.']/system.webServer")
    assert server is not None and server.find("cors") is not None
    assert server.find("handlers/add[@name='aspNetCore']") is not None


def test_rewrite_rules_go_before_the_users_rules() -> None:
    merged = merge(STAGING, "iis-rewrite", (FIXTURES / "static-rewrite.config").read_bytes())
    assert isinstance(merged, str)
    names = [
        rule.get("name") for rule in parse(merged).iterfind("system.webServer/rewrite/rules/rule")
    ]
    assert names[0].startswith("corsc-") and names[-2:] == ["Redirect to HTTPS", "SPA fallback"]


def test_cli_merge_check_and_second_run(tmp_path: Path) -> None:
    for fixture in ("headers-comments.config", "crlf-bom.config"):
        path = tmp_path / fixture
        path.write_bytes((FIXTURES / fixture).read_bytes())
        assert run("--merge", str(path), "--check") == 3
        assert path.read_bytes() == (FIXTURES / fixture).read_bytes()
        assert run("--merge", str(path)) == 0
        written = path.read_bytes()
        assert run("--merge", str(path), "--check") == 0
        assert run("--merge", str(path)) == 0
        assert path.read_bytes() == written
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "crlf-bom.config",
        "headers-comments.config",
    ]


def test_cli_merge_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure before the rename leaves the old file whole and no temporary file behind."""
    path = tmp_path / "web.config"
    path.write_bytes((FIXTURES / "aspnetcore.config").read_bytes())
    os.chmod(path, 0o640)

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    assert run("--merge", str(path)) != 0
    assert path.read_bytes() == (FIXTURES / "aspnetcore.config").read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["web.config"]
    monkeypatch.undo()
    assert run("--merge", str(path)) == 0
    assert os.stat(path).st_mode & 0o777 == 0o640


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents(), compiled=st.sampled_from(COMPILED))
def test_merge_of_generated_documents_parses_preserves_and_is_idempotent(
    document: bytes, compiled: tuple[Path, str]
) -> None:
    merged = merged_of(*compiled, document)
    assert merged.text is not None, merged.diagnostics
    assert merged.diagnostics == ()
    text = merged.text
    root = parse(text.removeprefix("\ufeff"))  # a real (defused) XML parser
    assert root.tag == "configuration"
    original = document.decode("utf-8")
    assert shape(user_tree(text)) == shape(user_tree(original))
    prolog = original[: original.index("<configuration")]
    assert text.startswith(prolog) and not text[len(prolog) :].startswith("\ufeff")
    if "\r\n" in original:  # corsc writes CRLF only: bare newlines are the user's
        assert text.replace("\r\n", "").count("\n") == original.replace("\r\n", "").count("\n")
    again = merged_of(*compiled, text.encode("utf-8"))
    assert again.text == text and again.diagnostics == ()


#: Inner parts of ``<configuration><system.webServer>…`` (or whole documents).
SELF_CLOSING = [
    "<configuration/>",
    "<configuration><system.webServer /></configuration>",
    '<configuration><location path="."><system.webServer /></location></configuration>',
    '<configuration><location path="api"/>'
    '<location path="v2"><system.webServer/></location></configuration>',
    "<rewrite/>",
    "<rewrite><rules/><outboundRules/></rewrite>",
    "<httpProtocol/>",
    "<httpProtocol><customHeaders/></httpProtocol>",
    "<handlers/><modules/>",
]


@pytest.mark.parametrize("document", SELF_CLOSING)
@pytest.mark.parametrize(("policy", "target"), COMPILED, ids=lambda v: getattr(v, "stem", v))
def test_self_closing_containers_are_opened_once(document: str, policy: Path, target: str) -> None:
    if not document.startswith("<configuration"):
        document = f"<configuration><system.webServer>{document}</system.webServer></configuration>"
    merged = merged_of(policy, target, document.encode())
    assert merged.text is not None
    root = parse(merged.text)
    for path, server in [(None, root.find("system.webServer"))] + [
        (location.get("path"), location.find("system.webServer"))
        for location in root.iter("location")
    ]:
        if server is not None:
            assert [c.tag for c in server].count("httpProtocol") <= 1, path
            assert [c.tag for c in server].count("rewrite") <= 1, path
    assert merged_of(policy, target, merged.text.encode()).text == merged.text


UNEXPECTED_BUT_VALID = [
    "<configuration><a>" + "<b>" * 3000 + "</b>" * 3000 + "</a></configuration>",
    '<configuration xmlns="http://schemas.microsoft.com/.NetConfiguration/v2.0"/>',
    "<configuration\n\t>\n<system.webServer\n/>\n</configuration\n>",
    '<configuration><location><system.webServer><handlers x="a&gt;b"/></system.webServer>'
    "</location></configuration>",
    '<configuration><location path=""><system.webServer/></location></configuration>',
    '<configuration><location path="API/"><system.webServer><httpProtocol><customHeaders>'
    '<add name="Vary" value=""/></customHeaders></httpProtocol></system.webServer></location>'
    "</configuration>",
    "<configuration><system.webServer>text &amp; <![CDATA[<cors/>]]> more</system.webServer>"
    "</configuration>",
    '<?xml version="1.0" standalone="yes"?><?tool x?><configuration><!----></configuration>',
    "<configuration><system.webServer><httpProtocol><customHeaders>"
    "<add name='Vary' value='a,&#10;b'/></customHeaders></httpProtocol></system.webServer>"
    "</configuration>",
]


@pytest.mark.parametrize("document", UNEXPECTED_BUT_VALID, ids=range(len(UNEXPECTED_BUT_VALID)))
@pytest.mark.parametrize(("policy", "target"), COMPILED, ids=lambda v: getattr(v, "stem", v))
def test_unexpected_but_valid_files_merge(document: str, policy: Path, target: str) -> None:
    merged = merged_of(policy, target, document.encode())
    assert merged.text is not None and merged.diagnostics == ()
    parse(merged.text)
    assert shape(user_tree(merged.text)) == shape(user_tree(document))
    assert merged_of(policy, target, merged.text.encode()).text == merged.text
