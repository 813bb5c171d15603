"""What the Python library targets (``starlette``/``fastapi``, ``django``, ``flask``) share.

Each library backend builds a *document* — a mapping of names to plain values (``None``,
booleans, integers, strings, lists, dicts, and :class:`Compiled` regexes) — and this module
writes it as a Python module (the default) or, with ``-O format=toml``, as TOML. It also holds
the lowering every library shares: origins as anchored, length-bounded Python regexes, the
disjoint path regexes, the grant of a policy, the capability rows no library can change, and
the static-mode deviation.

Lowering, in short:

- Exact origins go out canonical; every other pattern becomes an anchored regex from
  ``corsc.origins`` (``\\A(?:…)\\Z``, the ``python`` dialect), safe under Starlette's
  ``fullmatch`` and under Django's and Flask's start-anchored ``re.match``.
- Per-path policies become path regexes made disjoint (a policy's own prefixes minus longer
  prefixes of other policies), so a library's own ordering of them never matters.

What a library cannot reproduce so that browsers reach the evaluator's verdicts is a ``NO`` row
of its capability table (CORS601, from the shared check) or, where the condition is finer than a
feature, CORS631 from its own check; what it does differently without changing a verdict is a
declared deviation (CORS602).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import tomli_w
from attrs import frozen

from corsc import diagnostics as d
from corsc import http, origins, paths
from corsc.backends import EmitOptions, Option, OutputFile
from corsc.capabilities import Capability, Feature, Support, deviation
from corsc.diagnostics import Diagnostic
from corsc.ir import OriginPattern, PatternKind, Policy, PolicySet
from corsc.plan import GrantPlan, Plan, PolicyPlan
from corsc.provenance import provenance
from corsc.records import fields_repr

LIBRARY_CANNOT_EXPRESS = d.kind(
    "CORS631",
    "library-cannot-express",
    d.Severity.ERROR,
    "a Python CORS library cannot reproduce this construct's verdicts",
)

#: The output's format: a Python module unless TOML is asked for (never guessed from ``-o``).
FORMAT = Option(
    "format",
    "the output's format: a Python module, or TOML (values only: no compiled pattern or code)",
    default="python",
    choices=("python", "toml"),
)

#: The rows no library changes: what none of them has (per-origin settings, a deny list, a
#: refusal of unlisted origins, reflected methods).
UNEXPRESSIBLE = (
    Capability(Feature.DENY, Support.NO, "no deny list"),
    Capability(
        Feature.ORIGIN_BLOCKS, Support.NO, "one grant per configuration: no per-origin settings"
    ),
    Capability(
        Feature.UNLISTED_REJECT,
        Support.NO,
        "refused origins reach the application, which answers them",
    ),
    Capability(Feature.METHODS_ANY, Support.NO, "a fixed list of methods at most, never reflected"),
)


def origin_rows(*, exact: str, patterns: str, null: str, any_origin: str) -> tuple[Capability, ...]:
    """A library's rows for the origin forms: it expresses every one (wildcards and regexes as
    anchored regexes, echoing the allowed Origin); the notes say where each goes."""
    return (
        Capability(Feature.EXACT_ORIGIN, Support.YES, exact),
        Capability(Feature.SUBDOMAIN_ORIGIN, Support.YES, patterns),
        Capability(Feature.PORT_ORIGIN, Support.YES, patterns),
        Capability(Feature.REGEX_ORIGIN, Support.YES, patterns),
        Capability(Feature.NULL_ORIGIN, Support.YES, null),
        Capability(Feature.ANY_ORIGIN, Support.YES, any_origin),
        Capability(Feature.SEVERAL_ORIGINS, Support.YES, "echoes the allowed Origin"),
    )


def wants_toml(options: EmitOptions) -> bool:
    """Whether ``-O format=toml`` asks for TOML (anything else is the Python module)."""
    return options.get(FORMAT.key) == "toml"


@frozen
class Compiled:
    """A regex the output writes compiled (``re.compile(r"…")``), because the library would
    misread it as a string."""

    __repr__ = fields_repr

    source: str


# ---- the document as Python or TOML ------------------------------------------------------------


#: Escapes Python and JSON share, for the characters that have a short one.
_SHORT_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def _escaped_char(char: str) -> str:
    """``char`` inside a double-quoted, ASCII-only Python literal: itself when printable ASCII,
    else an escape naming its code point — ``\\U`` beyond the BMP, never a surrogate pair,
    which Python would read as two lone surrogates."""
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    if " " <= char <= "~":
        return char
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def py_string(text: str) -> str:
    """A Python string literal for ``text``, in ASCII (whatever the file's encoding is read
    as): raw when that reads better and is safe (printable ASCII, no quote, no trailing
    backslash), else double-quoted with escapes. ``ast.literal_eval`` gives ``text`` back."""
    printable = all(" " <= char <= "~" for char in text)
    if "\\" in text and printable and '"' not in text and not text.endswith("\\"):
        return f'r"{text}"'
    return '"' + "".join(_escaped_char(char) for char in text) + '"'


def py_literal(value: Any, indent: str = "") -> str:
    """A Python literal for a document value, one item per line in lists and dicts."""
    inner = indent + "    "
    if isinstance(value, Compiled):
        return f"re.compile({py_string(value.source)})"
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, str):
        return py_string(value)
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{inner}{py_literal(item, inner)},\n" for item in value)
        return f"[\n{items}{indent}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(
            f"{inner}{py_literal(key, inner)}: {py_literal(item, inner)},\n"
            for key, item in value.items()
        )
        return f"{{\n{items}{indent}}}"
    raise TypeError(f"cannot render {type(value).__name__} as Python")


def _toml_ready(value: Any) -> Any:
    """The document for tomli-w: ``None`` entries dropped (TOML has no null; every library's
    default for them is "none"), compiled path patterns as their source (the check allows TOML
    only where a string means the same)."""
    if isinstance(value, Compiled):
        return value.source
    if isinstance(value, list):
        return [_toml_ready(item) for item in value]
    if isinstance(value, dict):
        return {
            _toml_ready(key): _toml_ready(item) for key, item in value.items() if item is not None
        }
    return value


def _uses_compiled(value: Any) -> bool:
    if isinstance(value, Compiled):
        return True
    if isinstance(value, dict):
        return any(_uses_compiled(key) or _uses_compiled(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_uses_compiled(item) for item in value)
    return False


def one_line(text: str) -> str:
    """``text`` safe inside a ``#`` comment (Python or TOML): a control character (a line break
    in the source file's name) would end the comment and start code of its own."""
    return "".join("?" if ord(char) < 0x20 or ord(char) == 0x7F else char for char in text)


