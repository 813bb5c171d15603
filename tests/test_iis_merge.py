"""``--merge`` into existing web.config files: realistic ones (tests/fixtures/iis/), where only
corsc's marked regions change and everything else survives byte for byte; generated ones
(self-closing containers, odd markup), which parse, keep the user's tree and re-merge byte for
byte; malformed or mutated ones, refused with CORS616 at their line, never an exception;
hand-written CORS handling (tests/fixtures/iis-handwritten/ and a table of variants), taken
over with CORS640 or refused with CORS641; the site's ``Vary`` in every scope corsc writes;
``--check``, ``--strict`` and the atomic write through the CLI."""

from __future__ import annotations

import functools
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsc import cli
from corsc.backends import EmitOptions, Merged, MergingBackend, OutputFile, get
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


@functools.cache
def emitted(policy: Path, target: str) -> tuple[OutputFile, ...]:
    loaded = load(Source(policy.name, policy.read_text("utf-8")))
    assert loaded.policy_set is not None
    return tuple(get(target).emit(loaded.policy_set, _options(policy, target)))


def _options(policy: Path, target: str) -> EmitOptions:
    return EmitOptions("0.1.0", policy.name, target, {})


def merged_of(policy: Path, target: str, existing: bytes) -> Merged:
    """``--merge`` through the target's backend, as the command line calls it."""
    backend = get(target)
    assert isinstance(backend, MergingBackend)
    files = list(emitted(policy, target))
    return backend.merge(existing, files, _options(policy, target), "web.config")


def merge(policy: Path, target: str, existing: bytes) -> str | Diagnostic:
    merged = merged_of(policy, target, existing)
    return merged.diagnostics[0] if merged.text is None else merged.text


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


# ---- generated documents: self-closing containers, odd markup, idempotence -------------------


API = ROOT / "examples" / "api.cors"

#: (policy, target) pairs that compile; api.cors has path-scoped policies (``<location>``).
COMPILED = [(SPA, target) for target in TARGETS] + [(STAGING, "iis"), (API, "iis-rewrite")]


#: Children each element corsc touches may hold (leaves are user entries corsc never owns).
CHILDREN: dict[str, tuple[str, ...]] = {
    "configuration": ("system.webServer", "location", "appSettings"),
    "location": ("system.webServer",),
    "system.webServer": ("httpProtocol", "handlers", "modules", "rewrite", "staticContent"),
    "httpProtocol": ("customHeaders",),
    "customHeaders": ("header", "clear", "vary"),
    "handlers": ("handler",),
    "modules": ("module",),
    "rewrite": ("rules", "outboundRules"),
    "rules": ("rule", "clear"),
    "outboundRules": ("outbound",),
}
LEAVES: dict[str, tuple[str, dict[str, str]]] = {
    "appSettings": ("appSettings", {}),
    "staticContent": ("staticContent", {}),
    "header": ("add", {"name": "X-Frame-Options", "value": "DENY & more"}),
    "clear": ("clear", {}),
    "vary": ("add", {"name": "Vary", "value": "Accept-Encoding"}),
    "handler": (
        "add",
        {"name": "aspNetCore", "path": "*", "verb": "*", "modules": "AspNetCoreModuleV2"},
    ),
    "module": ("remove", {"name": "WebDAVModule"}),
    "rule": ("rule", {"name": 'SPA "fallback"', "stopProcessing": "true"}),
    "outbound": ("rule", {"name": "Strip server", "preCondition": "html"}),
}


@st.composite
def attribute_text(draw: st.DrawFn, attributes: dict[str, str]) -> str:
    """Attributes in odd but valid spellings: either quote, spaces or newlines around ``=``,
    references for the characters that need (or may use) them."""
    parts = []
    for name, value in attributes.items():
        quote = draw(st.sampled_from(['"', "'"]))
        escaped = value.replace("&", "&amp;").replace("<", "&lt;")
        escaped = escaped.replace(quote, "&quot;" if quote == '"' else "&apos;")
        if draw(st.booleans()):
            escaped = escaped.replace(">", "&gt;")
        space = draw(st.sampled_from([" ", "\n\t", "  "]))
        around = draw(st.sampled_from(["", " ", "\t"]))
        parts.append(f"{space}{name}{around}={around}{quote}{escaped}{quote}")
    return "".join(parts)


MISC = st.sampled_from(
    [
        "<!-- a note > with markup-like text <x/> -->",
        "<!---->",
        "<?iis-tool hint='1'?>",
        "<![CDATA[ <not-an-element/> & ]]>",
    ]
)


#: Hand-written CORS handling a generated document may carry, by container.
LEFTOVERS: dict[str, tuple[str, ...]] = {
    "customHeaders": ("aca",),
    "handlers": ("options-remove",),
    "outboundRules": ("outbound-aca",),
}
ACA_NAMES = st.sampled_from(
    [
        "Access-Control-Allow-Origin",
        "access-control-allow-origin",
        "ACCESS-CONTROL-MAX-AGE",
        " Access-Control-Allow-Credentials",
    ]
)


