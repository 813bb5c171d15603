"""The Python library targets: ``starlette`` (alias ``fastapi``), ``django`` and ``flask``.

Each writes the configuration of a widely used CORS library — keyword arguments for
Starlette's ``CORSMiddleware`` (FastAPI re-exports the same class), settings for
django-cors-headers, options for flask-cors — as a Python module (or TOML, where no compiled
pattern or code is needed and ``-o`` names a ``.toml`` file). What each library does was
observed in the real frameworks (the versions docs/python.md lists); tests drive each one
in-process over the conformance table and judge it by the browser model.

Lowering:

- Exact origins go out canonical; every other pattern becomes an anchored regex from
  ``corsc.origins`` (``\\A(?:…)\\Z``, the ``python`` dialect), safe under Starlette's
  ``fullmatch`` and under Django's and Flask's start-anchored ``re.match``. flask-cors guesses
  whether a string is a regex, so its patterns (and exact origins with regex characters, such as
  IPv6 brackets) are emitted compiled: ``re.compile(r"…")``.
- Starlette and flask-cors refuse a preflight for GET, HEAD or POST unless listed (browsers
  preflight them when a request carries non-safelisted headers), so those are added to their
  methods; Allow-Methods then lists them, which no browser minds.
- Max-Age is always explicit: Starlette cannot omit it (corsc sends 5, what browsers assume
  when none is sent); Django's 0 omits it.
- Per-path policies: flask-cors ``resources``, with path regexes made disjoint (a policy's own
  prefixes minus longer prefixes of other policies), so flask-cors's own ordering of resources
  never matters; Django's ``CORS_URLS_REGEX`` for a file with one policy; Starlette none.

What a library cannot reproduce so that browsers reach the evaluator's verdicts is CORS631 at
the statement that needs it, naming the ``python`` target (corsc's own middleware); what it does
differently without changing a verdict is a declared deviation (CORS602, info), listed in each
backend's capability table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import tomli_w
from attrs import frozen

from corsc import diagnostics as d
from corsc import origins, paths
from corsc.backends import EmitOptions, Option, OutputFile
from corsc.capabilities import Capability, Feature, all_supported, deviation
from corsc.diagnostics import Diagnostic
from corsc.ir import OriginPattern, PatternKind, Policy, PolicySet, TokenList
from corsc.provenance import provenance
from corsc.source import Span

LIBRARY_CANNOT_EXPRESS = d.kind(
    "CORS631",
    "library-cannot-express",
    d.Severity.ERROR,
    "a Python CORS library cannot reproduce this construct's verdicts",
)
LIBRARY_TOML_LOSES_MEANING = d.kind(
    "CORS632",
    "library-toml-loses-meaning",
    d.Severity.ERROR,
    "this library's configuration needs Python (compiled patterns or code), not TOML",
)

#: Methods browsers never need granted, but which Starlette and flask-cors check preflights for.
SAFELISTED_METHODS = ("GET", "HEAD", "POST")
#: Request headers Starlette grants whatever it is configured with (starlette/middleware/cors.py).
STARLETTE_ALWAYS_ALLOWED = ("Accept", "Accept-Language", "Content-Language", "Content-Type")
#: Characters that make flask-cors read a string as a regex (flask_cors/core.py).
FLASK_REGEX_HINTS = frozenset("*\\]?$^[()")
#: Browsers' Max-Age when none is sent (fetch.bs); what Starlette gets instead of "not sent".
BROWSER_DEFAULT_MAX_AGE = 5

_PYTHON_HELP = (
    "compile with `--target python` (corsc's own ASGI/WSGI middleware answers exactly as the "
    "policy says), or change the policy"
)


def _cannot(target: str, what: str, span: Span) -> Diagnostic:
    return LIBRARY_CANNOT_EXPRESS.at(span, f"target `{target}` cannot express {what}", _PYTHON_HELP)


@frozen
class Compiled:
    """A regex the output writes compiled (``re.compile(r"…")``), because the library would
    misread it as a string."""

    source: str


# ---- rendering Python and TOML --------------------------------------------------------------


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


def _py_string(text: str) -> str:
    """A Python string literal for ``text``, in ASCII (whatever the file's encoding is read
    as): raw when that reads better and is safe (printable ASCII, no quote, no trailing
    backslash), else double-quoted with escapes."""
    printable = all(" " <= char <= "~" for char in text)
    if "\\" in text and printable and '"' not in text and not text.endswith("\\"):
        return f'r"{text}"'
    return '"' + "".join(_escaped_char(char) for char in text) + '"'


def _py(value: Any, indent: str = "") -> str:
    """A Python literal for a document value, one item per line in lists and dicts."""
    inner = indent + "    "
    if isinstance(value, Compiled):
        return f"re.compile({_py_string(value.source)})"
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, str):
        return _py_string(value)
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{inner}{_py(item, inner)},\n" for item in value)
        return f"[\n{items}{indent}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(
            f"{inner}{_py(key, inner)}: {_py(item, inner)},\n" for key, item in value.items()
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


def _one_line(text: str) -> str:
    """``text`` safe inside a ``#`` comment: a control character would end it."""
    return "".join("?" if ord(char) < 0x20 or ord(char) == 0x7F else char for char in text)


