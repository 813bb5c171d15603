"""Hostile policy values never reach the express output's code: the emitted module is corsc's
fixed middleware plus one JSON literal, and that literal reads back as exactly the values the
policy holds. Real Node.js then loads the most hostile of them and sees the same data."""

from __future__ import annotations

import json
import os
import subprocess

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsc.backends.express_js import MIDDLEWARE
from tests.conformance_express import APP, MODULES, compile_or_refuse, require_express

#: Characters that end a string, a line, a comment or a template in JavaScript, and JSON's own.
HOSTILE = "\"'`\\\n\r\u2028\u2029/*${}<>#;:()[]|"

#: tchar has `'`, `` ` ``, `|`, `#`, `$` and `*`: every one is a valid header name.
#: (A lone `*` is the wildcard, not a name.)
TOKENS = st.text(alphabet="!#$%&'*+.^_`|~abcXYZ09-", min_size=1, max_size=12).filter(
    lambda token: token != "*"
)
#: Path prefixes in the language's string syntax (a backslash escapes `"` and `\`).
PATHS = st.text(alphabet="abc/%2Fé" + HOSTILE, min_size=0, max_size=16).map(
    lambda text: "/" + text.replace("\\", "\\\\").replace('"', '\\"')
)


def policy_text(path: str, header: str) -> str:
    return (
        "policy api {\n"
        f'  paths "{path}"\n'
        '  origins "https://app.example.com", regex "^https://pr-[0-9]+\\.example\\.com$"\n'
        f'  headers "{header}"\n'
        f'  expose "{header}"\n'
        "}\n"
        "policy rest {\n  origins *\n}\n"
    )


def data_of(module: str) -> list[dict[str, object]]:
    """The POLICIES literal, checked to be the module's only variable part."""
    head, _, rest = module.partition("const POLICIES = ")
    literal, _, code = rest.partition(";\n")
    assert code == MIDDLEWARE
    assert head.endswith('const cors = require("cors");\n\nconst MAX_ORIGIN_LENGTH = 267;\n\n')
    assert "\n" not in head.partition("\n")[0]  # the provenance comment is one line
    data = json.loads(literal)
    assert isinstance(data, list)
    return data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PATHS, TOKENS)
def test_hostile_values_stay_data(path: str, header: str) -> None:
    compiled = compile_or_refuse("hostile", policy_text(path, header))
    if not isinstance(compiled, str):
        assert compiled  # refused with a diagnostic code, never a traceback
        return
    api = data_of(compiled)[0]
    assert api["grants"][0]["headers"] == [header]  # type: ignore[index]
    assert api["grants"][0]["expose"] == header  # type: ignore[index]
    assert "\u2028" not in compiled and "\u2029" not in compiled


def test_node_reads_hostile_values_as_written() -> None:
    require_express()
    header = "x'`|#$*~"
    compiled = compile_or_refuse("hostile", policy_text('/a\\"b`${x}</script>', header))
    assert isinstance(compiled, str), compiled
    module = APP / "hostile_test_module.js"
    module.write_text(compiled, encoding="utf-8")
    try:
        shown = subprocess.run(
            [
                "node",
                "-e",
                "console.log(JSON.stringify(require(process.argv[1]).POLICIES))",
                str(module),
            ],
            cwd=APP,
            env={**os.environ, "NODE_PATH": str(MODULES)},
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        module.unlink()
    assert json.loads(shown.stdout) == data_of(compiled)
    assert json.loads(shown.stdout)[0]["prefixes"] == ['/a"b`${x}</script>']
