"""Checks of the origins a policy allows (CORS104–CORS110, CORS114, CORS301, CORS409): what
each reachable entry admits, and how the `origins` list repeats itself.

Decisions worth knowing:

- ``http://`` origins with credentials (CORS109) are not warned about on loopback hosts
  (``localhost``, ``*.localhost``, ``127.0.0.0/8``, ``[::1]``): traffic to them never leaves
  the machine, so nobody on the network can inject script into them.
- The public-suffix test (CORS104) uses the Public Suffix List with its private section
  (``github.io``) and all its rules (corsc.suffixes): a wildcard is reported when its base is
  a public suffix or some host under it is one (``*.nagoya.jp``). Without the "unknown TLDs
  are public" rule, so ``*.localhost`` or a private TLD such as ``*.corp`` is not reported.
- Hosts are IP addresses when the URL standard parses them so (their last label a number):
  ``devbox2`` is a name.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from corsc import diagnostics as d
from corsc import origins, suffixes
from corsc.checks.context import PolicyContext, credentials_here, repeats, shown
from corsc.ir import AllowEntry, OriginPattern, PatternKind

#: Private address ranges (RFC 1918 and IPv6 unique local addresses).
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)

#: The kinds of pattern that name hosts: an exact origin, a port or a subdomain wildcard.
_HOST_KINDS = (PatternKind.EXACT, PatternKind.PORT, PatternKind.SUBDOMAIN)


def _host_entries(context: PolicyContext) -> Iterator[AllowEntry]:
    """The reachable entries whose patterns name hosts."""
    return (entry for entry in context.reachable if entry.pattern.kind in _HOST_KINDS)


def any_with_credentials(context: PolicyContext) -> None:
    """CORS301: `*` granted with credentials, which no browser accepts."""
    for entry in context.reachable:
        if entry.pattern.kind is PatternKind.ANY and entry.grant.credentials.value:
            context.report(
                d.WILDCARD_WITH_CREDENTIALS.at(
                    entry.pattern.span,
                    "origins * cannot be combined with credentials true",
                    "list the origins that need credentials, or use a pattern such as "
                    '"https://*.example.com"',
                    related=[credentials_here(entry.grant)],
                )
            )


def null_origin(context: PolicyContext) -> None:
    """CORS107 for an allowed ``"null"``; CORS108, an error, with credentials."""
    for entry in context.reachable:
        if entry.pattern.kind is not PatternKind.NULL:
            continue
        grant = entry.grant
        if grant.credentials.value:
            context.report(
                d.NULL_ORIGIN_WITH_CREDENTIALS.at(
                    entry.pattern.span,
                    'origin "null" with credentials lets any page read responses with the '
                    "user's cookies: sandboxed iframes and data: URLs send `null`",
                    'remove "null" and list the real origins of the pages that need access',
                    related=[credentials_here(grant)],
                )
            )
        else:
            context.report(
                d.NULL_ORIGIN.at(
                    entry.pattern.span,
                    'origin "null" is sent by every sandboxed iframe, data: URL and local '
                    "file, and after cross-origin redirects: any site can produce it",
                    'remove "null" and list the real origins of the pages that need access',
                )
            )


def too_long(context: PolicyContext) -> None:
    """CORS409: a host pattern every Origin of which is longer than any corsc allows."""
    for entry in _host_entries(context):
        pattern = entry.pattern
        shortest = _shortest_match(pattern)
        if shortest > origins.MAX_ORIGIN_LENGTH:
            # The evaluator refuses such an Origin before matching; a library or server that
            # compares it would admit what the policy's meaning never does.
            context.report(
                d.ORIGIN_TOO_LONG.at(
                    pattern.span,
                    f"{shown(pattern)} matches only Origins of {shortest} characters or more, "
                    f"and an Origin longer than {origins.MAX_ORIGIN_LENGTH} (https://, a "
                    "253-character DNS name and a port) is never allowed",
                    "check the host name: a DNS name has at most 253 characters, and each "
                    "label at most 63",
                )
            )


def wildcards(context: PolicyContext) -> None:
    """CORS104 for a subdomain wildcard spanning more than one site; else CORS114 when it
    grants credentials to every subdomain."""
    for entry in _host_entries(context):
        pattern, grant = entry.pattern, entry.grant
        if pattern.kind is not PatternKind.SUBDOMAIN:
            continue
        spread = _wildcard_spread(pattern)
        if spread is not None:
            context.report(
                d.WILDCARD_PUBLIC_SUFFIX.at(
                    pattern.span,
                    spread,
                    "list each site you trust by its own origin; a wildcard belongs under a "
                    f'domain you control, such as "{pattern.scheme}://*.example.com"',
                )
            )
        elif grant.credentials.value:
            context.report(
                d.WILDCARD_WITH_CREDENTIALS_SUBDOMAIN.at(
                    pattern.span,
                    f"every subdomain of {pattern.host} can read responses with the "
                    "user's credentials",
                    f"an XSS flaw or a taken-over subdomain anywhere under {pattern.host} "
                    "then exposes your users' data; list the subdomains that need "
                    "credentials where you can",
                    related=[credentials_here(grant)],
                )
            )


def insecure_with_credentials(context: PolicyContext) -> None:
    """CORS109: an ``http://`` origin off the loopback trusted with credentials."""
    for entry in _host_entries(context):
        pattern, grant = entry.pattern, entry.grant
        if (
            pattern.scheme == "http"
            and grant.credentials.value
            and local_kind(pattern.host) != "loopback"
        ):
            secure = pattern.canonical.replace("http://", "https://", 1)
            context.report(
                d.INSECURE_ORIGIN_WITH_CREDENTIALS.at(
                    pattern.span,
                    f"{shown(pattern)} is trusted with credentials over plain HTTP",
                    "anyone on the network path can inject script into an http:// page and "
                    f'read your users\' data through it; use "{secure}"',
                    related=[credentials_here(grant)],
                )
            )