# ---- the lowering every library shares ---------------------------------------------------------


def grant_of(plan: PolicyPlan) -> GrantPlan:
    """The policy's own grant, with its values as the plan renders them. The libraries refuse
    origin blocks, so it answers every allowed origin; it is the policy's grant, not the plan's
    first (which may be a block's), so that a refused policy's other diagnostics still describe
    the policy itself."""
    return GrantPlan.of(1, plan.policy.grant)


def names(values: tuple[str, ...] | None) -> list[str]:
    """A granted list as the libraries take it: the names, or ``["*"]`` where reflected."""
    return ["*"] if values is None else list(values)


def expose_names(policy: Policy) -> list[str]:
    """Expose-Headers as a list: the names as sent (``http.unique_headers``), ``["*"]`` for
    ``expose *``."""
    expose = policy.grant.expose.value
    return ["*"] if expose.wildcard else list(http.unique_headers(t.value for t in expose.items))


def with_safelisted(grant: GrantPlan) -> list[str]:
    """The granted methods, then the safelisted ones not among them: Starlette and flask-cors
    refuse a preflight for GET, HEAD or POST unless listed (browsers preflight them when a
    request carries non-safelisted headers), and Allow-Methods listing them no browser minds."""
    return list(http.unique_methods((*(grant.methods or ()), *http.SAFELISTED_METHODS)))


def _kinds(policy: Policy, *kinds: PatternKind) -> list[OriginPattern]:
    """The policy's allow patterns of ``kinds``, in source order (the libraries do not choose
    among entries: one grant answers every allowed origin)."""
    return [entry.pattern for entry in policy.entries if entry.pattern.kind in kinds]


def allows_any(policy: Policy) -> bool:
    return bool(_kinds(policy, PatternKind.ANY))


def exact_origins(policy: Policy) -> list[str]:
    """Exact origins and ``null``, canonical, in order, once each."""
    found = [p.canonical for p in _kinds(policy, PatternKind.EXACT, PatternKind.NULL)]
    return list(dict.fromkeys(found))


def pattern_origins(policy: Policy) -> list[OriginPattern]:
    """The patterns the libraries get as regexes: subdomain and port wildcards, regexes."""
    return _kinds(policy, PatternKind.SUBDOMAIN, PatternKind.PORT, PatternKind.REGEX)


def bounded(regex: str) -> str:
    """An origin regex that refuses, before anything else runs, an Origin longer than any
    browser sends (``origins.MAX_ORIGIN_LENGTH``): the libraries would run the pattern over a
    header of any length, and some patterns take time that grows fast with it. The lookahead
    is Python syntax; these outputs are only ever compiled by Python's ``re``."""
    return rf"(?=[\s\S]{{0,{origins.MAX_ORIGIN_LENGTH}}}\Z)" + regex