@st.composite
def element_text(
    draw: st.DrawFn, kind: str, depth: int, nl: str, unit: str, leftovers: bool = False
) -> str:
    indent = unit * depth
    if kind == "aca":
        return f"{indent}<add{draw(attribute_text({'name': draw(ACA_NAMES), 'value': '*'}))} />"
    if kind == "options-remove":
        return f'{indent}<remove name="OPTIONSVerbHandler"/>'
    if kind == "outbound-aca":
        return (
            f'{indent}<rule name="cors">'
            '<match serverVariable="RESPONSE_Access_Control_Allow_Origin" pattern=".*" />'
            '<action type="Rewrite" value="*" /></rule>'
        )
    if kind in LEAVES:
        tag, attributes = LEAVES[kind]
        end = draw(st.sampled_from(["/>", " />", f"></{tag}>"]))
        return f"{indent}<{tag}{draw(attribute_text(attributes))}{end}"
    attributes = {}
    if kind == "location":
        attributes["path"] = draw(st.sampled_from([".", "api", "/API/", "v2", "static"]))
    tag = kind
    start = f"<{tag}{draw(attribute_text(attributes))}"
    choices = CHILDREN[kind] + (LEFTOVERS.get(kind, ()) if leftovers else ())
    kinds = draw(st.lists(st.sampled_from(choices), max_size=3 if depth < 4 else 0))
    misc = draw(st.lists(MISC, max_size=1))
    if not kinds and not misc:
        return (
            indent
            + start
            + draw(st.sampled_from(["/>", " />", "\t/>", f"></{tag}>", f">{nl}{indent}</{tag}>"]))
        )
    inner = [draw(element_text(child, depth + 1, nl, unit, leftovers)) for child in kinds]
    for item in misc:
        inner.insert(draw(st.integers(0, len(inner))), unit * (depth + 1) + item)
    body = "".join(nl + line for line in inner)
    return f"{indent}{start}>{body}{nl}{indent}</{tag}>"


@st.composite
def documents(draw: st.DrawFn, leftovers: bool = False) -> bytes:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    unit = draw(st.sampled_from(["  ", "    ", "\t"]))
    prolog = draw(
        st.sampled_from(["", '<?xml version="1.0" encoding="utf-8"?>', "<?xml version='1.0'?>"])
    )
    bom = draw(st.sampled_from(["", "\ufeff"]))
    head = draw(st.sampled_from(["", "<!-- site config -->" + nl]))
    body = draw(element_text("configuration", 0, nl, unit, leftovers))
    return (bom + (prolog + nl if prolog else "") + head + body + nl).encode("utf-8")


_PARSER_OPTIONS = {"insert_comments": True, "insert_pis": True}


