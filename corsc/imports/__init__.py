"""``corsc import``: an existing server configuration read back into a policy.

One module per family reads its format into :class:`~corsc.imports.draft.Draft` policies and
diagnostics (CORS700–CORS749) at spans of the imported file: :mod:`corsc.imports.iis`
(web.config), :mod:`corsc.imports.nginx` (nginx configuration, parsed by crossplane),
:mod:`corsc.imports.express` (an Express app's JavaScript, parsed by esprima, never run),
:mod:`corsc.imports.caddy` (a Caddyfile, read as text, never run),
:mod:`corsc.imports.apache` (an Apache httpd configuration or .htaccess, never run),
:mod:`corsc.imports.haproxy` (a HAProxy 2.6 configuration, read as text, never run) and
:mod:`corsc.imports.python` (Starlette/FastAPI, django-cors-headers and flask-cors settings,
read with :mod:`ast`, never executed); :mod:`corsc.imports.compiled` and
:mod:`corsc.imports.irjson` read what corsc's ``python`` and ``json`` targets wrote.
:func:`import_source` picks the family (given, or guessed from the content by :func:`guess`)
and renders the policy text.

What always holds: nothing the configuration says about CORS is dropped silently — a setting
the policy cannot carry is a diagnostic — and the policy text parses.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable

from attrs import frozen

from corsc import diagnostics as d
from corsc.imports.draft import Draft, render
from corsc.records import fields_repr
from corsc.source import Source

#: The formats ``--from`` accepts: the three Python libraries share one reader.
#: The module that reads each format ``--from`` accepts, imported only when that format is
#: read: the three Python libraries share one reader, told which library it reads.
_READERS = {
    "iis": "iis",
    "nginx": "nginx",
    "caddy": "caddy",
    "apache": "apache",
    "haproxy": "haproxy",
    "starlette": "python",
    "django": "python",
    "flask": "python",
    "python": "compiled",
    "json": "irjson",
    "express": "express",
}
FORMATS = tuple(_READERS)


@frozen
class Imported:
    """One import: the policy text (``None`` when nothing could be read) and the findings."""

    __repr__ = fields_repr

    policy: str | None
    diagnostics: tuple[d.Diagnostic, ...]
    family: str | None
    #: The files read besides the imported one (nginx includes), which diagnostics may name.
    sources: tuple[Source, ...] = ()


def guess(text: str) -> str | None:
    """The format of a configuration from its content, ``None`` when nothing tells."""
    head = text.lstrip("\ufeff \t\r\n")
    if re.search(
        r"^[ \t]*(?:Header[ \t]+(?:always[ \t]+|onsuccess[ \t]+)?(?:set|add|append|merge|unset"
        r"|edit\*?|setifempty)[ \t]|SetEnvIf(?:NoCase|Expr)?[ \t]|Rewrite(?:Rule|Cond|Engine)[ \t]"
        r"|<(?:IfModule|VirtualHost|Location|Directory|If|Files)[ \t>])",
        text,
        re.M,
    ):
        return "apache"
    if head.startswith("<"):
        return "iis"
    if head.startswith("{") and re.search(r'^  "generated_by": "corsc ', text, re.M):
        return "json"
    if re.search(r"^format\s*=\s*\d+\s*$", text, re.M) and re.search(
        r"^\[\[policy\]\]", text, re.M
    ):
        return "python"
    if re.search(
        r"""\brequire\s*\(\s*["'](?:express|cors)["']|\bfrom\s+["'](?:express|cors)["']"""
        r"""|\bres\.(?:set|setHeader|header)\s*\(\s*["'`]Access-Control-""",
        text,
    ):
        return "express"
    if re.search(r"CORSMiddleware", text):
        return "starlette"
    if re.search(r"^\s*CORS_[A-Z_]+\s*=", text, re.M):
        return "django"
    if re.search(r"flask_cors|\bCORS\s*\(|cross_origin", text):
        return "flask"
    if re.search(
        r"^\s*(?:http-(?:request|response|after-response)\s|(?:frontend|backend)\s+\S"
        r"|listen\s+[^\s;]+[^;\n]*$|defaults(?:\s|$)|acl\s+\S+\s)",
        text,
        re.M,
    ):
        return "haproxy"
    if re.search(
        r"^\s*(?:header_regexp\b|header\s+(?:@\S+\s+)?[+?]?Access-Control-|\(\S+\)\s*\{"
        r"|respond\s|reverse_proxy\s|@\w+\s)",
        text,
        re.M,
    ):
        return "caddy"
    if re.search(r"\badd_header\b|\bserver\s*\{|\blocation\b[^{;]*\{|\bmap\s+\$", text):
        return "nginx"
    if re.search(r"^\s*(?:http\s*\{|include\s+[^\s;]+\s*;)", text, re.M):
        return "nginx"  # a main nginx.conf whose servers are all included
    return None


def _reader(family: str) -> Callable[[Source], tuple[list[Draft], list[d.Diagnostic]]]:
    module = importlib.import_module(f"corsc.imports.{_READERS[family]}")
    if _READERS[family] == "python":
        return lambda source: module.read(source, family)
    return module.read  # type: ignore[no-any-return]


def import_source(
    source: Source, family: str | None = None, *, path: str | None = None
) -> Imported:
    """``source`` read as ``family`` (guessed when ``None``) into a policy; ``path`` is the
    file on disk it was read from, whose nginx includes are followed and next to which HAProxy's
    map and pattern files are read."""
    chosen = family or guess(source.text)
    if chosen is None:
        problem = d.IMPORT_UNKNOWN_FORMAT.at(
            source.span(0),
            "corsc cannot tell what this file configures: it is not XML (web.config), has no "
            "nginx, Caddyfile, Apache or HAProxy directive corsc knows, is no policy file "
            "corsc compiled, names no CORS setting of Starlette, Django or flask-cors, and "
            "requires neither express nor cors",
            "name the format: --from " + "|".join(FORMATS),
        )
        return Imported(None, (problem,), None)
    included: tuple[Source, ...] = ()
    with warnings.catch_warnings():
        # Python's own warnings about the text read (a SyntaxWarning from ast, a FutureWarning
        # from re) concern the user's file, not corsc: what matters is in the diagnostics.
        warnings.simplefilter("ignore")
        if chosen == "nginx" and path is not None:
            from corsc.imports import nginx

            drafts, diagnostics, included = nginx.read_tree(source, path)
        elif chosen == "haproxy":
            from corsc.imports import haproxy

            drafts, diagnostics = haproxy.read(source, path)
        else:
            drafts, diagnostics = _reader(chosen)(source)
    diagnostics.sort(key=d.Diagnostic.sort_key)
    live = [draft for draft in drafts if not draft.empty]
    policy = render(live, source, chosen) if live else None
    return Imported(policy, tuple(diagnostics), chosen, included)