def _is_toml(options: EmitOptions) -> bool:
    return options.output.lower().endswith(".toml")


# ---- what every library shares --------------------------------------------------------------


def _names(tokens: TokenList, *, fold_case: bool) -> list[str]:
    """A list as the evaluator renders it: in order, without (case-insensitive) repeats."""
    first: dict[str, str] = {}
    for name in tokens.values:
        first.setdefault(name.lower() if fold_case else name, name)
    return list(first.values())


def _with_safelisted(methods: TokenList) -> list[str]:
    written = _names(methods, fold_case=False)
    return written + [method for method in SAFELISTED_METHODS if method not in written]


def _kinds(policy: Policy, *kinds: PatternKind) -> list[OriginPattern]:
    return [entry.pattern for entry in policy.entries if entry.pattern.kind in kinds]


def _allows_any(policy: Policy) -> bool:
    return bool(_kinds(policy, PatternKind.ANY))


def _exact(policy: Policy) -> list[str]:
    """Exact origins and ``null``, canonical, in order, once each."""
    found = [p.canonical for p in _kinds(policy, PatternKind.EXACT, PatternKind.NULL)]
    return list(dict.fromkeys(found))


def _patterns(policy: Policy) -> list[OriginPattern]:
    return _kinds(policy, PatternKind.SUBDOMAIN, PatternKind.PORT, PatternKind.REGEX)


def _bounded(regex: str) -> str:
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


def _common_errors(target: str, policy: Policy) -> Iterator[Diagnostic]:
    """What none of the three libraries has: per-origin settings, deny, unlisted reject and
    reflected methods."""
    for entry in policy.entries:
        if entry.block:
            yield _cannot(
                target,
                f'per-origin settings (the origin block for "{entry.pattern.text}")',
                entry.span,
            )
    for pattern in policy.denies:
        yield _cannot(target, f'`deny "{pattern.text}"` (no deny list)', pattern.span)
    if policy.unlisted.value.value == "reject":
        yield _cannot(
            target,
            "`unlisted reject` (it lets refused origins reach the application)",
            policy.unlisted.span,
        )
    if policy.grant.methods.value.wildcard:
        yield _cannot(
            target,
            "`methods *` (reflecting any requested method; it grants a fixed list at most)",
            policy.grant.methods.span,
        )


