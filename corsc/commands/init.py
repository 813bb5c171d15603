"""``corsc init``: a commented starter project — a policy and a ``corsc.toml`` with one output
for the chosen server — written into a directory, never over an existing file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from corsc.commands.common import EXIT_OK, EXIT_USAGE, UsageError
from corsc.source import visible

#: The starter policy: one policy with the statements most APIs need, each commented. Its
#: origins come from a `let` binding that corsc.toml sets per environment.
POLICY_FILE = "policy.cors"
POLICY = """\
# policy.cors — which web pages may call this server from a browser, and how.
# `corsc check` reports every problem; `corsc explain policy.cors --origin https://…` shows
# how one request is answered. The statements: README, "The policy language".

# The origins allowed. corsc.toml replaces this list per environment (`set`), so the same
# policy serves production and staging.
let trusted = "https://app.example.com"

policy api {
  origins     trusted
  # What a script may send beyond what browsers always allow (GET, HEAD, POST and the
  # safelisted headers): the methods and request headers that need a preflight.
  methods     PUT, DELETE
  headers     Content-Type, Authorization
  # Response headers scripts may read.
  expose      X-Request-Id
  # How long a browser may reuse a preflight answer.
  max-age     10m
}
"""

#: Per server: the target, the output's path and newline style, and what to do with it.
SERVERS: dict[str, tuple[str, str, str, str]] = {
    "iis": (
        "iis",
        "site/web.config",
        "crlf",
        "copy site/web.config into the site's root (or merge: corsc compile --merge)",
    ),
    "nginx": (
        "nginx",
        "nginx/",
        "lf",
        "include nginx/corsc-api.http.conf inside http {} and nginx/corsc-api.conf in the "
        "server {} or location {} it governs",
    ),
    "python": (
        "python",
        "cors.toml",
        "lf",
        "load cors.toml with corsc.runtime's middleware (docs/python.md)",
    ),
    "starlette": ("starlette", "cors_starlette.py", "lf", "import cors_starlette in the app"),
    "fastapi": ("fastapi", "cors_starlette.py", "lf", "import cors_starlette in the app"),
    "django": ("django", "cors_django.py", "lf", "import cors_django from settings.py"),
    "flask": ("flask", "cors_flask.py", "lf", "import cors_flask in the app"),
}


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser("init", help="write a starter project: a policy and corsc.toml")
    sub.add_argument(
        "directory", nargs="?", default=".", metavar="DIR", help="where (default: here)"
    )
    sub.add_argument(
        "--server",
        choices=tuple(SERVERS),
        default="nginx",
        help="the server the output is for (default nginx)",
    )


def project_text(server: str) -> str:
    """The starter ``corsc.toml`` for ``server``."""
    target, path, newline, use = SERVERS[server]
    return f"""\
# corsc.toml — the project: `corsc build` writes every [[output]] below, all or nothing;
# `corsc build --check` (in CI) exits 3 when a written file is out of date. Paths are relative
# to this file. Every key: docs/projects.md.

# The policy files `corsc check` checks when given no file.
policies = ["{POLICY_FILE}"]

# Rules to leave out of reports (codes or slugs, `corsc rule CODE` explains one). Errors are
# always reported.
ignore = []

[[output]]
target = "{target}"          # `corsc targets {target}` shows what it can express
policy = "{POLICY_FILE}"
path = "{path}"{" " * max(1, 20 - len(path))}# then: {use}
newline = "{newline}"            # the line endings written; --check accepts either style
# options = {{ }}             # the target's -O options (`corsc targets {target}`)

# `let` values replaced for this output (as --set NAME=VALUE would)...
set = {{ trusted = ["https://app.example.com"] }}

# ...and per environment: `corsc build --env staging`.
[output.env.staging]
set = {{ trusted = ["https://staging.example.com"] }}
"""


def run(args: argparse.Namespace) -> int:
    from corsc.backends import OutputFile
    from corsc.output_plan import Destination, OutputError, plan_set
    from corsc.output_write import write_all
    from corsc.project import PROJECT_FILE

    directory = Path(args.directory)
    files = {POLICY_FILE: POLICY, PROJECT_FILE: project_text(args.server)}
    existing = [name for name in files if (directory / name).exists()]
    if existing:
        names = ", ".join(visible(str(directory / name)) for name in existing)
        raise UsageError(
            f"{names} already exist{'s' if len(existing) == 1 else ''}; corsc init "
            "never overwrites a file (choose another DIR, or remove them)"
        )
    destinations = [
        Destination((OutputFile(name, text, ""),), f"{directory}/") for name, text in files.items()
    ]
    try:
        write_all(plan_set(destinations))
    except OutputError as error:
        print(f"corsc: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    shown = visible(str(directory))
    print(
        f"corsc: wrote {shown}/{POLICY_FILE} and {shown}/{PROJECT_FILE} for {args.server}; "
        f"edit the policy, then run `corsc build` in {shown}",
        file=sys.stderr,
    )
    return EXIT_OK
