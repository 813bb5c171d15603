"""An interpreter of the web.config corsc writes, following Microsoft's documented behaviour (the
IIS CORS Module, URL Rewrite and customHeaders references); IIS itself does not run here.

:func:`server` turns a web.config into a server for tests/browser.py: a callable from a request
to ``(status, headers)``. Where Microsoft documents nothing that decides the answer, it raises
:class:`Undetermined` with the open question; callers count those cases apart and never as
passes.

What is modelled, and from where:

- ``<location path>`` scopes: longest matching prefix on segment boundaries; a path whose
  choice would change if IIS compared case-insensitively, or that holds ``%``, is undetermined.
- customHeaders (doc): sent on every response; add/remove/clear in order, the site root's
  entries inherited by locations.
- CORS Module (doc: CORSREF): the most specific rule wins whatever its ``allowed``; exact
  rules match "the same value"; ``*.domain`` matches one label (deeper labels, the apex, other
  ports, a trailing dot on either side: undetermined); an Origin equal to a rule but for case
  or a default port: undetermined; an Origin longer than any origin: undetermined (the module
  compares strings and documents no bound);
  ``failUnlistedOrigins="true"`` → 403 for unlisted or denied origins, otherwise the
  application answers without CORS headers; ``maxAge`` -1 or absent → no Max-Age;
  ``allowAllRequestedHeaders`` echoes the request's headers. An accepted preflight is answered
  by the module with a 2xx (which one is undocumented and never changes a verdict: 200 here);
  a preflight asking for a method or header the rule does not list is refused (403 here: any
  answer fails in the browser, since the lists cannot contain it). A method listed only in
  another case: undetermined.
- Static headers (doc): OPTIONSVerbHandler (ProtocolSupportModule) answers OPTIONS with 200
  and the custom headers; with ``OPTIONSVerbHandler`` removed the application answers.
- URL Rewrite (doc: RWREF, schema): inbound rules in order, conditions MatchAll with
  ``ignoreCase``/``negate``, ``CustomResponse`` ends the request; outbound rules on
  ``RESPONSE_*`` set the header, ``{C:0}`` is the whole match of the last condition
  (``trackAllCaptures="false"``), ``{HTTP_*}`` the request header. Whether outbound rules and
  custom headers apply to a CustomResponse is undocumented: such responses are undetermined.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

from corsc import origins
from corsc.evaluate import Request
from corsc.paths import prefix_matches, request_path
from tests.iis_structure import parse, servers

Headers = list[tuple[str, str]]
App = Callable[[Request], tuple[int, Sequence[tuple[str, str]]]]


class Undetermined(Exception):
    """Microsoft documents nothing that decides this answer; ``args[0]`` names the question."""


def _headers(request: Request, name: str) -> str | None:
    return request.header(name)


def _select(scoped: list[tuple[str | None, ET.Element]], path: str) -> list[ET.Element]:
    """The system.webServer elements that apply to ``path``: the site root's, then the
    longest matching location's."""
    if "%" in path:
        raise Undetermined("how IIS maps a percent-encoded path onto <location path>")
    segments = path.split("?", 1)[0].split("/")[1:]
    if "" in segments[:-1]:
        raise Undetermined("how IIS maps a path with an empty segment onto <location path>")
    if "." in segments or ".." in segments:
        raise Undetermined("how IIS maps a path with dot segments onto <location path>")
    path = request_path(path)
    chosen: list[ET.Element] = [server for location, server in scoped if location is None]

    def best(fold: bool) -> str | None:
        found = None
        for location, _ in scoped:
            if location is None:
                continue
            prefix = "/" + location.strip("/")
            probe, against = (path.lower(), prefix.lower()) if fold else (path, prefix)
            if prefix_matches(against, probe) and (found is None or len(prefix) > len(found)):
                found = prefix
        return found

    exact, folded = best(False), best(True)
    if exact != folded:
        raise Undetermined("whether <location path> matches request paths case-sensitively")
    chosen += [
        server
        for location, server in scoped
        if location is not None and "/" + location.strip("/") == exact
    ]
    return chosen


def _custom_headers(chain: list[ET.Element]) -> Headers:
    entries: dict[str, tuple[str, str]] = {}
    for server in chain:
        container = server.find("httpProtocol/customHeaders")
        for child in [] if container is None else container:
            name = child.get("name", "")
            if child.tag == "clear":
                entries.clear()
            elif child.tag == "remove":
                entries.pop(name.lower(), None)
            elif child.tag == "add":
                entries[name.lower()] = (name, child.get("value", ""))
    return list(entries.values())


def _is_preflight(request: Request) -> bool:
    return (
        request.method == "OPTIONS"
        and request.header("Origin") is not None
        and request.header("Access-Control-Request-Method") is not None
    )