def user_tree(text: str) -> ET.Element:
    """The parsed document with corsc's regions taken out (independently of the merge code):
    a region's nodes dropped (their tails kept), a ``vary`` region's markers dropped and the
    members it appended cut from the value it wraps."""
    parser = ET.XMLParser(target=ET.TreeBuilder(**_PARSER_OPTIONS))
    root = ET.fromstring(text.removeprefix("\ufeff"), parser=parser)
    for parent in root.iter():
        kept: list[ET.Element] = []
        dropping, appended = False, None
        for child in list(parent):
            comment = (child.text or "").strip() if child.tag is ET.Comment else ""
            if comment.startswith("corsc:begin"):
                found = re.match(r'corsc:begin vary appended="([^"]*)"', comment)
                appended, dropping = (found.group(1), False) if found else (None, True)
            elif comment.startswith("corsc:end"):
                dropping = False
            elif not dropping:
                if appended is not None:
                    value = child.get("value", "")
                    assert value.endswith(appended)
                    child.set("value", value[: -len(appended)])
                    appended = None
                kept.append(child)
                continue
            tail = child.tail or ""
            if kept:
                kept[-1].tail = (kept[-1].tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
            parent.remove(child)
    return root


def shape(root: ET.Element) -> list[object]:
    """A tree as comparable data, node by node in document order: depth, tag, attributes,
    text and tail with white space runs collapsed (a stack: some trees are deep)."""

    def words(value: str | None) -> str:
        return " ".join((value or "").split())

    found: list[object] = []
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else str(node.tag)
        found.append((depth, tag, sorted(node.attrib.items()), words(node.text), words(node.tail)))
        stack.extend((child, depth + 1) for child in reversed(node))
    return found


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


# ---- malformed or unexpected input: a CORS616 diagnostic with the line, never an exception ----

BROKEN = [
    ("<configuration/></a></b>", 1, "not well-formed"),
    ("<configuration>\n  <system.webServer>\n</configuration>\n", 3, "mismatched tag"),
    ('<configuration>\n<add name="a" name="b"/>\n</configuration>', 2, "duplicate attribute"),
    ("<configuration>\n  &nbsp;\n</configuration>", 2, "undefined entity"),
    (
        '<!DOCTYPE configuration [\n<!ENTITY a "b">\n]>\n<configuration>&a;</configuration>',
        1,
        "DOCTYPE",
    ),
    (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
        "<configuration>&lol2;</configuration>",
        2,
        "DOCTYPE",
    ),
    ('<!DOCTYPE configuration SYSTEM "http://example.com/x.dtd">\n<configuration/>', 1, "DOCTYPE"),
    ("<configuration>\n<a>\x01</a></configuration>", 2, "not well-formed"),
    ("<configuration><!-- a -- b --></configuration>", 1, "not well-formed"),
    ("<configuration/><configuration/>", 1, "junk after document element"),
    ("   ", 1, "no element found"),
    ("<configuration>\n  <system.webServer>", 2, "no element found"),
    ('<?xml version="1.0"?>\n<notconfig/>', 1, "root element is not <configuration>"),
    ('<?xml version="1.0" encoding="utf-16"?>\n<configuration/>', 1, 'encoding="utf-16"'),
    ('<?xml version="1.0" encoding="ISO-8859-1"?><configuration/>', 1, "as UTF-8"),
    ("<?xml version='1.0' encoding='windows-1252'?>\n<configuration/>", 1, "windows-1252"),
]


@pytest.mark.parametrize("encoding", ["utf-8", "UTF-8", "utf8", "Utf_8"])
def test_a_utf8_declaration_merges(encoding: str) -> None:
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n<configuration/>\n'
    assert merged_of(SPA, "iis", text.encode("utf-8")).text is not None


@pytest.mark.parametrize(("text", "line", "words"), BROKEN)
@pytest.mark.parametrize("target", TARGETS)
def test_malformed_files_get_cors616_at_their_line(
    text: str, line: int, words: str, target: str
) -> None:
    merged = merged_of(SPA, target, text.encode("utf-8"))
    assert merged.text is None
    [diagnostic] = merged.diagnostics
    assert diagnostic.code == "CORS616" and diagnostic.name == "iis-merge-unreadable"
    assert diagnostic.message.startswith("cannot merge into web.config: ")
    assert words in diagnostic.message
    assert diagnostic.span.start.line == line
    assert diagnostic.help == (
        "fix the file (or compile with -o to write a new web.config); it was not changed"
    )


def test_a_vary_header_without_a_value_is_overridden_not_a_crash() -> None:
    document = (
        "<configuration>\n  <system.webServer>\n    <httpProtocol>\n      <customHeaders>\n"
        '        <add name="Vary" />\n      </customHeaders>\n    </httpProtocol>\n'
        "  </system.webServer>\n</configuration>\n"
    )
    for target in TARGETS:
        merged = merged_of(SPA, target, document.encode())
        assert merged.text is not None and merged.diagnostics == ()
        headers = effective_headers(parse(merged.text), None)
        assert headers["vary"] == "Origin"
        assert merged_of(SPA, target, merged.text.encode()).text == merged.text


def effective_headers(root: ET.Element, path: str | None) -> dict[str, str]:
    """The custom headers IIS sends under ``<location path>`` (``None``: the site root): the
    site root's collection, then the location's, each applying add/remove/clear in order."""
    headers: dict[str, str] = {}
    scopes = [root.find("system.webServer")]
    if path is not None:
        scopes += [
            location.find("system.webServer")
            for location in root.iter("location")
            if (location.get("path") or "").strip("/").lower() == path
        ]
    for server in scopes:
        collection = None if server is None else server.find("httpProtocol/customHeaders")
        for entry in [] if collection is None else list(collection):
            name = (entry.get("name") or "").lower()
            if entry.tag == "clear":
                headers.clear()
            elif entry.tag == "remove":
                headers.pop(name, None)
            elif entry.tag == "add":
                headers[name] = entry.get("value", "")
    return headers


MUTATIONS = st.sampled_from(
    [
        "</a>",
        "<b>",
        "</configuration>",
        "<configuration/>",
        "&foo;",
        "&#0;",
        "&#x110000;",
        "&amp;",
        '<!DOCTYPE x [<!ENTITY a "b">]>',
        "<?pi x?>",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        '"',
        "'",
        ' name="x" name="y"',
        "\x00",
        "\ufeff",
        "<",
        ">",
        "/>",
        "\r\n",
        "\t",
        "<!-- corsc:begin iis cors -->",
        "<!-- corsc:end iis cors -->",
        '<!-- corsc:begin vary appended=", Origin" -->',
        "<!-- corsc:end vary -->",
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    fixture = draw(st.sampled_from(sorted(FIXTURES.glob("*.config"))))
    text = fixture.read_bytes().decode("utf-8")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        operation = draw(st.sampled_from(["insert", "truncate", "delete", "duplicate"]))
        if operation == "insert":
            text = text[:at] + draw(MUTATIONS) + text[at:]
        elif operation == "truncate":
            text = text[:at]
        else:
            end = draw(st.integers(at, min(len(text), at + 80)))
            text = text[:at] + (text[at:end] * 2 if operation == "duplicate" else "") + text[end:]
    return text.encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=mutated(), compiled=st.sampled_from(COMPILED))
def test_mutated_files_merge_cleanly_or_get_a_diagnostic(
    document: bytes, compiled: tuple[Path, str]
) -> None:
    merged = merged_of(*compiled, document)
    if merged.text is None:
        assert merged.diagnostics and all(
            item.code in ("CORS616", "CORS641") for item in merged.diagnostics
        )
        assert any(item.severity.value == "error" for item in merged.diagnostics)
        return
    parse(merged.text.removeprefix("\ufeff"))
    again = merged_of(*compiled, merged.text.encode("utf-8"))
    assert again.text == merged.text and again.diagnostics == ()


def _spa_headers(inner: str) -> bytes:
    return (
        "<configuration>\n  <system.webServer>\n    <httpProtocol>\n      <customHeaders>\n"
        f"{inner}"
        '        <add name="X-Frame-Options" value="DENY" />\n'
        "      </customHeaders>\n    </httpProtocol>\n  </system.webServer>\n</configuration>\n"
    ).encode()


@pytest.mark.parametrize(
    "inner",
    [
        "        <!-- corsc:begin stray -->\n",
        "        <!-- corsc:end iis-headers headers -->\n",
        "        <!-- corsc:begin iis headers -->\n        <!-- corsc:end iis cors -->\n",
        "        <!-- corsc:begin a -->\n        <!-- corsc:begin b -->\n"
        "        <!-- corsc:end b -->\n        <!-- corsc:end a -->\n",
        '        <!-- corsc:begin vary appended=", Origin" -->\n        <!-- corsc:end vary -->\n',
        '        <!-- corsc:begin vary appended=", Origin" -->\n        <add name="A" value="1"'
        " />\n"
        '        <add name="Vary" value="x, Origin" />\n        <!-- corsc:end vary -->\n',
    ],
    ids=["begin-alone", "end-alone", "names-differ", "nested", "vary-empty", "vary-two"],
)
@pytest.mark.parametrize("target", TARGETS)
def test_damaged_markers_are_refused_so_no_user_entry_is_lost(inner: str, target: str) -> None:
    merged = merged_of(SPA, target, _spa_headers(inner))
    assert merged.text is None
    [diagnostic] = merged.diagnostics
    assert (
        diagnostic.code == "CORS616" and "has no partner in the same element" in diagnostic.message
    )
    assert diagnostic.span.start.line == 5


def test_comments_that_merely_mention_corsc_are_the_users() -> None:
    inner = "        <!-- corsc:beginning of the headers -->\n        <!-- see corsc:end -->\n"
    merged = merged_of(SPA, "iis-headers", _spa_headers(inner))
    assert merged.text is not None and inner in merged.text
    assert merged_of(SPA, "iis-headers", merged.text.encode()).text == merged.text


# ---- hand-written CORS handling beside corsc's: taken over (CORS640) or refused (CORS641) ----

HANDWRITTEN = ROOT / "tests" / "fixtures" / "iis-handwritten"

#: fixture → the start of each line corsc must take over (found in the file, so the expected
#: line numbers are the file's own).
TAKEN_OVER = {
    "webapi-classic.config": [
        '<add name="Access-Control-Allow-Origin" value="*" />',
        '<add name="Access-Control-Allow-Headers"',
        '<add name="Access-Control-Allow-Methods"',
        '<remove name="OPTIONSVerbHandler" />',
    ],
    "several-origins.config": [
        '<add name="access-control-allow-origin" value="https://a.com, https://b.com" />',
        '<add name="Access-Control-Allow-Credentials"',
        '<rule name="CORS Preflight Anonymous Authentication"',
        '<rule name="AddCrossDomainHeader">',
        '<add name="Access-Control-Expose-Headers"',
    ],
    "cors-module.config": ['<cors enabled="true" failUnlistedOrigins="true">'],
}


def _line_of(text: str, start: str) -> int:
    [line] = [n for n, row in enumerate(text.splitlines(), 1) if row.strip().startswith(start)]
    return line


def user_cors_handling(text: str) -> list[str]:
    """Every piece of CORS handling in a document that is not corsc's (written apart from the
    merge code): Access-Control-* custom headers, <cors>, OPTIONS handlers, rewrite rules on
    Access-Control-* or OPTIONS."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring(text.removeprefix("\ufeff"), parser=parser)
    found: list[str] = []

    def visit(parent: ET.Element) -> None:
        dropping = False
        for child in parent:
            text = (child.text or "").strip() if child.tag is ET.Comment else ""
            if text.startswith("corsc:begin") and not text.startswith("corsc:begin vary"):
                dropping = True
            elif text.startswith("corsc:end"):
                dropping = False
            if dropping or not isinstance(child.tag, str):
                continue
            name = (child.get("name") or "").lower()
            written = ET.tostring(child, encoding="unicode").lower()
            if parent.tag == "customHeaders" and name.startswith("access-control-"):
                found.append(name)
            elif child.tag == "cors" or name == "optionsverbhandler":
                found.append(child.tag + " " + name)
            elif child.tag == "rule" and ("access_control" in written or "options" in written):
                found.append("rule " + name)
            visit(child)

    visit(root)
    return found


@pytest.mark.parametrize("fixture", sorted(TAKEN_OVER))
@pytest.mark.parametrize(("policy", "target"), COMPILED, ids=lambda v: getattr(v, "stem", v))
def test_handwritten_cors_is_taken_over_line_by_line(
    fixture: str, policy: Path, target: str
) -> None:
    original = (HANDWRITTEN / fixture).read_bytes()
    text = original.decode("utf-8")
    assert user_cors_handling(text)  # the fixture has what it claims
    merged = merged_of(policy, target, original)
    assert merged.text is not None, merged.diagnostics
    assert [(d.code, d.severity.value, d.span.start.line) for d in merged.diagnostics] == [
        ("CORS640", "warning", _line_of(text, start)) for start in TAKEN_OVER[fixture]
    ]
    assert all(
        d.message.endswith("; --merge removed it")
        and f"on line {d.span.start.line} of" in d.message
        for d in merged.diagnostics
    )
    parse(merged.text)
    assert user_cors_handling(merged.text) == []
    again = merged_of(policy, target, merged.text.encode())
    assert again.text == merged.text and again.diagnostics == ()


def test_takeover_message_names_the_header_and_the_line() -> None:
    merged = merged_of(SPA, "iis", (HANDWRITTEN / "webapi-classic.config").read_bytes())
    first = merged.diagnostics[0]
    assert first.name == "iis-merge-takeover"
    assert first.message == (
        "the custom header `Access-Control-Allow-Origin` on line 11 of web.config is "
        "hand-written CORS handling: IIS sends it beside the CORS headers corsc writes; "
        "--merge removed it"
    )
    assert first.help == (
        "corsc's output answers CORS for this site now: if that entry allowed something the "
        "policy does not, add it to the policy"
    )
    assert (first.span.start.column, first.span.end.line) == (9, 11)


def test_what_is_not_attributable_to_cors_stays() -> None:
    """runAllManagedModulesForAllRequests, the Web API handler with verb="*" and the
    X-Content-Type-Options header survive the takeover."""
    merged = merged_of(SPA, "iis-rewrite", (HANDWRITTEN / "webapi-classic.config").read_bytes())
    assert merged.text is not None
    root = parse(merged.text)
    modules = root.find("system.webServer/modules")
    assert modules is not None and modules.get("runAllManagedModulesForAllRequests") == "true"
    handlers = [(e.tag, e.get("name")) for e in root.iterfind("system.webServer/handlers/*")]
    assert ("add", "ExtensionlessUrlHandler-Integrated-4.0") in handlers
    assert ("remove", "TRACEVerbHandler") in handlers
    assert effective_headers(root, None)["x-content-type-options"] == "nosniff"
    assert effective_headers(root, None)["vary"] == "Accept-Encoding, Origin"


def site(inner: str, container: tuple[str, ...], location: str | None = None) -> str:
    """A web.config with ``inner`` (one element, possibly on several lines) in ``container``
    below system.webServer, at the site root or under ``<location path>``."""
    depth = 2 if location is None else 3
    lines = []
    for tag in ("system.webServer", *container):
        lines.append("  " * (depth - 1) + f"<{tag}>")
        depth += 1
    body = "\n".join("  " * (depth - 1) + row for row in inner.splitlines())
    closing = [
        "  " * (depth - 2 - i) + f"</{tag}>"
        for i, tag in enumerate(reversed(("system.webServer", *container)))
    ]
    block = "\n".join([*lines, body, *closing])
    if location is not None:
        block = f'  <location path="{location}">\n{block}\n  </location>'
    return f"<configuration>\n{block}\n</configuration>\n"


HEADERS = ("httpProtocol", "customHeaders")
HANDLERS = ("handlers",)
MODULES = ("modules",)
RULES = ("rewrite", "rules")
OUTBOUND = ("rewrite", "outboundRules")
ALL = frozenset(TARGETS)


def _rule(body: str, action: str = '<action type="CustomResponse" statusCode="204" />') -> str:
    head = '<rule name="hand" stopProcessing="true">\n  <match url=".*" />'
    return f"{head}\n{body}\n  {action}\n</rule>"


_OPTIONS = (
    '  <conditions>\n    <add input="{REQUEST_METHOD}" pattern="^OPTIONS$" />\n  </conditions>'
)
_SETS = (
    "  <serverVariables>\n"
    '    <set name="RESPONSE_Access_Control_Allow_Origin" value="*" />\n'
    "  </serverVariables>"
)

#: (id, element, container, location, targets that remove it, targets that refuse it); every
#: other target keeps it untouched and silent.
TAKEOVER_TABLE: list[
    tuple[str, str, tuple[str, ...], str | None, frozenset[str], frozenset[str]]
] = [
    (
        "acao-star",
        '<add name="Access-Control-Allow-Origin" value="*" />',
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "acao-lower",
        '<add name="access-control-allow-origin" value="https://a.com" />',
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "acao-upper",
        '<add name="ACCESS-CONTROL-ALLOW-ORIGIN" value="*" />',
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "acao-spaced",
        "<add name=' Access-Control-Allow-Origin ' value='*'/>",
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "acao-list",
        '<add name="Access-Control-Allow-Origin" value="https://a.com, https://b.com" />',
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "acac",
        '<add name="Access-Control-Allow-Credentials" value="true" />',
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "acam",
        '<add name="Access-Control-Allow-Methods" value="*" />',
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "acah",
        '<add name="Access-Control-Allow-Headers" value="*" />',
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "aceh",
        '<add name="Access-Control-Expose-Headers" value="X-Id" />',
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "acma",
        '<add name="Access-Control-Max-Age" value="86400" />',
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "acapn",
        '<add name="Access-Control-Allow-Private-Network" value="true" />',
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "remove-acao",
        '<remove name="Access-Control-Allow-Origin" />',
        HEADERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "acao-in-location",
        '<add name="Access-Control-Allow-Origin" value="*" />',
        HEADERS,
        "static",
        ALL,
        frozenset(),
    ),
    (
        "acao-in-location-dot",
        '<add name="Access-Control-Allow-Origin" value="*" />',
        HEADERS,
        ".",
        ALL,
        frozenset(),
    ),
    (
        "x-header",
        '<add name="X-Access-Control-Note" value="1" />',
        HEADERS,
        None,
        frozenset(),
        frozenset(),
    ),
    (
        "remove-options-handler",
        '<remove name="OPTIONSVerbHandler" />',
        HANDLERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "options-handler",
        '<add name="OPTIONSVerbHandler" path="*" verb="OPTIONS" modules="ProtocolSupportModule"'
        ' requireAccess="None" />',
        HANDLERS,
        None,
        ALL,
        frozenset(),
    ),
    (
        "options-only",
        '<add name="Preflight" path="*" verb="OPTIONS" modules="ProtocolSupportModule" />',
        HANDLERS,
        "api",
        ALL,
        frozenset(),
    ),
    (
        "options-app",
        '<add name="Preflight" path="*" verb="OPTIONS" type="MyApp.PreflightHandler" />',
        HANDLERS,
        None,
        frozenset(),
        ALL,
    ),
    (
        "cors-named-handler",
        '<add name="CorsHandler" path="*" verb="*" type="MyApp.Cors" />',
        HANDLERS,
        None,
        frozenset(),
        ALL,
    ),
    (
        "app-handler",
        '<add name="api" path="api/*" verb="GET,POST,OPTIONS" type="MyApp.Api" />',
        HANDLERS,
        None,
        frozenset(),
        frozenset(),
    ),
    (
        "extensionless",
        '<add name="ExtensionlessUrlHandler-Integrated-4.0" path="*." verb="*"'
        ' type="System.Web.Handlers.TransferRequestHandler" />',
        HANDLERS,
        None,
        frozenset(),
        frozenset(),
    ),
    (
        "remove-cors-module",
        '<remove name="CorsModule" />',
        MODULES,
        None,
        frozenset({"iis"}),
        frozenset(),
    ),
    (
        "cors-app-module",
        '<add name="CorsModule" type="MyApp.CorsModule, MyApp" />',
        MODULES,
        None,
        frozenset(),
        ALL,
    ),
    ("managed-modules", '<remove name="WebDAVModule" />', MODULES, None, frozenset(), frozenset()),
    (
        "cors-enabled",
        '<cors enabled="true">\n  <add origin="*" />\n</cors>',
        (),
        None,
        ALL,
        frozenset(),
    ),
    (
        "cors-enabled-location",
        '<cors enabled="true">\n  <add origin="*" />\n</cors>',
        (),
        "static",
        ALL,
        frozenset(),
    ),
    ("cors-disabled", '<cors enabled="false" />', (), None, frozenset({"iis"}), frozenset()),
    ("cors-disabled-elsewhere", '<cors enabled="false" />', (), "static", frozenset(), frozenset()),
    ("rule-options", _rule(_OPTIONS), RULES, None, ALL, frozenset()),
    (
        "rule-preflight-header",
        _rule(
            '  <conditions>\n    <add input="{HTTP_ACCESS_CONTROL_REQUEST_METHOD}" pattern=".+"'
            " />\n  </conditions>"
        ),
        RULES,
        None,
        ALL,
        frozenset(),
    ),
    ("rule-sets-acao", _rule(_SETS, '<action type="None" />'), RULES, None, ALL, frozenset()),
    (
        "rule-sets-and-rewrites",
        _rule(_SETS, '<action type="Rewrite" url="http://backend/{R:0}" />'),
        RULES,
        None,
        frozenset(),
        ALL,
    ),
    (
        "rule-options-redirect",
        _rule(_OPTIONS, '<action type="Redirect" url="/cors" />'),
        RULES,
        None,
        frozenset(),
        ALL,
    ),
    (
        "rule-negated-options",
        _rule(
            '  <conditions>\n    <add input="{REQUEST_METHOD}" pattern="^OPTIONS$"'
            ' negate="true" />\n  </conditions>',
            '<action type="Rewrite" url="/app" />',
        ),
        RULES,
        None,
        frozenset(),
        frozenset(),
    ),
    (
        "outbound-acao",
        '<rule name="AddCrossDomainHeader">\n'
        '  <match serverVariable="RESPONSE_Access_Control_Allow_Origin" pattern=".*" />\n'
        '  <action type="Rewrite" value="{HTTP_ORIGIN}" />\n</rule>',
        OUTBOUND,
        None,
        ALL,
        frozenset(),
    ),
    (
        "outbound-hyphens",
        '<rule name="h">\n  <match serverVariable="RESPONSE_Access-Control-Allow-Headers"'
        ' pattern=".*" />\n  <action type="Rewrite" value="*" />\n</rule>',
        OUTBOUND,
        None,
        ALL,
        frozenset(),
    ),
    (
        "outbound-server",
        '<rule name="s">\n  <match serverVariable="RESPONSE_Server" pattern=".*" />\n  <action'
        ' type="Rewrite" value="" />\n</rule>',
        OUTBOUND,
        None,
        frozenset(),
        frozenset(),
    ),
    (
        "native-cors-module-on",
        '<add name="CorsModule" />',
        MODULES,
        None,
        ALL - {"iis"},
        frozenset(),
    ),
    (
        "trace-and-options-blocked",
        _rule(
            '  <conditions>\n    <add input="{REQUEST_METHOD}" pattern="^(TRACE|OPTIONS)$" />\n'
            "  </conditions>",
            '<action type="CustomResponse" statusCode="405" />',
        ),
        RULES,
        None,
        frozenset(),
        ALL,
    ),
    (
        "options-lowercase-pattern",
        _rule(
            '  <conditions>\n    <add input="{request_method}" pattern="^options$" />\n'
            "  </conditions>"
        ),
        RULES,
        None,
        ALL,
        frozenset(),
    ),
    (
        "options-case-sensitive-miss",
        _rule(
            "  <conditions>\n"
            '    <add input="{REQUEST_METHOD}" pattern="^options$" ignoreCase="false" />\n'
            "  </conditions>"
        ),
        RULES,
        None,
        frozenset(),
        frozenset(),
    ),
    (
        "options-wildcard",
        _rule(
            '  <conditions>\n    <add input="{REQUEST_METHOD}" pattern="OPT*" />\n  </conditions>'
        ).replace('stopProcessing="true"', 'patternSyntax="Wildcard"'),
        RULES,
        None,
        ALL,
        frozenset(),
    ),
    (
        "any-method-wildcard",
        _rule(
            '  <conditions>\n    <add input="{REQUEST_METHOD}" pattern="*" />\n  </conditions>'
        ).replace('stopProcessing="true"', 'patternSyntax="Wildcard"'),
        RULES,
        None,
        frozenset(),
        ALL,
    ),
    (
        "options-exact",
        _rule(
            '  <conditions>\n    <add input="{REQUEST_METHOD}" pattern="OPTIONS" />\n'
            "  </conditions>"
        ).replace('stopProcessing="true"', 'patternSyntax="ExactMatch"'),
        RULES,
        None,
        ALL,
        frozenset(),
    ),
    (
        "native-options-and-trace",
        '<add name="Protocol" path="*" verb="OPTIONS,TRACE" modules="ProtocolSupportModule" />',
        HANDLERS,
        None,
        frozenset(),
        ALL,
    ),
]


@pytest.mark.parametrize(
    ("inner", "container", "location", "removed_by", "refused_by"),
    [row[1:] for row in TAKEOVER_TABLE],
    ids=[row[0] for row in TAKEOVER_TABLE],
)
@pytest.mark.parametrize("target", TARGETS)
def test_takeover_table(
    inner: str,
    container: tuple[str, ...],
    location: str | None,
    removed_by: frozenset[str],
    refused_by: frozenset[str],
    target: str,
) -> None:
    document = site(inner, container, location)
    line = (
        document.splitlines().index(
            next(r for r in document.splitlines() if inner.splitlines()[0] in r)
        )
        + 1
    )
    merged = merged_of(SPA, target, document.encode())
    if target in refused_by:
        assert merged.text is None
        [diagnostic] = merged.diagnostics
        assert (diagnostic.code, diagnostic.name) == ("CORS641", "iis-merge-foreign-cors")
        assert diagnostic.span.start.line == line
        assert "so --merge cannot take it over" in diagnostic.message
        assert diagnostic.help.endswith("then merge again; web.config was not changed")
        return
    assert merged.text is not None
    if target in removed_by:
        [diagnostic] = merged.diagnostics
        assert (diagnostic.code, diagnostic.span.start.line) == ("CORS640", line)
        indented = next(r for r in document.splitlines() if inner.splitlines()[0] in r)
        indent = indented[: len(indented) - len(indented.lstrip())]
        block = "\n".join(indent + row if n else row for n, row in enumerate(inner.splitlines()))
        expected = document.replace("\n" + indent + block, "", 1)
        assert expected != document
        assert shape(user_tree(merged.text)) == shape(user_tree(expected))
    else:
        assert merged.diagnostics == ()
        assert shape(user_tree(merged.text)) == shape(user_tree(document))
    again = merged_of(SPA, target, merged.text.encode())
    assert again.text == merged.text and again.diagnostics == ()


def test_each_refusal_is_reported_and_nothing_is_removed() -> None:
    document = site(
        '<add name="CorsModule" type="MyApp.CorsModule" />\n<add name="CorsLogger"'
        ' type="MyApp.Log" />',
        MODULES,
    )
    merged = merged_of(SPA, "iis", document.encode())
    assert merged.text is None
    assert [(d.code, d.span.start.line) for d in merged.diagnostics] == [
        ("CORS641", 4),
        ("CORS641", 5),
    ]
    assert merged.diagnostics[0].message == (
        "the module `CorsModule` on line 4 of web.config handles CORS beside corsc's section: "
        "an application module named for CORS sends headers corsc cannot see, so --merge "
        "cannot take it over"
    )


# ---- Vary: the site's members survive in every <location> corsc writes -------------------------


def vary_site(root_entries: str, api_entries: str | None, dot: bool = False) -> bytes:
    """The site root's customHeaders entries (under ``<location path=".">`` when ``dot``) and,
    when given, a user's ``<location path="api">`` customHeaders."""
    server = (
        "    <system.webServer>\n      <httpProtocol>\n        <customHeaders>\n"
        f"{root_entries}        </customHeaders>\n      </httpProtocol>\n    </system.webServer>\n"
    )
    root = (
        f'  <location path=".">\n{server}  </location>\n'
        if dot
        else server[2:].replace("\n  ", "\n")
    )
    api = (
        '  <location path="api">\n    <system.webServer>\n      <httpProtocol>\n'
        f"        <customHeaders>\n{api_entries}        </customHeaders>\n"
        "      </httpProtocol>\n    </system.webServer>\n  </location>\n"
        if api_entries is not None
        else ""
    )
    return f"<configuration>\n{root}{api}</configuration>\n".encode()


def _vary(value: str) -> str:
    return f'          <add name="Vary" value="{value}" />\n'


VARY_CASES = [
    # (root entries, api entries, Vary under /api, Vary under /v2)
    (_vary("Accept-Encoding"), None, "Accept-Encoding, Origin", "Accept-Encoding, Origin"),
    (_vary("accept-encoding, ORIGIN"), None, "accept-encoding, ORIGIN", "accept-encoding, ORIGIN"),
    (
        _vary("Accept-Encoding,,  Accept-Encoding"),
        None,
        "Accept-Encoding, Origin",
        "Accept-Encoding, Origin",
    ),
    (_vary("*"), None, "*", "*"),
    ("", None, "Origin", "Origin"),
    (_vary("Accept-Encoding"), _vary("X-Tenant"), "X-Tenant, Origin", "Accept-Encoding, Origin"),
    (
        _vary("Accept-Encoding"),
        _vary("x-tenant, origin"),
        "x-tenant, origin",
        "Accept-Encoding, Origin",
    ),
    (
        _vary("Accept-Encoding"),
        '          <remove name="Vary" />\n',
        "Origin",
        "Accept-Encoding, Origin",
    ),
    (_vary("Accept-Encoding"), "          <clear />\n", "Origin", "Accept-Encoding, Origin"),
    (_vary("A") + '          <remove name="vary" />\n' + _vary("B"), "", "B, Origin", "B, Origin"),
    (
        "          <clear />\n" + _vary("Accept-Language"),
        "",
        "Accept-Language, Origin",
        "Accept-Language, Origin",
    ),
]


@pytest.mark.parametrize("dot", [False, True], ids=["root", "location-dot"])
@pytest.mark.parametrize(("root_entries", "api_entries", "api", "v2"), VARY_CASES)
def test_the_sites_vary_survives_under_corscs_locations(
    root_entries: str, api_entries: str | None, api: str, v2: str, dot: bool
) -> None:
    document = vary_site(root_entries, api_entries, dot)
    merged = merged_of(API, "iis-rewrite", document)
    assert merged.text is not None and merged.diagnostics == ()
    root = parse(merged.text)
    if dot:  # the site root lives under <location path=".">: model it as the root
        holder = root.find("location[@path='.']")
        assert holder is not None
        root.remove(holder)
        root.insert(0, holder[0])
    assert effective_headers(root, "api")["vary"] == api
    assert effective_headers(root, "v2")["vary"] == v2
    again = merged_of(API, "iis-rewrite", merged.text.encode())
    assert again.text == merged.text
    third = merged_of(API, "iis-rewrite", merged.text.encode())
    assert third.text == merged.text


MEMBERS = st.sampled_from(
    ["Accept-Encoding", "accept-encoding", "Origin", "ORIGIN", "X-Tenant", "Cookie"]
)


@settings(max_examples=40, deadline=None)
@given(
    root_members=st.lists(MEMBERS, max_size=4, unique_by=str.lower),
    api_members=st.none() | st.lists(MEMBERS, max_size=3, unique_by=str.lower),
)
def test_location_vary_is_the_users_members_then_corscs_without_repeats(
    root_members: list[str], api_members: list[str] | None
) -> None:
    root_entries = _vary(", ".join(root_members)) if root_members else ""
    api_entries = (
        None if api_members is None else _vary(", ".join(api_members)) if api_members else ""
    )
    merged = merged_of(API, "iis-rewrite", vary_site(root_entries, api_entries))
    assert merged.text is not None
    root = parse(merged.text)
    for path, user in (("api", api_members or root_members), ("v2", root_members)):
        members = [m.strip() for m in effective_headers(root, path)["vary"].split(",")]
        expected: list[str] = []
        for member in [*user, "Origin"]:
            if member.lower() not in {m.lower() for m in expected}:
                expected.append(member)
        assert members == expected
    assert merged_of(API, "iis-rewrite", merged.text.encode()).text == merged.text


# ---- takeover and refusal through the command line -------------------------------------------


def test_cli_takeover_warns_checks_and_honours_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "site.cors"  # no warnings of its own, so --strict reaches the merge
    policy.write_text('policy site {\n  origins "https://app.example.com"\n  methods PUT\n}\n')
    path = tmp_path / "web.config"
    original = (HANDWRITTEN / "webapi-classic.config").read_bytes()
    path.write_bytes(original)

    def compile_(*args: str) -> int:
        return cli.main(["compile", str(policy), "--target", "iis", "--merge", str(path), *args])

    assert compile_("--check") == 3
    assert path.read_bytes() == original
    assert compile_("--strict") == 1
    assert path.read_bytes() == original
    err = capsys.readouterr().err
    assert err.count("warning[CORS640 iis-merge-takeover]") == 8  # four, by both runs
    assert f"--> {path}:11:9" in err
    assert '<add name="Access-Control-Allow-Origin" value="*" />' in err  # the excerpt
    assert compile_() == 0
    assert b'"Access-Control-Allow-Origin" value="*"' not in path.read_bytes()
    capsys.readouterr()
    assert compile_("--check", "--strict") == 0
    assert "CORS640" not in capsys.readouterr().err


def test_cli_refusal_exits_2_and_leaves_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "web.config"
    document = site('<add name="CorsModule" type="MyApp.CorsModule" />', MODULES).encode()
    path.write_bytes(document)
    assert (
        cli.main(["compile", str(SPA), "--target", "iis", "--merge", str(path), "--format", "json"])
        == 2
    )
    assert path.read_bytes() == document
    report = json.loads(capsys.readouterr().err)  # one document: the policy's and the file's
    assert {item["file"] for item in report["diagnostics"]} == {str(SPA), str(path)}
    [item] = [item for item in report["diagnostics"] if item["file"] == str(path)]
    assert (item["code"], item["file"], item["range"]["start"]["line"]) == ("CORS641", str(path), 4)


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


@pytest.mark.parametrize(
    ("entries", "vary", "users_element"),
    [
        (_vary("Accept-Encoding"), "Accept-Encoding, Origin", True),
        (_vary("Accept-Encoding") + "          <clear />\n", "Origin", False),
        (_vary("Accept-Encoding") + '          <remove name="VARY" />\n', "Origin", False),
        ("          <clear />\n" + _vary("Cookie"), "Cookie, Origin", True),
        (_vary("A") + _vary("B"), "B, Origin", True),  # the last add decides (and is a 500.19)
        ('          <add name="Vary" />\n', "Origin", False),
    ],
)
@pytest.mark.parametrize("target", TARGETS)
def test_root_vary_is_merged_into_the_entry_that_decides_it(
    entries: str, vary: str, users_element: bool, target: str
) -> None:
    merged = merged_of(SPA, target, vary_site(entries, None))
    assert merged.text is not None
    assert effective_headers(parse(merged.text), None)["vary"] == vary
    assert ('<!-- corsc:begin vary appended="' in merged.text) is users_element
    assert merged_of(SPA, target, merged.text.encode()).text == merged.text


def without_cors_handling(root: ET.Element) -> int:
    """Take the generated kinds of hand-written CORS handling out of a parsed tree (tails
    kept); how many there were."""
    removed = 0
    for parent in list(root.iter()):
        for child in list(parent):
            name = (child.get("name") or "").strip().lower()
            match = child.find("match")
            variable = "" if match is None else match.get("serverVariable", "").upper()
            if (
                (parent.tag == "customHeaders" and name.startswith("access-control-"))
                or (
                    parent.tag == "handlers"
                    and child.tag == "remove"
                    and name == "optionsverbhandler"
                )
                or (
                    parent.tag == "outboundRules" and variable.startswith("RESPONSE_ACCESS_CONTROL")
                )
            ):
                index = list(parent).index(child)
                if index:
                    before = parent[index - 1]
                    before.tail = (before.tail or "") + (child.tail or "")
                else:
                    parent.text = (parent.text or "") + (child.tail or "")
                parent.remove(child)
                removed += 1
    return removed


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents(leftovers=True), compiled=st.sampled_from(COMPILED))
def test_generated_leftovers_are_all_taken_over_and_nothing_else(
    document: bytes, compiled: tuple[Path, str]
) -> None:
    merged = merged_of(*compiled, document)
    assert merged.text is not None, merged.diagnostics
    expected = user_tree(document.decode("utf-8"))
    count = without_cors_handling(expected)
    assert [d.code for d in merged.diagnostics] == ["CORS640"] * count
    assert shape(user_tree(merged.text)) == shape(expected)
    again = merged_of(*compiled, merged.text.encode())
    assert again.text == merged.text and again.diagnostics == ()


def test_a_file_that_is_not_utf8_is_refused_at_the_line_of_the_bad_byte() -> None:
    document = b"<configuration>\n  <!-- caf\xe9 -->\n</configuration>\n"
    merged = merged_of(SPA, "iis", document)
    assert merged.text is None
    [diagnostic] = merged.diagnostics
    assert diagnostic.message == "cannot merge into web.config: it is not UTF-8 (byte 26)"
    assert (diagnostic.span.start.line, diagnostic.span.start.column) == (2, 11)
