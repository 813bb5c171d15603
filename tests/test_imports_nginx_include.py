"""``corsc import`` of an nginx.conf on disk follows its ``include`` directives: corsc's own
nginx output, included as its comments say (the first part at http or server level, the
second in the server or in each location it governs), reads back with the original's
verdicts; a finding in an included file is at that file's line; an include that cannot be
read (missing, outside the including file's directory, itself again, not UTF-8, no match)
is CORS715 with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from importing import GOLDEN, every, nginx_outputs, policy_of, verdicts

from corsc.cli import main
from corsc.frontend import load
from corsc.imports import Imported, import_source
from corsc.source import Source

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ORIGINS = (
    "https://app.example.com",
    "https://staging.example.com",
    "http://localhost:8080",
    "https://localhost:3000",
    "https://partner.example.net",
    "https://a.partner.example.org",
    "https://legacy.partner.example.org",
    "https://reports.example.com",
    "https://evil.example",
    "null",
)
METHODS = ("GET", "PUT", "DELETE")
HEADERS = ((), (("Content-Type", "application/json"),), (("X-Other", "1"),))


def imported(path: Path) -> Imported:
    return import_source(Source(str(path), path.read_text("utf-8")), "nginx", path=str(path))


def layout(root: Path, first: Path, second: Path, prefixes: list[str]) -> Path:
    """nginx.conf in ``root/conf`` with the output's two files in ``conf/corsc/``: the first
    by a glob at http level (maps) or in the server (a2), the second in the server (no
    ``prefixes``) or in a location per prefix."""
    conf = root / "conf"
    (conf / "corsc").mkdir(parents=True)
    for part in (first, second):
        (conf / "corsc" / part.name).write_text(part.read_text("utf-8"), "utf-8")
    second_include = f"include corsc/{second.name};"
    body = (
        "".join(f"location {p} {{\n{second_include}\n}}\n" for p in prefixes)
        if prefixes
        else second_include
    )
    if first.name.endswith(".http.conf"):
        text = f"events {{}}\nhttp {{\ninclude corsc/*.http.conf;\nserver {{\n{body}\n}}\n}}\n"
    else:
        text = f"events {{}}\nhttp {{\nserver {{\ninclude corsc/{first.name};\n{body}\n}}\n}}\n"
    (conf / "nginx.conf").write_text(text, "utf-8")
    return conf / "nginx.conf"


@pytest.mark.parametrize("where", ["server", "locations"])
@pytest.mark.parametrize(
    ("name", "first", "second"),
    nginx_outputs(),
    ids=lambda v: f"{v.parent.name}/{v.name}" if isinstance(v, Path) else v,
)
def test_included_nginx_output_keeps_every_verdict(
    name: str, first: Path, second: Path, where: str, tmp_path: Path
) -> None:
    stem = first.name.split(".")[0]
    original = load(Source(f"{stem}.cors", (EXAMPLES / f"{stem}.cors").read_text("utf-8")))
    assert original.policy_set is not None
    policy = next(p for p in original.policy_set.policies if p.name == name)
    prefixes = [prefix.value + "/" for prefix in policy.paths] or ["/"]
    result = imported(layout(tmp_path, first, second, prefixes if where == "locations" else []))
    assert [item.code for item in result.diagnostics] == [], result.diagnostics
    assert sorted(Path(item.name).name for item in result.sources) == sorted(
        [first.name, second.name]
    )
    back = policy_of(result)
    assert back.policy_set is not None
    requests = every(ORIGINS, METHODS, HEADERS)
    seen: set[bool] = set()
    for prefix in prefixes:
        seen |= verdicts(original.policy_set, back.policy_set, requests, path=prefix + "x")
    assert seen == {True, False}


def test_a_finding_in_an_included_file_is_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The span names the included file (as the including file's name plus the path the
    include names) and its line; the policy's comment names the file it comes from; the CLI
    shows the included file's line."""
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "app.conf").write_text(
        "# the application\nserver {\n"
        '    add_header Access-Control-Allow-Origin "https://app.example.com";\n}\n',
        "utf-8",
    )
    main_file = tmp_path / "nginx.conf"
    main_file.write_text("events {}\nhttp {\n    include sites/*.conf;\n}\n", "utf-8")
    result = imported(main_file)
    included = str(tmp_path / "sites" / "app.conf")
    assert [(d.code, d.span.file, d.span.start.line) for d in result.diagnostics] == [
        ("CORS712", included, 3)
    ]
    assert [item.name for item in result.sources] == [included]
    assert result.policy is not None and f"# from {included} line 2\n" in result.policy
    assert main(["import", str(main_file)]) == 0
    assert f"--> {included}:3:5\n" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("include", "reason"),
    [
        ("missing.conf", "missing.conf: no such file"),
        ("none/*.conf", "no file matches it"),
        ("../outside.conf", "is outside"),
        ("nginx.conf", "nginx.conf includes itself"),
        ("latin1.conf", "latin1.conf is not UTF-8 text"),
        ("sites", "sites is a directory, not a file"),
    ],
)
def test_an_include_that_cannot_be_read_is_cors715_with_the_reason(
    include: str, reason: str, tmp_path: Path
) -> None:
    conf = tmp_path / "conf"
    (conf / "sites").mkdir(parents=True)
    (tmp_path / "outside.conf").write_text('add_header Access-Control-Allow-Origin "*";\n')
    (conf / "latin1.conf").write_bytes(b"# caf\xe9\n")
    (conf / "nginx.conf").write_text(
        "server {\n"
        '    add_header Access-Control-Allow-Origin "https://app.example.com" always;\n'
        f"    include {include};\n"
        "}\n",
        "utf-8",
    )
    result = imported(conf / "nginx.conf")
    assert [(d.code, d.span.file, d.span.start.line) for d in result.diagnostics] == [
        ("CORS715", str(conf / "nginx.conf"), 3)
    ]
    assert reason in result.diagnostics[0].message
    assert result.sources == ()