def local_origins(context: PolicyContext) -> None:
    """CORS110: a loopback or private-network origin, fine for development only."""
    for entry in _host_entries(context):
        pattern = entry.pattern
        local = local_kind(pattern.host)
        if local is not None:
            context.report(
                d.LOCAL_ORIGIN.at(
                    pattern.span,
                    f"{shown(pattern)} is a {local} origin: programs on each user's own "
                    f"{'machine' if local == 'loopback' else 'network'} are trusted",
                    "fine for development; keep it out of production, for example with a "
                    "`let` list that `--set` replaces per environment",
                )
            )


def duplicates(context: PolicyContext) -> None:
    """CORS105: an allowed pattern listed again (compared in canonical form), in `origins`,
    in `origin` blocks or both."""
    for entry, other in repeats(context.entries, lambda entry: entry.pattern.canonical):
        quoted = shown(entry.pattern)
        if entry.block and other.block:
            message = f"two `origin` blocks for {quoted}"
            help = "merge them: only the first one applies"
        elif entry.block or other.block:
            message = f"{quoted} is both in `origins` and an `origin` block"
            help = "remove it from `origins`: the block's settings apply to it"
        else:
            message = f"{quoted} is listed twice"
            help = "remove one of them"
        context.report(
            d.DUPLICATE_ORIGIN.at(
                entry.pattern.span,
                message,
                help,
                related=[d.Related(other.pattern.span, "first listed here")],
            )
        )


def any_beside_others(context: PolicyContext) -> None:
    """CORS106: `*` in `origins` beside other entries, which then add nothing."""
    listed = [entry for entry in context.entries if not entry.block]
    stars = [entry for entry in listed if entry.pattern.kind is PatternKind.ANY]
    others = [entry for entry in listed if entry.pattern.kind is not PatternKind.ANY]
    if not stars or not others:
        return
    if len(others) == 1:
        what = "the other entry in `origins` adds nothing"
    else:
        what = f"the {len(others)} other entries in `origins` add nothing"
    context.report(
        d.ANY_BESIDE_OTHERS.at(
            stars[0].pattern.span,
            f"`*` already allows every origin, so {what}",
            "keep `*` alone for a public resource, or remove it and list only the origins "
            "that need access; use `origin` blocks for origins that need other settings",
            related=[d.Related(others[0].pattern.span, "also listed here")],
        )
    )


def _shortest_match(pattern: OriginPattern) -> int:
    """The length of the shortest Origin a host pattern admits: a one-character label before
    a subdomain wildcard's base, no port for a port wildcard."""
    length = len(f"{pattern.scheme}://{pattern.host}")
    if pattern.kind is PatternKind.SUBDOMAIN:
        length += len("a.")
    if pattern.port is not None and not pattern.any_port:
        length += len(f":{pattern.port}")
    return length


def local_kind(host: str) -> str | None:
    """``"loopback"`` or ``"private-network"`` for such a canonical host, else ``None``."""
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    # An IP literal is recognised the way origins parses hosts (the URL standard's rule), so a
    # name ending in a digit (`devbox2`) is a name; a host that is not an address is not local.
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    try:
        if host.startswith("["):
            address = ipaddress.IPv6Address(host[1:-1])
        elif host[-1:].isdigit() and origins.ends_in_a_number(host):  # canonical: dotted quad
            number = origins.ipv4_number(host)
            if number is None:
                return None
            address = ipaddress.IPv4Address(number)
        else:
            return None
    except ValueError:
        return None
    if address.is_loopback:
        return "loopback"
    if any(address in network for network in _PRIVATE_NETWORKS):
        return "private-network"
    return None


def _wildcard_spread(pattern: OriginPattern) -> str | None:
    """The message when the wildcard ``pattern`` spans more than one site, else ``None``.
    Unknown top-level domains are not public here: `*.corp` or `*.localhost` names a private
    namespace with no other tenants."""
    base = pattern.host
    if suffixes.is_public_suffix(base):
        return (
            f'{shown(pattern)} allows every site under the public suffix "{base}", whoever owns it'
        )
    rule = suffixes.rule_below(base)
    if rule is None:
        return None
    return (
        f"{shown(pattern)} allows many sites, whoever owns them: the public suffix list rule "
        f'"{rule}" makes hosts under "{base}" public suffixes'
    )
