"""``--merge`` into realistic existing web.config files (tests/fixtures/iis/): only corsc's
marked regions change; everything else survives byte for byte; a second run changes nothing;
bad files are refused and left untouched; ``--check`` and the atomic write through the CLI."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from corsc import cli
from corsc.backends import EmitOptions, get
from corsc.diagnostics import Diagnostic
from corsc.frontend import load
from corsc.source import Source
from tests.iis_structure import parse

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "iis"
SPA = ROOT / "examples" / "spa-localhost.cors"
STAGING = ROOT / "examples" / "production-staging.cors"
TARGETS = ("iis", "iis-headers", "iis-rewrite")

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


def merge(policy: Path, target: str, existing: bytes) -> str | Diagnostic:
    backend = get(target)
    loaded = load(Source(policy.name, policy.read_text("utf-8")))
    assert loaded.policy_set is not None
    options = EmitOptions("0.1.0", policy.name, target, {})
    files = backend.emit(loaded.policy_set, options)
    merged = backend.merge(existing, files, options, "web.config")  # type: ignore[attr-defined]
    if merged.text is None:
        return merged.diagnostics[0]
    return merged.text


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


def test_user_vary_keeps_its_value_with_origin_merged_in() -> None:
    original = (FIXTURES / "headers-comments.config").read_bytes()
    for target in ("iis-headers", "iis-rewrite"):
        merged = merge(SPA, target, original)
        assert isinstance(merged, str)
        headers = parse(merged).find("system.webServer/httpProtocol/customHeaders")
        assert headers is not None
        vary = [e for e in headers if e.tag == "add" and e.get("name", "").lower() == "vary"]
        assert [e.get("value") for e in vary] == ["Accept-Encoding, Origin"]
        assert headers[0].tag == "clear"  # corsc's headers come after the user's <clear/>
        assert "<!-- security headers -->" in merged and "SEC-1142" in merged


def test_older_corsc_section_is_replaced_not_duplicated() -> None:
    merged = merge(SPA, "iis", (FIXTURES / "older-corsc.config").read_bytes())
    assert isinstance(merged, str)
    assert "old.example.com" not in merged and "0.0.9" not in merged
    assert merged.count("corsc:begin iis cors") == 1
    origins = [e.get("origin") for e in parse(merged).iter("add") if e.get("origin")]
    assert origins == ["https://localhost:3000"]


def test_switching_targets_takes_the_old_regions_out() -> None:
    original = (FIXTURES / "headers-comments.config").read_bytes()
    first = merge(SPA, "iis-rewrite", original)
    assert isinstance(first, str)
    second = merge(SPA, "iis-headers", first.encode("utf-8"))
    assert second == merge(SPA, "iis-headers", original)


def test_rewrite_rules_go_before_the_users_rules() -> None:
    merged = merge(STAGING, "iis-rewrite", (FIXTURES / "static-rewrite.config").read_bytes())
    assert isinstance(merged, str)
    names = [
        rule.get("name") for rule in parse(merged).iterfind("system.webServer/rewrite/rules/rule")
    ]
    assert names[0].startswith("corsc-") and names[-2:] == ["Redirect to HTTPS", "SPA fallback"]


def test_an_unmarked_cors_section_is_owned_by_the_module_target() -> None:
    text = (
        '<?xml version="1.0"?>\n<configuration>\n  <system.webServer>\n'
        '    <cors enabled="true">\n      <add origin="*" />\n    </cors>\n'
        "  </system.webServer>\n</configuration>\n"
    )
    merged = merge(SPA, "iis", text.encode())
    assert isinstance(merged, str)
    assert len(list(parse(merged).iter("cors"))) == 1 and 'origin="*"' not in merged


@pytest.mark.parametrize(
    "content",
    [
        b"<configuration><system.webServer></configuration>",
        b"\xff\xfe<\x00c\x00",
        b'<?xml version="1.0"?><notconfig/>',
        b'<!DOCTYPE configuration [<!ENTITY a "b">]><configuration/>',
        b"",
    ],
    ids=["unclosed", "not-utf8", "wrong-root", "doctype", "empty"],
)
def test_bad_files_are_refused(content: bytes) -> None:
    result = merge(SPA, "iis", content)
    assert isinstance(result, Diagnostic)
    assert result.code == "CORS616" and "not changed" in result.help


# ---- through the command line -----------------------------------------------------------------


def run(*args: str) -> int:
    return cli.main(["compile", str(SPA), "--target", "iis", *args])


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


def test_cli_malformed_file_exits_2_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "web.config"
    path.write_bytes(b"<configuration>\n  <system.webServer>\n</configuration>\n")
    before = path.read_bytes()
    assert run("--merge", str(path)) == 2
    assert path.read_bytes() == before
    assert "CORS616" in capsys.readouterr().err
    assert run("--merge", str(tmp_path / "missing.config")) == 2


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
