"""Hand-written CORS handling beside corsc's (corsc.backends.iis_takeover; fixtures in
tests/fixtures/iis-handwritten/ and a table of variants): taken over with CORS640 naming its
line, or refused with CORS641 and nothing removed, also through the command line
(``--check``, ``--strict``)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsc import cli
from tests.iis_merging import (
    COMPILED,
    ROOT,
    SPA,
    TARGETS,
    documents,
    effective_headers,
    merge,
    merged_of,
    shape,
    user_tree,
)
from tests.iis_structure import parse


def test_an_unmarked_cors_section_is_owned_by_the_module_target() -> None:
    text = (
        '<?xml version="1.0"?>\n<configuration>\n  <system.webServer>\n'
        '    <cors enabled="true">\n      <add origin="*" />\n    </cors>\n'
        "  </system.webServer>\n</configuration>\n"
    )
    merged = merge(SPA, "iis", text.encode())
    assert isinstance(merged, str)
    assert len(list(parse(merged).iter("cors"))) == 1 and 'origin="*"' not in merged


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