def _static_deviation(
    target: str, policy: Policy, *, without_origin: bool = False
) -> Iterator[Diagnostic]:
    """Static mode sends its fixed headers (Allow-Origin, Allow-Credentials, Expose-Headers) on
    every response that is not a preflight, so a cached copy suits every request; the libraries
    send them only where they are granted (``without_origin``: also to requests without Origin)
    and add ``Vary: Origin`` instead, which keeps caches from reusing a response across
    Origins."""
    fixed = policy.static_origin
    if fixed is None or (fixed == "*" and without_origin):
        return
    if fixed == "*":
        where = "only to requests that carry an Origin"
    else:
        where = f'only to requests from "{fixed}"' + (
            " and requests without Origin" if without_origin else ""
        )
    grant = policy.grant
    names = [f"Allow-Origin `{fixed}`"]
    if grant.credentials.value:
        names.append("Allow-Credentials")
    if grant.expose.value.wildcard or grant.expose.value.items:
        names.append("Expose-Headers")
    shown = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb, pronoun = ("is", "it") if len(names) == 1 else ("are", "them")
    yield deviation(
        target,
        f"the fixed {shown} {verb} sent {where}, with `Vary: Origin` on every response, where "
        f"the policy sends {pronoun} on every response: caches keep one copy per Origin instead "
        "of one for all",
        policy.span,
    )


def _max_age_span(policy: Policy) -> Span:
    return policy.grant.max_age.span


class _LibraryBackend:
    """Shared emit plumbing: the document (a mapping of names to values) becomes a Python
    module or, with a ``.toml`` ``-o``, TOML."""

    names: tuple[str, ...]
    summary: str
    capabilities: Mapping[Feature, Capability]
    deviations: tuple[str, ...]
    serves = True
    options: tuple[Option, ...] = ()
    #: File name stem of the output (a valid module name that shadows no library).
    stem: str
    #: The module docstring: how to use the file.
    usage: str

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        raise NotImplementedError

    def document(self, policy_set: PolicySet) -> dict[str, Any]:
        raise NotImplementedError

    def code(self, policy_set: PolicySet) -> str:
        """Python that follows the assignments (functions); empty by default."""
        return ""

    def toml_document(self, policy_set: PolicySet) -> dict[str, Any]:
        """What a ``.toml`` output holds: by default the keyword arguments, so that
        ``tomllib.load`` gives what the library takes."""
        options: dict[str, Any] = self.document(policy_set)["CORS_OPTIONS"]
        return options

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        header = _one_line(
            provenance(options.version, options.source_name, options.target, policy_set)
        )
        document = self.document(policy_set)
        if _is_toml(options):
            toml = _toml_ready(self.toml_document(policy_set))
            content = f"# {header}\n" + tomli_w.dumps(toml)
            return [OutputFile(f"{self.stem}.toml", content, self.placement)]
        body = "".join(f"{name} = {_py(value)}\n" for name, value in document.items())
        imports = self.imports(policy_set, document)
        content = f'# {header}\n"""{self.usage}"""\n\n{imports}{body}{self.code(policy_set)}'
        return [OutputFile(f"{self.stem}.py", content, self.placement)]

    def imports(self, policy_set: PolicySet, document: Mapping[str, Any]) -> str:
        return "import re\n\n" if _uses_compiled(document) else ""

    @property
    def placement(self) -> str:
        return "importable by the application (see the module's docstring)"


