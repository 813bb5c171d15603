"""What a HAProxy frontend's rules show that the policy read from them cannot say: CORS
headers set by ``http-response`` and response ACLs on the request (CORS712). What its answers
show is :mod:`corsc.imports.pitfalls`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from corsc import diagnostics as d
from corsc.imports.haproxy_config import ConfigError
from corsc.imports.haproxy_fetches import REQUEST_ONLY
from corsc.imports.haproxy_machine import Machine
from corsc.imports.haproxy_origins import acls_in, expressions_in
from corsc.imports.haproxy_proxies import Proxy

#: A request (as :mod:`corsc.imports.probes` asks it) to the machine that answered it.
Trace = Callable[[Mapping[str, str]], Machine]
#: Reports a finding: its kind, line, message and help.
Flag = Callable[[d.Kind, int, str, str], None]


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