def _prefix_regex(prefix: str) -> str:
    """A regex for one normalised prefix matching on segment boundaries (README: Paths)."""
    return "/" if prefix == "/" else re.escape(prefix) + r"(?:/|\Z)"


def path_regex(policy: Policy, policy_set: PolicySet) -> str:
    """An anchored Python regex (for ``re.match``) admitting exactly the paths whose longest
    matching prefix is ``policy``'s (README: Paths): one alternative per own prefix (``/`` for
    the fallback), each excluding the longer prefixes of other policies beneath it (for the
    fallback, every other prefix). The regexes of one policy set are therefore disjoint. Paths
    are matched as the framework hands them over, decoded: so are the prefixes
    (``/caf%C3%A9`` is ``/café``)."""
    others = sorted(
        {
            paths.selection_prefix(prefix.value)
            for other in policy_set.policies
            if other is not policy
            for prefix in other.paths
        }
    )
    alternatives = []
    for mine in [paths.selection_prefix(prefix.value) for prefix in policy.paths] or ["/"]:
        beaten_by = [
            prefix
            for prefix in others
            if policy.is_fallback
            or (len(prefix) > len(mine) and paths.prefix_matches(mine, prefix))
        ]
        exclude = "|".join(_prefix_regex(prefix) for prefix in beaten_by)
        alternatives.append((f"(?!{exclude})" if exclude else "") + _prefix_regex(mine))
    return rf"\A(?:{'|'.join(alternatives)})"


def static_deviation(
    target: str, plan: PolicyPlan, *, without_origin: bool = False
) -> Iterator[Diagnostic]:
    """Static mode sends its fixed headers (the plan's ``static_actual``: Allow-Origin,
    Allow-Credentials, Expose-Headers) on every response that is not a preflight, so a cached
    copy suits every request; the libraries send them only where they are granted
    (``without_origin``: also to requests without Origin) and add ``Vary: Origin`` instead,
    which keeps caches from reusing a response across Origins."""
    fixed = plan.policy.static_origin
    if fixed is None or (fixed == "*" and without_origin):
        return
    if fixed == "*":
        where = "only to requests that carry an Origin"
    else:
        where = f'only to requests from "{fixed}"' + (
            " and requests without Origin" if without_origin else ""
        )
    shown_names = [
        f"Allow-Origin `{value}`"
        if name == http.ALLOW_ORIGIN
        else name.removeprefix("Access-Control-")
        for name, value in plan.static_actual
    ]
    shown = (
        shown_names[0]
        if len(shown_names) == 1
        else ", ".join(shown_names[:-1]) + " and " + shown_names[-1]
    )
    verb, pronoun = ("is", "it") if len(shown_names) == 1 else ("are", "them")
    yield deviation(
        target,
        f"the fixed {shown} {verb} sent {where}, with `Vary: Origin` on every response, where "
        f"the policy sends {pronoun} on every response: caches keep one copy per Origin instead "
        "of one for all",
        plan.policy.span,
    )


class LibraryBackend:
    """A library target: its names, table and check (in the subclass), and the shared emit —
    the document written as a Python module or, with ``-O format=toml``, TOML."""

    names: tuple[str, ...]
    summary: str
    capabilities: Mapping[Feature, Capability]
    deviations: tuple[str, ...]
    serves = True
    options: tuple[Option, ...] = (FORMAT,)
    #: File name stem of the output (a valid module name that shadows no library).
    stem: str
    #: The module docstring: how to use the file.
    usage: str
    placement = "importable by the application (see the module's docstring)"

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        raise NotImplementedError

    def document(self, plan: Plan) -> dict[str, Any]:
        raise NotImplementedError

    def code(self, plan: Plan) -> str:
        """Python that follows the assignments (functions); empty by default."""
        return ""

    def toml_document(self, plan: Plan) -> dict[str, Any]:
        """What a TOML output holds: by default the keyword arguments, so that ``tomllib.load``
        gives what the library takes."""
        options: dict[str, Any] = self.document(plan)["CORS_OPTIONS"]
        return options

    def imports(self, document: Mapping[str, Any]) -> str:
        return "import re\n\n" if _uses_compiled(document) else ""

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        header = one_line(
            provenance(options.version, options.source_name, options.target, policy_set)
        )
        plan = Plan.of(policy_set)
        if wants_toml(options):
            toml = _toml_ready(self.toml_document(plan))
            content = f"# {header}\n" + tomli_w.dumps(toml)
            return [OutputFile(f"{self.stem}.toml", content, self.placement)]
        document = self.document(plan)
        body = "".join(f"{name} = {py_literal(value)}\n" for name, value in document.items())
        imports = self.imports(document)
        content = f'# {header}\n"""{self.usage}"""\n\n{imports}{body}{self.code(plan)}'
        return [OutputFile(f"{self.stem}.py", content, self.placement)]
