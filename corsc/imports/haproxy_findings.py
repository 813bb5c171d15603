"""What a HAProxy frontend's answers and rules show that the policy read from them cannot
say: an Origin sent back unchecked with credentials (CORS705), ``*`` or every Origin with
credentials (CORS711), several origins in one value (CORS704), every OPTIONS answered
(CORS708), a header sent twice (CORS710), headers that answer every request alike (CORS714),
CORS headers set by ``http-response`` and response ACLs on the request (CORS712).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from corsc import diagnostics as d
from corsc.imports.common import origin_entries
from corsc.imports.haproxy_config import ConfigError
from corsc.imports.haproxy_fetches import REQUEST_ONLY
from corsc.imports.haproxy_machine import Machine
from corsc.imports.haproxy_origins import acls_in, expressions_in
from corsc.imports.haproxy_proxies import Proxy
from corsc.imports.probes import UNLISTED
from corsc.imports.witnesses import Candidate

#: A request (as :mod:`corsc.imports.probes` asks it) to the machine that answered it.
Trace = Callable[[Mapping[str, str]], Machine]
#: Reports a finding: its kind, line, message and help.
Flag = Callable[[d.Kind, int, str, str], None]


def answers_checked(flag: Flag, traced: Trace, tests: list[Candidate]) -> list[str]:
    """The findings the answers show; the origins of a value naming several."""

    def sent(origin: str | None, method: str = "GET") -> dict[str, tuple[str, int]]:
        request = {"$request_method": method}
        if origin is not None:
            request["$http_origin"] = origin
        headers = traced(request).response.headers
        return {name: (value, line) for name, value, line in reversed(headers)}

    unlisted = sent(UNLISTED[0])
    several: list[str] = []
    allow = unlisted.get("access-control-allow-origin")
    credentials = unlisted.get("access-control-allow-credentials")
    witnesses = [o for t in tests for o in t.witnesses]
    checked = any(
        sent(origin).get("access-control-allow-origin", ("",))[0] != origin for origin in witnesses
    )
    with_credentials = credentials is not None and credentials[0] == "true"
    # Without credentials, an Origin sent back to every origin is what `*` means.
    if allow is not None and allow[0] == UNLISTED[0] and not checked and with_credentials:
        flag(
            d.IMPORT_REFLECTED_ORIGIN,
            allow[1],
            "Access-Control-Allow-Origin sends back every request's Origin, unchecked: any "
            "site may read these responses (with the user's cookies, when credentials are "
            "allowed)",
            "the imported policy says `origins *`; replace it with the origins you trust",
        )
    wide = allow is not None and allow[0] in ("*", UNLISTED[0])
    if wide and credentials is not None and with_credentials:
        flag(
            d.IMPORT_WILDCARD_CREDENTIALS,
            credentials[1],
            "Access-Control-Allow-Credentials true with an Allow-Origin that is `*` or "
            "every Origin: browsers refuse `*` with credentials, and a reflected Origin "
            "lets every site read the user's data",
            "name the origins trusted with credentials in the imported policy",
        )
    for origin in [*UNLISTED[:1], *(o for t in tests for o in t.witnesses)]:
        value = sent(origin).get("access-control-allow-origin")
        if value is not None and len(origin_entries(value[0])) > 1 and not several:
            several = origin_entries(value[0])
            flag(
                d.IMPORT_SEVERAL_ORIGINS,
                value[1],
                f"Access-Control-Allow-Origin `{value[0]}` names {len(several)} origins in "
                "one value; browsers accept exactly one origin (or `*`), so it allows none",
                "the imported policy lists the origins meant; corsc's output sends the one "
                "matching origin",
            )
    more_checked(flag, traced, tests)
    return several


def more_checked(flag: Flag, traced: Trace, tests: list[Candidate]) -> None:
    """Every OPTIONS answered (CORS708), a header sent twice (CORS710), the same headers
    whatever the request (CORS714)."""
    bare = traced({"$request_method": "OPTIONS"}).response
    if bare.answered and 200 <= (bare.status or 200) < 300:
        flag(
            d.IMPORT_OPTIONS_ANSWERED,
            bare.answered,
            f"this rule answers every OPTIONS request ({bare.status}), for any origin and "
            "whatever it asks, even one that is no preflight",
            "the imported policy answers preflights itself, granting only what it lists",
        )
    origins = [*UNLISTED, *(o for t in tests for o in t.witnesses)]
    seen: list[tuple[object, ...]] = []
    for origin in origins:
        for method, asked in (("GET", ""), ("OPTIONS", "GET")):
            request = {"$request_method": method, "$http_origin": origin}
            if asked:
                request["$http_access_control_request_method"] = asked
            response = traced(request).response
            headers = [h for h in response.headers if h[0].startswith("access-control-")]
            names = [name for name, _, _ in headers]
            twice = next((h for i, h in enumerate(headers) if h[0] in names[:i]), None)
            if twice is not None:
                flag(
                    d.IMPORT_DUPLICATE_HEADER,
                    twice[2],
                    f"{twice[0]} is sent twice; browsers refuse a response with two values",
                    "set it once (set-header, not add-header)",
                )
                return
            seen.append((response.status, *sorted((name, value) for name, value, _ in headers)))
    unlisted = traced({"$request_method": "GET", "$http_origin": UNLISTED[0]}).response
    allow = [h for h in unlisted.headers if h[0] == "access-control-allow-origin" and h[1]]
    if allow and all(item == seen[0] for item in seen):
        flag(
            d.IMPORT_STATIC_HEADERS,
            allow[0][2],
            "these headers answer every request the same, whatever its Origin and method",
            "the imported policy means the same for browsers; the targets corsc compiles it "
            "to answer only the origins it lists",
        )


def response_rules(flag: Flag, chain: list[Proxy]) -> None:
    for proxy in chain:
        for rules in proxy.response:
            for found in rules:
                if found.action in ("set-header", "add-header") and found.args[
                    :1
                ] and found.args[0].lower().startswith("access-control-"):  # fmt: skip
                    flag(
                        d.IMPORT_INVALID_VALUE,
                        found.line,
                        f"http-response {found.action} {found.args[0]}: HAProxy runs "
                        "http-response rules on the server's responses only, so its own "
                        "(a `return`, a `deny`, a 503 when no server is up) lack it",
                        "the imported policy sends CORS headers with every response, as "
                        "corsc's output does with http-after-response",
                    )
                    return


def response_phase(proxies: list[Proxy]) -> list[tuple[int, str]]:
    """The response rules' ACLs that read the request (HAProxy warns that they never match);
    a log-format that does is a configuration HAProxy refuses (:class:`ConfigError`)."""
    found: dict[tuple[int, str], None] = {}
    for proxy in proxies:
        for rules in [*proxy.response, *proxy.after]:
            for item in rules:
                for calls in expressions_in(item):
                    if REQUEST_ONLY.match(calls[0].name):
                        raise ConfigError(
                            item.line,
                            f"{calls[0].name} may not be reliably used here: HAProxy cannot "
                            "read the request in response rules",
                        )
                for acl in acls_in(item):
                    if REQUEST_ONLY.match(acl.criterion[0].name):
                        found[(item.line, acl.criterion[0].name)] = None
    return list(found)