def test_includes_nest_relative_to_the_including_file(tmp_path: Path) -> None:
    """An include in an included file is resolved from that file's directory; a finding two
    files deep names that file."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "site.conf").write_text("server {\n    include b/cors.conf;\n}\n")
    (tmp_path / "a" / "b" / "cors.conf").write_text(
        "\nadd_header Access-Control-Allow-Origin $http_origin always;\n"
    )
    (tmp_path / "nginx.conf").write_text("include a/site.conf;\n")
    result = imported(tmp_path / "nginx.conf")
    assert [(d.code, Path(d.span.file).name, d.span.start.line) for d in result.diagnostics] == [
        ("CORS705", "cors.conf", 2)
    ]
    assert result.diagnostics[0].span.file == str(tmp_path / "a" / "b" / "cors.conf")


def test_the_golden_outputs_say_how_to_include_them() -> None:
    """The layout above is the one the output's comments give."""
    http = (GOLDEN / "nginx" / "api.corsc-api.http.conf").read_text("utf-8")
    assert "include it inside http {}" in http
    second = (GOLDEN / "nginx" / "api.corsc-api.conf").read_text("utf-8")
    assert "include it in\n# server {} or in the location blocks the policy governs" in second


def test_a_glob_reads_the_files_it_can_and_reports_the_others(tmp_path: Path) -> None:
    """`include cors/*.conf` with one readable file and one that is not UTF-8: the first is
    read (its policy imported), the include is CORS715 naming the second."""
    (tmp_path / "cors").mkdir()
    (tmp_path / "cors" / "a.conf").write_text(
        'add_header Access-Control-Allow-Origin "https://app.example.com" always;\n'
    )
    (tmp_path / "cors" / "b.conf").write_bytes(b"# caf\xe9\n")
    (tmp_path / "site.conf").write_text("server {\n    include cors/*.conf;\n}\n")
    result = imported(tmp_path / "site.conf")
    assert [(d.code, d.span.start.line) for d in result.diagnostics] == [("CORS715", 2)]
    assert "b.conf is not UTF-8 text" in result.diagnostics[0].message
    assert "a.conf" not in result.diagnostics[0].message
    assert result.policy is not None
    assert 'origins     "https://app.example.com"' in result.policy
