"""The project file: corsc.toml and [tool.corsc], what each key means, and every problem."""

from __future__ import annotations

from pathlib import Path

from corsc import diagnostics as d
from corsc.project import find_project, project_for, read_project
from corsc.source import Source

FULL = """\
policies = ["cors"]
select = ["CORS407", "CORS622"]
ignore = ["target-declared-deviation"]
targets = ["json"]

[env.staging]
set = { trusted = ["https://staging.example.com"] }

[[output]]
target = "nginx"
policy = "cors/api.cors"
path = "deploy/nginx/"
options = { prefix = "api" }
set = { trusted = ["https://app.example.com", "https://www.example.com"], other = "x" }
env.staging.set = { other = "y" }

[[output]]
target = "iis"
policy = "cors/api.cors"
path = "site/web.config"
newline = "crlf"
"""


def write(directory: Path, text: str, name: str = "corsc.toml") -> Path:
    path = directory / name
    path.write_text(text, "utf-8")
    return path


def test_every_key(tmp_path: Path) -> None:
    project = read_project(write(tmp_path, FULL))
    assert project.problems == ()
    assert (project.select, project.ignore) == (
        ("CORS407", "CORS622"),
        ("target-declared-deviation",),
    )
    assert project.root == tmp_path
    assert project.policies == (tmp_path / "cors",)
    assert project.targets == ("json", "nginx", "iis")
    assert project.environments == ("staging",)
    nginx, iis = project.outputs
    assert (nginx.target, nginx.policy, nginx.path) == (
        "nginx",
        tmp_path / "cors" / "api.cors",
        tmp_path / "deploy" / "nginx",
    )
    assert nginx.written_path == "deploy/nginx/"
    assert nginx.options == ("prefix=api",)
    assert nginx.overrides(None) == [
        "trusted=https://app.example.com,https://www.example.com",
        "other=x",
    ]
    # The environment's values: the project's for every output, then the output's own.
    assert nginx.overrides("staging") == ["trusted=https://staging.example.com", "other=y"]
    assert iis.overrides("staging") == ["trusted=https://staging.example.com"]
    assert (nginx.newline, nginx.newline_declared) == ("lf", False)
    assert (iis.newline, iis.newline_declared) == ("crlf", True)


def test_the_policies_default_to_the_outputs(tmp_path: Path) -> None:
    project = read_project(write(tmp_path, FULL.split("\n", 4)[4].replace("[env", "[x.env")))
    assert project.policies == (tmp_path / "cors" / "api.cors",)


def test_selection_keeps_errors_and_reads_codes_slugs_and_families(tmp_path: Path) -> None:
    project = read_project(
        write(tmp_path, 'select = ["CORS4", "CORS301"]\nignore = ["max-age-over-webkit-cap"]\n')
    )
    assert project.problems == ()
    span = Source("x.cors", "").span(0)
    warning = d.UNLISTED_REJECT.at(span, "m", "h")
    other = d.DUPLICATE_ORIGIN.at(span, "m", "h")
    error = d.WILDCARD_WITH_CREDENTIALS.at(span, "m", "h")
    assert project.keeps(warning)
    assert not project.keeps(other)  # not selected
    assert project.keeps(error)  # errors are always reported
    assert not project.keeps(d.MAX_AGE_SAFARI_CAP.at(span, "m", "h"))  # in CORS4, but ignored


def test_pyproject_tool_table(tmp_path: Path) -> None:
    write(tmp_path, '[project]\nname = "x"\n', "pyproject.toml")
    assert find_project(tmp_path) is None  # a pyproject.toml without [tool.corsc] is not one
    path = write(
        tmp_path,
        '[project]\nname = "x"\n\n[tool.corsc]\n[[tool.corsc.output]]\n'
        'target = "json"\npolicy = "a.cors"\npath = "a.json"\n',
        "pyproject.toml",
    )
    (tmp_path / "sub").mkdir()
    project = project_for(tmp_path / "sub" / "x.cors")
    assert project is not None and project.path == path
    assert project.targets == ("json",) and not project.problems
    # corsc.toml wins in the same directory.
    assert find_project(tmp_path) == path
    assert find_project(write(tmp_path, "").parent) == tmp_path / "corsc.toml"


def test_problems_name_the_file_and_the_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'polices = ["a"]\nnewline = "cr"\n[[output]]\ntarget = "nginx"\npaht = "x"\n'
        '[[output]]\npolicy = "a.cors"\npath = "b"\noptions = { a = 1 }\n'
        '[[output]]\ntarget = "json"\npolicy = "a.cors"\npath = "c"\nset = "x"\n'
        "env = 3\n",
    )
    shown = str(path)
    assert read_project(path).problems == (
        f"{shown}: the project: unknown key `polices`; did you mean `policies`?",
        f'{shown}: newline: must be "lf" or "crlf"',
        f"{shown}: output 1: unknown key `paht`; did you mean `path`?",
        f"{shown}: output 1: `policy`: must be a path (relative to the project file)",
        f"{shown}: output 1: `path`: must be a path (relative to the project file)",
        f'{shown}: output 2: needs `target`, a target name like "nginx" (`corsc targets`)',
        f'{shown}: output 2: `options` must be a table of strings, like {{ format = "toml" }}',
        f"{shown}: output 3: `env`: must be a table of environments, like staging.set = {{ … }}",
        f"{shown}: output 3: `set`: must be a table of bindings, like "
        '{ trusted = ["https://…"] }',
    )


def test_rules_are_read_as_the_command_line_reads_them(tmp_path: Path) -> None:
    path = write(tmp_path, 'select = ["CORS8", "CORS1"]\nignore = "CORS602"\n')
    project = read_project(path)
    assert project.problems == (
        f"{path}: select: `CORS8` names no family: no corsc code starts with CORS8",
    )
    assert project.ignore == ("CORS602",)  # one string is a list of one
    errors = read_project(write(tmp_path, 'ignore = ["CORS301"]\n'))
    assert errors.problems == (
        f"{errors.path}: ignore: CORS301 (wildcard-with-credentials) is an error and cannot be "
        "ignored: an error means the output would be wrong; fix the policy instead",
    )


def test_two_outputs_on_one_path(tmp_path: Path) -> None:
    one = '[[output]]\ntarget = "json"\npolicy = "a.cors"\npath = "out/a.json"\n'
    path = write(tmp_path, one + one.replace('"out/', '"./out/').replace("./", ""))
    assert read_project(path).problems == (
        f"{path}: output 2: writes `out/a.json` like output 1; give each output its own path",
    )


def test_unreadable_and_not_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "output = [\n")
    [problem] = read_project(path).problems
    assert problem == f"{path}: Invalid value (at end of document)"  # tomllib's own words
    [diagnostic] = read_project(path).diagnostics()
    assert (diagnostic.code, diagnostic.name, diagnostic.message) == (
        "CORS030",
        "invalid-project",
        problem,
    )
    assert (
        read_project(tmp_path / "missing.toml")
        .problems[0]
        .startswith(f"{tmp_path / 'missing.toml'}: ")
    )