def _uses_compiled(value: Any) -> bool:
    if isinstance(value, Compiled):
        return True
    if isinstance(value, dict):
        return any(_uses_compiled(key) or _uses_compiled(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_uses_compiled(item) for item in value)
    return False


# ---- Starlette / FastAPI --------------------------------------------------------------------


class StarletteBackend(_LibraryBackend):
    """Keyword arguments for ``starlette.middleware.cors.CORSMiddleware`` (1.10.0)."""

    names = ("starlette", "fastapi")
    summary = (
        "keyword arguments for Starlette's CORSMiddleware (FastAPI's is the same class): "
        "a Python module, or TOML with -o FILE.toml"
    )
    deviations = (
        "exact origins, null, `*` (yes): allow_origins (exact, case-sensitive)",
        "subdomain and port wildcards, regex (yes): one allow_origin_regex (fullmatch)",
        "headers * (yes): echoes the request's headers, with Vary (Starlette 1.7+)",
        "credentials, expose, max-age, private-network (yes)",
        "per-path policies (`paths`) (no): no path option; use --target python",
        "origin blocks, deny, unlisted reject, methods * (no): --target python",
        (
            "headers that do not list Accept, Accept-Language, Content-Language, Content-Type "
            "(no): Starlette always grants those four"
        ),
        "refused preflight (deviation): 400 `Disallowed CORS …`, not 403",
        "accepted preflight (deviation): always 200 with the body `OK`",
        "Allow-Methods (deviation): also lists GET, HEAD, POST (Starlette checks them)",
        "Allow-Headers (deviation): sorted, with the four safelisted names, every preflight",
        "max-age not set (deviation): Max-Age: 5, what browsers assume",
        (
            "Allow-Credentials, Expose-Headers (deviation): also on responses to refused origins "
            "(no Allow-Origin there, so nothing is shared)"
        ),
        (
            "unhandled exceptions (deviation): CORS headers on the 500 only when CORSMiddleware "
            "wraps the app (as documented here)"
        ),
    )
    capabilities = all_supported()
    serves = True
    stem = "cors_starlette"
    usage = """Keyword arguments for Starlette's CORSMiddleware, compiled by corsc.

FastAPI's fastapi.middleware.cors.CORSMiddleware is the same class. Wrap the whole application,
so that the 500 of an unhandled exception carries CORS headers too::

    from starlette.middleware.cors import CORSMiddleware
    from cors_starlette import CORS_OPTIONS

    app = CORSMiddleware(app, **CORS_OPTIONS)

Verified with Starlette 1.10.0 and FastAPI 0.165.0.
"""

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        target = options.target
        found: list[Diagnostic] = []
        for policy in policy_set.policies:
            found.extend(_common_errors(target, policy))
            if policy.paths:
                found.append(
                    _cannot(
                        target,
                        f'per-path policies (policy "{policy.name}" governs only some paths; '
                        "CORSMiddleware has no path option)",
                        policy.paths[0].span,
                    )
                )
            headers = policy.grant.headers
            if not headers.value.wildcard:
                granted = {name.lower() for name in headers.value.values}
                missing = [h for h in STARLETTE_ALWAYS_ALLOWED if h.lower() not in granted]
                if missing:
                    found.append(
                        LIBRARY_CANNOT_EXPRESS.at(
                            headers.span,
                            f"target `{target}` cannot express `headers` without "
                            f"{', '.join(missing)}: Starlette grants "
                            f"{', '.join(STARLETTE_ALWAYS_ALLOWED)} whatever it is told",
                            f"add {', '.join(missing)} to `headers`, or compile with "
                            "`--target python`, which answers exactly as the policy says",
                        )
                    )
            found.extend(self.policy_deviations(target, policy))
        return found

    def policy_deviations(self, target: str, policy: Policy) -> Iterator[Diagnostic]:
        yield deviation(
            target,
            "a refused preflight is answered 400 `Disallowed CORS …`, not 403 "
            "(and so is a Private Network Access preflight when private-network is off)",
            policy.span,
        )
        if policy.preflight_status.value != 200:
            yield deviation(
                target,
                "an accepted preflight is answered 200 with the body `OK`, not "
                f"{policy.preflight_status.value}",
                policy.preflight_status.span,
            )
        methods = policy.grant.methods
        if _with_safelisted(methods.value) != _names(methods.value, fold_case=False):
            yield deviation(
                target,
                "Allow-Methods also lists GET, HEAD and POST, which Starlette must be given to "
                "accept preflights for them",
                methods.span,
            )
        if not policy.grant.headers.value.wildcard:
            yield deviation(
                target,
                "Allow-Headers goes out sorted on every accepted preflight, whether or not "
                "headers were requested",
                policy.grant.headers.span,
            )
        if policy.grant.max_age.value is None:
            yield deviation(
                target,
                f"Max-Age: {BROWSER_DEFAULT_MAX_AGE} is sent (Starlette always sends one), the "
                "value browsers assume when none is sent",
                _max_age_span(policy),
            )
        grant = policy.grant
        if grant.credentials.value or grant.expose.value.items or grant.expose.value.wildcard:
            yield deviation(
                target,
                "Allow-Credentials and Expose-Headers go out to refused origins too (without "
                "Allow-Origin, so nothing is shared)",
                policy.span,
            )
        yield from _static_deviation(target, policy)

    def document(self, policy_set: PolicySet) -> dict[str, Any]:
        (policy,) = policy_set.policies
        grant = policy.grant
        patterns = _patterns(policy)
        any_origin = _allows_any(policy)
        headers = grant.headers.value
        expose = grant.expose.value
        kwargs = {
            "allow_origins": ["*"] if any_origin else _exact(policy),
            "allow_origin_regex": (
                _bounded(origins.render_union(patterns, "python"))
                if patterns and not any_origin
                else None
            ),
            "allow_methods": _with_safelisted(grant.methods.value),
            "allow_headers": ["*"] if headers.wildcard else _names(headers, fold_case=True),
            "allow_credentials": grant.credentials.value,
            "allow_private_network": grant.private_network.value,
            "expose_headers": ["*"] if expose.wildcard else _names(expose, fold_case=True),
            "max_age": (
                BROWSER_DEFAULT_MAX_AGE if grant.max_age.value is None else grant.max_age.value
            ),
        }
        return {"CORS_OPTIONS": kwargs}


# ---- Django ---------------------------------------------------------------------------------


class DjangoBackend(_LibraryBackend):
    """Settings for django-cors-headers (4.9.0) on Django (5.2)."""

    names = ("django",)
    summary = "settings for django-cors-headers: a Python module, or TOML with -o FILE.toml"
    deviations = (
        "exact origins, null, `*` (yes): CORS_ALLOWED_ORIGINS, CORS_ALLOW_ALL_ORIGINS",
        (
            "subdomain and port wildcards, regex (yes): CORS_ALLOWED_ORIGIN_REGEXES, anchored "
            "with \\A…\\Z (it uses re.match)"
        ),
        "credentials, expose, max-age, private-network (yes)",
        "one policy's `paths` (yes): CORS_URLS_REGEX (matched on the decoded path_info)",
        "several policies (no): one configuration per project; --target python",
        "origin blocks, deny, unlisted reject, methods *, headers * (no): --target python",
        "refused preflight (deviation): 200 with an empty body and no CORS headers",
        "accepted preflight (deviation): always 200",
        (
            "preflight for a method or header not granted (deviation): answered with the grants "
            "(no server check); the browser refuses it"
        ),
        (
            "Allow-Methods, Allow-Headers, Max-Age (deviation): on every OPTIONS response to an "
            "allowed origin"
        ),
        "max-age 0 (deviation): Max-Age is omitted (browsers then assume 5)",
        (
            "OPTIONS with Access-Control-Request-Method but no Origin (deviation): answered 200 "
            "by django-cors-headers, not by the view (not a CORS request)"
        ),
        (
            "unhandled exceptions (deviation): Django's 500 carries no CORS headers (handler500 "
            "is outside the middleware)"
        ),
    )
    capabilities = all_supported()
    serves = True
    stem = "cors_django"
    usage = """django-cors-headers settings, compiled by corsc.

In settings.py::

    from .cors_django import *  # noqa: F403

with "corsheaders" in INSTALLED_APPS and "corsheaders.middleware.CorsMiddleware" in MIDDLEWARE
above CommonMiddleware (and WhiteNoise). Paths are matched against path_info.

Verified with Django 5.2.19 and django-cors-headers 4.9.0.
"""

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        target = options.target
        found: list[Diagnostic] = []
        for index, policy in enumerate(policy_set.policies):
            found.extend(_common_errors(target, policy))
            if index:
                found.append(
                    _cannot(
                        target,
                        f'a second policy ("{policy.name}"): django-cors-headers applies one '
                        "configuration to every path it enables",
                        policy.paths[0].span if policy.paths else policy.span,
                    )
                )
            headers = policy.grant.headers
            if headers.value.wildcard:
                found.append(
                    _cannot(
                        target,
                        "`headers *` (it sends a literal `*`, which never covers Authorization "
                        "or credentialed requests)",
                        headers.span,
                    )
                )
            found.extend(self.policy_deviations(target, policy))
        return found

    def policy_deviations(self, target: str, policy: Policy) -> Iterator[Diagnostic]:
        yield deviation(
            target,
            "a refused preflight is answered 200 with an empty body and no grants, not 403",
            policy.span,
        )
        if policy.preflight_status.value != 200:
            yield deviation(
                target,
                f"an accepted preflight is answered 200, not {policy.preflight_status.value}",
                policy.preflight_status.span,
            )
        yield deviation(
            target,
            "preflights for methods or headers that are not granted are answered with the "
            "grants (django-cors-headers does not check them); the browser refuses them",
            policy.grant.methods.span,
        )
        yield deviation(
            target,
            "Allow-Methods, Allow-Headers and Max-Age go out on every OPTIONS response to an "
            "allowed origin, whether or not it asked for them",
            policy.span,
        )
        yield deviation(
            target,
            "OPTIONS with Access-Control-Request-Method but without Origin (not a CORS request) "
            "is answered 200 by django-cors-headers instead of the application",
            policy.span,
        )
        if policy.grant.max_age.value == 0:
            yield deviation(
                target,
                "max-age 0 is not sent (django-cors-headers omits 0); browsers then cache the "
                "preflight for 5 seconds",
                _max_age_span(policy),
            )
        if policy.grant.private_network.value:
            yield deviation(
                target,
                "Allow-Private-Network also goes out on non-preflight responses that ask for it",
                policy.grant.private_network.span,
            )
        if policy.paths:
            yield deviation(
                target,
                "paths are matched after Django decodes them (`%2F` is `/` there; doubled "
                "slashes and dot segments stay): where the policy refuses a path with 400 "
                "because decoding `%2F` changes its policy, Django applies the decoded path's",
                policy.paths[0].span,
            )
        yield from _static_deviation(target, policy)

    def document(self, policy_set: PolicySet) -> dict[str, Any]:
        (policy,) = policy_set.policies
        grant = policy.grant
        any_origin = _allows_any(policy)
        max_age = grant.max_age.value
        expose = grant.expose.value
        return {
            "CORS_ALLOW_ALL_ORIGINS": any_origin,
            "CORS_ALLOWED_ORIGINS": [] if any_origin else _exact(policy),
            "CORS_ALLOWED_ORIGIN_REGEXES": (
                []
                if any_origin
                else [_bounded(origins.render_pattern(p, "python")) for p in _patterns(policy)]
            ),
            "CORS_URLS_REGEX": path_regex(policy, policy_set),
            "CORS_ALLOW_METHODS": _names(grant.methods.value, fold_case=False),
            "CORS_ALLOW_HEADERS": _names(grant.headers.value, fold_case=True),
            "CORS_EXPOSE_HEADERS": ["*"] if expose.wildcard else _names(expose, fold_case=True),
            "CORS_ALLOW_CREDENTIALS": grant.credentials.value,
            # 0 is django-cors-headers' "send no Max-Age".
            "CORS_PREFLIGHT_MAX_AGE": 0 if max_age is None else max_age,
            "CORS_ALLOW_PRIVATE_NETWORK": grant.private_network.value,
        }

    def toml_document(self, policy_set: PolicySet) -> dict[str, Any]:
        """Settings by name: ``globals().update(tomllib.load(f))`` in settings.py."""
        return self.document(policy_set)


# ---- Flask ----------------------------------------------------------------------------------

_FLASK_CODE = '''

def init_cors(app):
    """flask-cors with CORS_OPTIONS on ``app``, and the Vary members in VARY on every
    response (flask-cors sends Vary: Origin only where it sends CORS headers)."""
    # Flask runs after_request functions last registered first: this one runs after flask-cors's.
    app.after_request(_vary)
    CORS(app, **CORS_OPTIONS)


def _vary(response):
    present = {
        member.strip().lower()
        for value in response.headers.getlist("Vary")
        for member in value.split(",")
    }
    if "*" not in present:
        for member in VARY:
            if member.lower() not in present:
                response.headers.add("Vary", member)
    return response
'''

_FLASK_CODE_WITHOUT_VARY = '''

def init_cors(app):
    """flask-cors with CORS_OPTIONS on ``app``."""
    CORS(app, **CORS_OPTIONS)
'''


def _flask_origin(pattern: OriginPattern) -> str | Compiled:
    """A plain string when flask-cors reads it as a literal (it then compares ignoring case,
    which no browser-sent Origin notices), else the anchored pattern, compiled."""
    if pattern.kind in (PatternKind.EXACT, PatternKind.NULL) and FLASK_REGEX_HINTS.isdisjoint(
        pattern.canonical
    ):
        return pattern.canonical
    return Compiled(_bounded(origins.render_pattern(pattern, "python")))


def _flask_vary(policy_set: PolicySet) -> tuple[str, ...]:
    """Vary members flask-cors leaves out: ``Origin`` unless every policy sends a fixed
    ``*``, and ``Access-Control-Request-Headers`` where headers are reflected."""
    members: list[str] = []
    if any(policy.static_origin != "*" for policy in policy_set.policies):
        members.append("Origin")
    if any(policy.grant.headers.value.wildcard for policy in policy_set.policies):
        members.append("Access-Control-Request-Headers")
    return tuple(members)


class FlaskBackend(_LibraryBackend):
    """Options for flask-cors (6.0.5) on Flask (3.1)."""

    names = ("flask",)
    summary = "options for flask-cors, with init_cors(app): a Python module"
    deviations = (
        (
            "exact origins, null, `*`, wildcards, regex (yes): origins; patterns compiled and "
            "anchored (flask-cors guesses regexes from strings)"
        ),
        "per-path policies (`paths`) (yes): resources, with disjoint path regexes",
        "headers * (yes): flask-cors echoes the requested headers",
        "credentials, expose, max-age, private-network (yes)",
        "Vary (yes): init_cors(app) adds the members flask-cors omits on other responses",
        "origin blocks, deny, unlisted reject, methods * (no): --target python",
        (
            "methods not in uppercase, header names with * ^ $ (no): flask-cors uppercases "
            "methods and reads such names as regexes"
        ),
        (
            "preflight status (deviation): Flask's own OPTIONS answer (200 on routes, 404 on "
            "unknown URLs), never 403"
        ),
        (
            "Allow-Methods, Expose-Headers, Allow-Headers (deviation): sorted; methods also list "
            "GET, HEAD, POST; only the requested headers granted"
        ),
        (
            "Allow-Private-Network (deviation): `false` where the policy sends none; also on "
            "non-preflight responses"
        ),
        "TOML output (no): only where no compiled pattern or init_cors is needed",
    )
    capabilities = all_supported()
    serves = True
    stem = "cors_flask"
    usage = """flask-cors options, compiled by corsc.

    from cors_flask import init_cors

    init_cors(app)

init_cors() calls flask_cors.CORS(app, **CORS_OPTIONS) and adds the Vary members in VARY to
every response. Patterns are compiled: flask-cors would guess whether a string is a regex.

Verified with Flask 3.1.3 and flask-cors 6.0.5.
"""

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        target = options.target
        found: list[Diagnostic] = []
        for policy in policy_set.policies:
            found.extend(_common_errors(target, policy))
            for token in policy.grant.methods.value.items:
                if token.value != token.value.upper():
                    found.append(
                        _cannot(
                            target,
                            f"the method `{token.value}` (flask-cors sends it as "
                            f"`{token.value.upper()}`, which a browser does not match)",
                            token.span,
                        )
                    )
            for token in policy.grant.headers.value.items:
                if not FLASK_REGEX_HINTS.isdisjoint(token.value):
                    found.append(
                        _cannot(
                            target,
                            f"the header name `{token.value}` (flask-cors reads it as a regex)",
                            token.span,
                        )
                    )
            found.extend(self.policy_deviations(target, policy))
        if _is_toml(options):
            found.extend(self.toml_problems(policy_set))
        return found

    def toml_problems(self, policy_set: PolicySet) -> Iterator[Diagnostic]:
        for policy in policy_set.policies:
            if _allows_any(policy):
                continue  # flask-cors gets the string "*" alone
            for entry in policy.entries:
                if isinstance(_flask_origin(entry.pattern), Compiled):
                    yield LIBRARY_TOML_LOSES_MEANING.at(
                        entry.span,
                        f'flask-cors needs "{entry.pattern.text}" as a compiled regex; in TOML '
                        "it would be a string whose regex-ness flask-cors guesses",
                        "write a Python module (-o cors_flask.py) and call init_cors(app)",
                    )
        if _flask_vary(policy_set):
            first = policy_set.policies[0]
            yield LIBRARY_TOML_LOSES_MEANING.at(
                first.span,
                "the Vary members flask-cors omits are added by init_cors(app), which TOML "
                "cannot hold",
                "write a Python module (-o cors_flask.py) and call init_cors(app)",
            )

    def policy_deviations(self, target: str, policy: Policy) -> Iterator[Diagnostic]:
        yield deviation(
            target,
            "preflights are answered by Flask (200 on its routes, 404 on unknown URLs), not "
            f"{policy.preflight_status.value}; a refused one gets no CORS headers, not 403",
            policy.span,
        )
        grant = policy.grant
        methods = _with_safelisted(grant.methods.value)
        if methods != sorted(methods):
            yield deviation(
                target,
                "Allow-Methods is sorted"
                + (
                    " and also lists GET, HEAD and POST (flask-cors checks preflights for them)"
                    if methods != _names(grant.methods.value, fold_case=False)
                    else ""
                ),
                grant.methods.span,
            )
        expose = _names(grant.expose.value, fold_case=True)
        if expose != sorted(expose):
            yield deviation(target, "Expose-Headers is sorted", grant.expose.span)
        if not grant.headers.value.wildcard:
            yield deviation(
                target,
                "Allow-Headers names only the requested headers that are granted, sorted",
                grant.headers.span,
            )
        yield deviation(
            target,
            "a request from an allowed origin asking for Private Network Access gets "
            "Allow-Private-Network "
            + ("`true` on any response" if grant.private_network.value else "`false`"),
            grant.private_network.span,
        )
        if policy.paths:
            yield deviation(
                target,
                "paths are matched after Flask decodes them, and flask-cors decodes them once "
                "more (`%2F` and `%252F` are `/` there; dot segments stay): where the policy "
                "refuses a path with 400 because decoding `%2F` changes its policy, flask-cors "
                "applies the decoded path's",
                policy.paths[0].span,
            )
        yield from _static_deviation(target, policy, without_origin=True)

    def resource(self, policy: Policy) -> dict[str, Any]:
        grant = policy.grant
        any_origin = _allows_any(policy)
        headers = grant.headers.value
        expose = grant.expose.value
        return {
            "origins": "*"
            if any_origin
            else list(dict.fromkeys(_flask_origin(entry.pattern) for entry in policy.entries)),
            "send_wildcard": any_origin,
            "methods": _with_safelisted(grant.methods.value),
            "allow_headers": "*" if headers.wildcard else _names(headers, fold_case=True),
            "expose_headers": ["*"] if expose.wildcard else _names(expose, fold_case=True),
            "supports_credentials": grant.credentials.value,
            "max_age": grant.max_age.value,
            "allow_private_network": grant.private_network.value,
            # A fixed Allow-Origin goes on every response, as the policy's static mode does;
            # elsewhere requests without Origin get nothing (init_cors adds Vary: Origin).
            "always_send": policy.static_origin is not None,
            "vary_header": True,
        }

    def document(self, policy_set: PolicySet) -> dict[str, Any]:
        resources = {
            Compiled(path_regex(policy, policy_set)): self.resource(policy)
            for policy in policy_set.policies
        }
        return {
            "CORS_OPTIONS": {"resources": resources, "intercept_exceptions": True},
            "VARY": list(_flask_vary(policy_set)),
        }

    def imports(self, policy_set: PolicySet, document: Mapping[str, Any]) -> str:
        return "import re\n\nfrom flask_cors import CORS\n\n"

    def code(self, policy_set: PolicySet) -> str:
        return _FLASK_CODE if _flask_vary(policy_set) else _FLASK_CODE_WITHOUT_VARY


STARLETTE = StarletteBackend()
DJANGO = DjangoBackend()
FLASK = FlaskBackend()