def _tokens(value: str | None) -> list[str]:
    return [item.strip(" \t") for item in (value or "").split(",") if item.strip(" \t")]


# ---- the CORS Module ------------------------------------------------------------------------

_DEFAULT_PORT = {"http": ":80", "https": ":443"}


def _rule_matches(rule: str, origin: str) -> bool:
    """Whether a documented rule form matches ``origin``; :class:`Undetermined` where the
    documentation does not say."""
    if rule == "*":
        return True
    if "*." in rule:
        undotted_rule = origins.without_trailing_dot(rule)
        if undotted_rule is not None:  # the twin corsc writes for a deny
            undotted = origins.without_trailing_dot(origin)
            if undotted is not None and _rule_matches(undotted_rule, undotted):
                raise Undetermined("whether `*.domain.` rules of the CORS Module match")
            return False
        scheme, _, base = rule.partition("://*.")
        prefix = f"{scheme}://"
        if not origin.startswith(prefix):
            return False
        host = origin[len(prefix) :]
        if host == base or host.lower() == base.lower():
            raise Undetermined("whether `*.domain` rules of the CORS Module match the apex domain")
        undotted = origins.without_trailing_dot(origin)
        if undotted is not None and _rule_matches(rule, undotted):
            raise Undetermined("whether the CORS Module ignores a trailing dot in Origin")
        if host.lower().endswith("." + base.lower()):
            label = host[: -len(base) - 1]
            if "." in label:
                raise Undetermined(
                    "whether `*.domain` rules of the CORS Module match several labels"
                )
            if host != host.lower():
                raise Undetermined("whether the CORS Module compares origins case-sensitively")
            return True
        if ":" in host.rsplit("]", 1)[-1] and host.rsplit(":", 1)[0].lower().endswith(
            "." + base.lower()
        ):
            raise Undetermined("whether `*.domain` rules of the CORS Module match other ports")
        return False
    if origin == rule:
        return True
    scheme = rule.partition("://")[0]
    lowered = origin.lower().removesuffix(_DEFAULT_PORT.get(scheme, "\0"))
    if lowered == rule.lower():
        raise Undetermined("how the CORS Module compares the case and default port of Origin")
    return False


def _rank(rule: str) -> tuple[int, int]:
    if rule == "*":
        return (2, 0)
    if "*." in rule:
        return (1, -len(rule))
    return (0, 0)


def _module(section: ET.Element, request: Request) -> tuple[int | None, Headers]:
    """The CORS Module's part of the answer: ``(status or None when the application answers,
    headers)``."""
    origin = request.header("Origin")
    if origin is None or section.get("enabled") != "true":
        return None, []
    if len(origin) > origins.MAX_ORIGIN_LENGTH:
        raise Undetermined("whether the CORS Module refuses an Origin longer than any origin")
    rules = section.findall("add")
    matched = sorted(
        (r for r in rules if _rule_matches(r.get("origin", ""), origin)),
        key=lambda r: _rank(r.get("origin", "")),
    )
    rule = matched[0] if matched else None
    if rule is None or rule.get("allowed") == "false":
        if section.get("failUnlistedOrigins") == "true":
            return 403, []
        return None, []
    only_any = [r.get("origin") for r in rules] == ["*"]
    headers: Headers = [("Access-Control-Allow-Origin", "*" if only_any else origin)]
    if rule.get("allowCredentials") == "true":
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if not _is_preflight(request):
        expose = [e.get("header", "") for e in rule.iterfind("exposeHeaders/add")]
        if expose:
            headers.append(("Access-Control-Expose-Headers", ", ".join(expose)))
        return None, headers
    method = (request.header("Access-Control-Request-Method") or "").strip(" \t")
    methods = [m.get("method", "") for m in rule.iterfind("allowMethods/add")]
    if method not in methods:
        if method.upper() in (m.upper() for m in methods) or method in ("GET", "HEAD", "POST"):
            raise Undetermined(
                "the CORS Module's answer to a preflight for a method it does not list exactly"
            )
        return 403, []
    asked = _tokens(request.header("Access-Control-Request-Headers"))
    allow_headers = rule.find("allowHeaders")
    echo = allow_headers is not None and allow_headers.get("allowAllRequestedHeaders") == "true"
    listed = [h.get("header", "") for h in rule.iterfind("allowHeaders/add")]
    if not echo and any(h.lower() not in (x.lower() for x in listed) for h in asked):
        return 403, []
    headers.append(("Access-Control-Allow-Methods", ", ".join(methods)))
    if asked:
        headers.append(
            ("Access-Control-Allow-Headers", ", ".join(asked) if echo else ", ".join(listed))
        )
    max_age = rule.get("maxAge")
    if max_age is not None and int(max_age) >= 0:
        headers.append(("Access-Control-Max-Age", max_age))
    return 200, headers


