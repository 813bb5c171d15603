"""The apache target without requests: its goldens pass ``apache2 -t`` in a <VirtualHost>, and
its <Location> output in a <Location>; the placements refuse what they cannot hold (CORS651)
and a .htaccess says that preflights meet authentication first (CORS650); long origin lists
fit ap_expr's regex buffer; the docs page's capability table is ``corsc targets``'."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from corsc import __version__, cli
from corsc.backends import EmitOptions, apache_values, check, get, validate_options
from corsc.capabilities import Feature
from corsc.diagnostics import Diagnostic
from corsc.frontend import load
from corsc.source import Source
from tests.apache_launcher import Apache, free_ports
from tests.conformance_apache import require_apache, virtual_host
from tests.goldens import GOLDEN, ROOT

GOLDENS = sorted((GOLDEN / "apache").glob("*.conf"))
BACKEND = get("apache")


def compiled(text: str, **options: str) -> tuple[list[Diagnostic], dict[str, str]]:
    """The diagnostics of ``text`` for apache, and its files when none is an error."""
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None, loaded.diagnostics
    values, problems = validate_options(BACKEND, [f"{k}={v}" for k, v in options.items()])
    assert not problems
    emit_options = EmitOptions(__version__, "t.cors", "apache", values)
    found = [*loaded.diagnostics, *check(BACKEND, loaded.policy_set, emit_options)]
    if any(item.severity.value == "error" for item in found):
        return found, {}
    return found, {
        item.name: item.content for item in BACKEND.emit(loaded.policy_set, emit_options)
    }


def configtest(directory: Path, inside: str, files: dict[str, str]) -> Apache:
    """Apache configured with ``files`` under its root and one virtual host holding ``inside``
    (``{name}`` stands for a file's path)."""
    server = Apache(directory)
    (port,) = free_ports(1)
    for name, text in files.items():
        inside = inside.replace("{" + name + "}", str(server.write(f"policies/{name}", text)))
    server.configure([port], virtual_host(port, inside))
    return server


@pytest.mark.parametrize("golden", GOLDENS, ids=[path.name for path in GOLDENS])
def test_apache_accepts_every_golden_in_a_virtual_host(golden: Path, tmp_path: Path) -> None:
    require_apache()
    server = configtest(tmp_path, "    Include {corsc.conf}\n", {"corsc.conf": golden.read_text()})
    result = server.check()
    assert result.returncode == 0, result.stderr
    assert "Syntax OK" in result.stderr and "AH0" not in result.stderr, result.stderr


def test_the_goldens_cover_every_example() -> None:
    assert len(GOLDENS) == len(list((ROOT / "examples").glob("*.cors")))


SPA = (ROOT / "examples" / "spa-localhost.cors").read_text("utf-8")
ONE = 'policy p {\n  origins "https://a.example.com", "https://b.example.com"\n  max-age 60\n}\n'


@pytest.mark.parametrize("text", [SPA, ONE, ONE.replace("}", "  unlisted reject\n}")])
def test_apache_accepts_the_location_output_in_a_location(text: str, tmp_path: Path) -> None:
    require_apache()
    found, files = compiled(text, placement="location")
    assert not [item.code for item in found if item.code.startswith("CORS65")]
    (name,) = files
    assert name.startswith("corsc-") and name.endswith(".conf")
    inside = "    <Location /api>\n        Include {" + name + "}\n    </Location>\n"
    result = configtest(tmp_path, inside, files).check()
    assert result.returncode == 0, result.stderr


def test_a_policy_with_paths_is_refused_where_the_placement_chooses_the_path() -> None:
    text = 'policy p {\n  paths "/api"\n  origins "https://a.example.com"\n}\n'
    for placement in ("location", "htaccess"):
        found, files = compiled(text, placement=placement)
        refused = [item for item in found if item.code == "CORS651"]
        assert len(refused) == 1 and files == {}, found
        assert refused[0].span.start.line == 2  # at the `paths`
    two = 'policy a { paths "/a"; origins "https://a.example.com" }\npolicy b { origins * }\n'
    found, _ = compiled(two, placement="htaccess")
    assert [item.code for item in found if item.code == "CORS651"] == ["CORS651", "CORS651"]
    found, files = compiled(two)
    assert not [item for item in found if item.code.startswith("CORS65")]
    assert list(files) == ["corsc.conf"]


def test_the_htaccess_placement_writes_a_dot_htaccess() -> None:
    found, files = compiled(ONE, placement="htaccess")
    assert list(files) == [".htaccess"]
    text = files[".htaccess"]
    assert "RewriteRule" not in text and "<If " in text and "Redirect 204" in text
    assert any(item.code == "CORS650" and "htaccess" in item.message for item in found)


def test_an_unknown_placement_is_refused() -> None:
    assert validate_options(BACKEND, ["placement=directory"])[1]
    assert validate_options(BACKEND, ["placement=location"]) == ({"placement": "location"}, [])


def test_long_unions_are_cut_to_fit_ap_expr_s_regex_buffer() -> None:
    """ap_expr reads a regex into 8 KB ("Regexp too long"): a union of 1,000 origins is cut at
    its top-level alternatives, and the pieces admit exactly what the whole does."""
    whole = "^(?:" + "|".join(f"https://a{n}\\.example\\.com" for n in range(1000)) + ")\\z"
    pieces = apache_values.chunks(whole)
    assert len(pieces) > 2 and all(len(p) <= apache_values.MAX_EXPR_REGEX for p in pieces)
    for origin in ("https://a0.example.com", "https://a999.example.com", "https://a1000.x"):
        expected = re.fullmatch(whole.replace("\\z", ""), origin) is not None
        assert any(re.fullmatch(p.replace("\\z", ""), origin) for p in pieces) is expected
    # Alternatives inside groups and classes are never cut.
    nested = (
        "^(?:" + "|".join(f"https://(?:x|y){n}[|a]\\.example\\.com" for n in range(900)) + ")\\z"
    )
    for piece in apache_values.chunks(nested):
        assert re.compile(piece.replace("\\z", "")) and piece.count("(") == piece.count(")")


def test_values_apache_would_misread_cannot_be_written() -> None:
    for value in ('a"b', "a\\", "${HOME}", "a\nb", "caf\u00e9"):
        with pytest.raises(apache_values.Unwritable):
            apache_values.quoted(value)
    assert apache_values.fixed("50%") == '"50%%"'


# ---- the docs page's table is `corsc targets`' ----------------------------------------------

DOCS = ROOT / "docs" / "apache.md"
BEGIN, END = "<!-- apache-capabilities:begin -->\n", "<!-- apache-capabilities:end -->"


def capability_section(row: dict[str, Any]) -> str:
    """The docs page's table and declared differences, from ``corsc targets``' row."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| feature | support | how Apache does it, or what differs |", "|---|---|---|"]
    lines += [
        f"| {cell(item['description'])} | {item['support']} | {cell(item['note'])} |"
        for item in row["capabilities"]
    ]
    lines += ["", "Declared differences, whatever the policy says:", ""]
    lines += [f"- {deviation}" for deviation in row["deviations"]]
    return BEGIN + "\n".join(lines) + "\n" + END


def test_the_docs_table_is_corsc_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["targets", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["targets"]
    (row,) = [row for row in rows if row["names"][0] == "apache"]
    assert [item["support"] for item in row["capabilities"]] == [
        BACKEND.capabilities[feature].support.value for feature in Feature
    ]
    expected = capability_section(row)
    text = DOCS.read_text("utf-8")
    current = re.search(re.escape(BEGIN) + ".*?" + re.escape(END), text, re.S)
    assert current is not None
    if os.environ.get("CORSC_UPDATE_README") == "1":
        DOCS.write_text(text.replace(current.group(0), expected), "utf-8")
        return
    assert current.group(0) == expected, "run with CORSC_UPDATE_README=1 and read the diff"


UNION = (
    'policy p {\n  origins "https://a.example.com", "https://ab.example.com", '
    '"https://a.example.com:8443", "https://*.x.example.com", "https://*.y.example.com:444", '
    '"http://*.x.example.com", "http://localhost:*", "null", '
    'regex "^https://pr-[0-9]+\\\\.z\\\\.com$"\n}\n'
)
SAMPLES = [
    "https://a.example.com",
    "https://ab.example.com",
    "https://a.example.com:8443",
    "https://abc.example.com",
    "https://a.example.co",
    "https://q.x.example.com",
    "https://q.r.y.example.com:444",
    "https://q.y.example.com",
    "https://x.example.com",
    "https://q.x.example.com.evil.net",
    "http://q.x.example.com",
    "http://localhost:3000",
    "http://localhost:0",
    "null",
    "https://pr-12.z.com",
    "https://pr-.z.com",
]


def test_the_factored_union_admits_exactly_what_the_patterns_admit() -> None:
    """Exact origins as a trie, wildcard bases after one label loop: the same language as
    corsc's origins module's union, and the trie reads shared prefixes once."""
    from corsc import origin_regex

    loaded = load(Source("t.cors", UNION))
    assert loaded.policy_set is not None
    patterns = [entry.pattern for entry in loaded.policy_set.policies[0].entries]
    factored = apache_values.union(patterns).replace("\\z", "\\Z")
    plain = origin_regex.render_union(patterns, "pcre").replace("\\z", "\\Z")
    for origin in SAMPLES:
        assert (re.fullmatch(factored, origin) is None) == (re.fullmatch(plain, origin) is None)
    assert factored.count("https://a") == 1
    words = sorted(f"https://app{n}.example.com" for n in range(300))
    trie = apache_values._trie(words)
    assert all(re.fullmatch(trie, word) for word in words)
    assert not re.fullmatch(trie, "https://app3000.example.com")


def test_a_regex_longer_than_apache_reads_is_refused() -> None:
    host = "\\\\.".join(["a" * 60] * 140)  # one literal host of 140 labels: 8,707 bytes
    text = f'policy p {{\n  origins regex "^https://{host}\\\\.example\\\\.com$"\n}}\n'
    loaded = load(Source("t.cors", text))  # checking so long a regex takes a while: once
    assert loaded.policy_set is not None and not loaded.diagnostics, loaded.diagnostics
    for placement in ("virtualhost", "location"):
        options = EmitOptions(__version__, "t.cors", "apache", {"placement": placement})
        found = check(BACKEND, loaded.policy_set, options)
        assert [item.code for item in found] == ["CORS652"], found
    shorter = text.replace("a" * 60 + "\\\\.", "", 130)
    found, files = compiled(shorter)
    assert "CORS652" not in {item.code for item in found} and files
