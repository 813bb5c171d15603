"""How the ``caddy`` target chooses the policy of a request by its path (corsc/paths.py): the
longest ``paths`` prefix on segment boundaries, else the fallback, on the path as corsc reads
it — and the same choice on the forms servers route it as, else 400 with no CORS headers.

Each form is a variable set to the number of the policy its longest prefix belongs to (0 for
none): the prefixes are tried shortest first, so a longer one sets it later and wins. Caddy
reads four forms:

- ``a``: ``path_regexp`` (Caddy cleans the path: every escape decoded, ``%2F`` too, runs of
  slashes merged, dot segments removed) — it also chooses the policy that answers;
- ``b``: ``{http.request.uri.path}``, decoded as ``a`` but neither merged nor cleaned;
- ``c``: the same with runs of slashes merged (each ``/`` of a prefix as ``/+``);
- ``d``: the request target as received, ``{http.request.uri}``, each prefix character as
  itself or its percent-escapes, ``%2F`` as data: the path as corsc reads it, dot segments
  aside.

Caddy 2.6's ``vars_regexp`` with a placeholder for its key first tests the variable of that
name, which is unset and reads as the text ``<nil>``: every regex here starts with ``^/``, which
that text never matches, so only the placeholder's value decides.

A request whose forms do not all choose the same policy is answered 400, as the evaluator
answers a path it finds ambiguous. The evaluator also compares the path with dot segments
removed and runs of slashes kept, which no Caddy placeholder holds: a path whose dot
segments and doubled slashes make only that form (or corsc's own reading) differ, such as
``/api/..//api``, is answered by ``a``'s policy where corsc refuses it (the declared
deviation).
"""

from __future__ import annotations

from collections.abc import Callable

from corsc import paths
from corsc.backends.caddy_policy import quoted
from corsc.plan import Plan

#: The variable holding the number of the policy chosen for the path, and its other forms.
VAR = "corsc_policy"
_FORMS = {"a": VAR, "b": "corsc_path_b", "c": "corsc_path_c", "d": "corsc_path_d"}
_DECODED = "{http.request.uri.path}"
_RAW = "{http.request.uri}"


def _char(c: str) -> str:
    """One character of a decoded path as RE2 text: ASCII but letters, digits and ``-`` as
    ``\\xHH``; characters beyond ASCII as themselves (a Caddyfile is UTF-8)."""
    return c if c.isalnum() or c == "-" or ord(c) > 0x7F else f"\\x{ord(c):02x}"


def _hex(byte: int) -> str:
    return "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in f"{byte:02X}")


def _raw_char(c: str) -> str:
    """One character of the path as corsc reads it, as the request target may write it."""
    escapes = "".join(f"%{_hex(byte)}" for byte in c.encode("utf-8", "surrogatepass"))
    return f"(?:{_char(c)}|{escapes})"


def _decoded(prefix: str) -> str:
    return paths.decoded_path(prefix).rstrip("/") or "/"


def _segments(prefix: str, slash: str, char: Callable[[str], str]) -> str:
    return slash.join("".join(char(c) for c in segment) for segment in prefix.split("/"))


def prefix_regex(form: str, prefix: str) -> str:
    """The RE2 text matching the paths ``prefix`` governs, in ``form`` (``a`` to ``d``; import
    reads corsc's own matchers back by it)."""
    if form in "ab":
        return f"^{_segments(_decoded(prefix), '/', _char)}(?:/|\\z)"
    if form == "c":
        return f"^{_segments(_decoded(prefix), '/+', _char)}(?:/|\\z)"
    kept = paths.selection_prefix(prefix)
    parts = []
    index = 0
    while index < len(kept):
        if kept[index : index + 3] in ("%2F", "%25"):
            parts.append("%2[fF]" if kept[index + 2] == "F" else "%25")
            index += 3
            continue
        parts.append("/" if kept[index] == "/" else _raw_char(kept[index]))
        index += 1
    return f"^{''.join(parts)}(?:/|\\?|\\z)"


def _length(form: str, prefix: str) -> int:
    return len(paths.selection_prefix(prefix) if form == "d" else _decoded(prefix))


def choose(plan: Plan) -> tuple[list[str], list[str]]:
    """The matchers and the route lines that set :data:`VAR` to the number of the chosen
    policy, and answer 400 to a request whose forms choose different policies."""
    numbered = list(enumerate(plan.policies, 1))
    prefixes = [(prefix.value, n) for n, policy in numbered for prefix in policy.policy.paths]
    # A "/" prefix matches every path in every form, and any prefix wins over the fallback.
    fallback = next(
        (n for prefix, n in prefixes if _decoded(prefix) == "/"),
        next((n for n, policy in numbered if not policy.policy.paths), 0),
    )
    if not prefixes:  # every path gets the fallback: nothing to compare
        return [], [f"vars {VAR} {fallback}"]
    matchers: list[str] = []
    route: list[str] = []
    for form, var in _FORMS.items():
        route.append(f"vars {var} {fallback}")
        found = sorted(
            ((p, n) for p, n in prefixes if _decoded(p) != "/"), key=lambda i: _length(form, i[0])
        )
        for index, (prefix, number) in enumerate(found, 1):
            name = f"corsc_path_{form}{index}"
            regex = quoted(prefix_regex(form, prefix))
            if form == "a":
                matchers.append(f"\t@{name} path_regexp {regex}")
            else:
                placeholder = _RAW if form == "d" else _DECODED
                matchers.append(f"\t@{name} vars_regexp {placeholder} {regex}")
            route.append(f"vars @{name} {var} {number}")
    key = "/".join(f"{{http.vars.{var}}}" for var in _FORMS.values())
    route.append(f'vars corsc_path_forms "{key}"')
    agreed = " ".join(
        '"' + "/".join([str(n)] * len(_FORMS)) + '"' for n in range(len(numbered) + 1)
    )
    matchers.append(f"\t@corsc_path_ambiguous not vars corsc_path_forms {agreed}")
    route.append("respond @corsc_path_ambiguous 400")
    return matchers, route