# ---- URL Rewrite ----------------------------------------------------------------------------

_VARIABLE = re.compile(r"\{(HTTP_[A-Z0-9_]+|REQUEST_METHOD|C:0)\}")


def _variable(request: Request, name: str) -> str:
    if name == "REQUEST_METHOD":
        return request.method
    return request.header(name.removeprefix("HTTP_").replace("_", "-")) or ""


def _conditions(rule: ET.Element, request: Request) -> str | None:
    """The whole match of the last condition when every condition holds, else ``None``."""
    last = ""
    for condition in rule.iterfind("conditions/add"):
        value = _VARIABLE.sub(lambda m: _variable(request, m.group(1)), condition.get("input", ""))
        if "\n" in value or "\r" in value:
            raise Undetermined("header values with line breaks (http.sys refuses them)")
        flags = re.IGNORECASE if condition.get("ignoreCase", "true") == "true" else 0
        found = re.search(condition.get("pattern", ""), value, flags)
        if (found is not None) == (condition.get("negate") == "true"):
            return None
        last = found.group(0) if found is not None else ""
    return last


def _inbound(rules: list[ET.Element], request: Request) -> int | None:
    for rule in rules:
        captured = _conditions(rule, request)
        if captured is None:
            continue
        action = rule.find("action")
        if action is not None and action.get("type") == "CustomResponse":
            return int(action.get("statusCode", "0"))
        if rule.get("stopProcessing") == "true":
            break
    return None


def _outbound(rules: list[ET.Element], request: Request, headers: Headers) -> Headers:
    result = list(headers)
    for rule in rules:
        match = rule.find("match")
        action = rule.find("action")
        if (
            match is None
            or action is None
            or not match.get("serverVariable", "").startswith("RESPONSE_")
        ):
            continue
        captured = _conditions(rule, request)
        if captured is None:
            continue
        name = match.get("serverVariable", "").removeprefix("RESPONSE_").replace("_", "-")

        def substitute(found: re.Match[str], captured: str = captured) -> str:
            return captured if found.group(1) == "C:0" else _variable(request, found.group(1))

        value = _VARIABLE.sub(substitute, action.get("value", ""))
        result = [(n, v) for n, v in result if n.lower() != name.lower()] + [(name, value)]
        if rule.get("stopProcessing") == "true":
            break
    return result


def _rules(chain: list[ET.Element], path: str) -> list[ET.Element]:
    entries: dict[str, ET.Element] = {}
    for server in chain:
        container = server.find(path)
        for child in [] if container is None else container:
            if child.tag == "clear":
                entries.clear()
            elif child.tag == "remove":
                entries.pop(child.get("name", ""), None)
            elif child.tag == "rule":
                entries[child.get("name", "")] = child
    return list(entries.values())


# ---- the server -----------------------------------------------------------------------------


def server(config: str, app: App) -> Callable[[Request], tuple[int, Headers]]:
    """A server whose IIS configuration is ``config`` in front of the application ``app``."""
    scoped = servers(parse(config))

    def serve(request: Request) -> tuple[int, Headers]:
        chain = _select(scoped, request.path)
        custom = _custom_headers(chain)
        inbound = _rules(chain, "rewrite/rules")
        status = _inbound(inbound, request)
        if status is not None:
            raise Undetermined(
                "whether outbound rules and custom headers (Vary) apply to an inbound "
                "CustomResponse"
            )
        sections = [s.find("cors") for s in chain if s.find("cors") is not None]
        if len(sections) > 1:
            raise Undetermined("whether <cors> entries are inherited into <location>")
        module_status, module_headers = _module(sections[0], request) if sections else (None, [])
        if module_status is not None:
            return module_status, [*module_headers, *custom]
        handlers = [s.find("handlers/remove[@name='OPTIONSVerbHandler']") for s in chain]
        if (
            request.method == "OPTIONS"
            and not sections
            and not inbound
            and not any(h is not None for h in handlers)
        ):
            app_status, app_headers = 200, []  # OPTIONSVerbHandler (ProtocolSupportModule)
        else:
            app_status, answered = app(request)
            app_headers = list(answered)
        headers = [*app_headers, *module_headers, *custom]
        return app_status, _outbound(_rules(chain, "rewrite/outboundRules"), request, headers)

    return serve


def inbound_status(config: str, request: Request) -> int | None:
    """The status an inbound rule answers ``request`` with (``None`` when none does): what a
    CustomResponse decides is documented even where its headers are not."""
    return _inbound(_rules(_select(servers(parse(config)), request.path), "rewrite/rules"), request)
