"""The ``caddy`` target: one Caddyfile snippet, ``(corsc-<policy>)``, to ``import`` inside a
site block (or a ``route``/``handle`` for the policy's paths).

Facts about Caddy come from its documentation (https://caddyserver.com/docs/caddyfile/matchers,
https://caddyserver.com/docs/caddyfile/directives/header,
https://caddyserver.com/docs/caddyfile/directives/respond) and were observed with Caddy 2.6.2
(Debian's package). Origins are matched with ``header_regexp`` (Go's RE2), rendered by
corsc's origins module in the PCRE dialect, whose subset RE2 reads the same way; every
character that means something to a Caddyfile is written as ``\\xHH`` by that renderer, and
the value is a quoted Caddyfile token.
"""

from __future__ import annotations

from corsc import capabilities, http, origin_regex
from corsc.backends import EmitOptions, OutputFile
from corsc.capabilities import Capability, Feature, Support
from corsc.diagnostics import Diagnostic
from corsc.ir import PolicySet
from corsc.plan import Plan, PolicyPlan
from corsc.provenance import provenance

TARGET = "caddy"

_UNSUPPORTED = "not written by this target yet; compile for nginx or a middleware target"

CAPABILITIES = capabilities.table(
    [
        Capability(Feature.EXACT_ORIGIN, Support.YES, "`header_regexp Origin`, anchored"),
        Capability(Feature.SUBDOMAIN_ORIGIN, Support.YES, "`header_regexp Origin`, anchored"),
        Capability(Feature.PORT_ORIGIN, Support.YES, "`header_regexp Origin`, anchored"),
        Capability(Feature.REGEX_ORIGIN, Support.YES, "RE2, from corsc's origins module"),
        Capability(Feature.NULL_ORIGIN, Support.YES, "`header_regexp Origin ^null$`"),
        Capability(Feature.ANY_ORIGIN, Support.YES, "a fixed `*` in static mode, else reflected"),
        Capability(Feature.SEVERAL_ORIGINS, Support.YES, "one anchored RE2 union; `Vary: Origin`"),
        Capability(Feature.DENY, Support.YES, "`not header_regexp Origin` before the allow"),
        Capability(Feature.ORIGIN_BLOCKS, Support.NO, _UNSUPPORTED),
        Capability(Feature.UNLISTED_REJECT, Support.YES, "`respond 403`"),
        Capability(Feature.METHODS_ANY, Support.NO, _UNSUPPORTED),
        Capability(Feature.HEADERS_ANY, Support.NO, _UNSUPPORTED),
        Capability(Feature.EXPOSE_ANY, Support.YES, "Expose-Headers `*`"),
        Capability(Feature.CREDENTIALS, Support.YES, "Allow-Credentials `true`"),
        Capability(Feature.MAX_AGE, Support.YES, "Max-Age on accepted preflights"),
        Capability(Feature.PRIVATE_NETWORK, Support.NO, _UNSUPPORTED),
        Capability(Feature.PREFLIGHT_STATUS, Support.YES, "`respond 204` or `respond 200`"),
        Capability(Feature.PATHS, Support.NO, _UNSUPPORTED),
        Capability(Feature.SEVERAL_POLICIES, Support.NO, _UNSUPPORTED),
    ]
)

DEVIATIONS = (
    "headers set by `header` before the handler are kept on the handler's own responses, an "
    "upstream's 4xx/5xx included; a response written by `handle_errors` (an error Caddy raises "
    "itself, such as `error` or a failed `reverse_proxy` dial) carries no CORS headers in Caddy "
    "2.6.2, and the snippet cannot be imported there too (its matchers would be defined twice)",
)


def _quoted(value: str) -> str:
    """A double-quoted Caddyfile token. Values here are RFC 9110 tokens, rendered regexes
    (which never hold `"`, whitespace or `\\` followed by `"`) or fixed text."""
    if '"' in value or "\n" in value or value.endswith("\\"):
        raise ValueError(f"no Caddyfile token for {value!r}")
    return f'"{value}"'


def _token_regex(token: str) -> str:
    """An RFC 9110 token as RE2 text: every character but a letter, digit or `-` as `\\xHH`
    (tchar holds `. | ^ * +`, which RE2 would read as operators)."""
    return "".join(c if c.isalnum() or c == "-" else f"\\x{ord(c):02x}" for c in token)


def _header_lines(headers: tuple[tuple[str, str], ...], indent: str) -> list[str]:
    return [f"{indent}header {name} {_quoted(value)}" for name, value in headers]


def _snippet(plan: PolicyPlan) -> list[str]:
    name = f"corsc_{plan.name}"
    grant = plan.grants[0] if plan.grants else None
    allow = origin_regex.render_union([e.pattern for e in plan.reachable], "pcre")
    lines = [f"(corsc-{plan.name}) {{"]
    allowed = [f"\theader_regexp {name}_origin Origin {_quoted(allow)}"]
    for pattern in plan.policy.denies:
        allowed.append(
            f"\tnot header_regexp Origin {_quoted(origin_regex.render_pattern(pattern, 'pcre'))}"
        )
        dotted = origin_regex.render_dotted(pattern, "pcre")
        if dotted is not None:
            allowed.append(f"\tnot header_regexp Origin {_quoted(dotted)}")
    lines += [f"\t@{name}_allowed {{", *("\t" + line for line in allowed), "\t}"]
    assert grant is not None and grant.methods is not None and grant.headers is not None
    methods = "|".join(_token_regex(m) for m in grant.preflight_methods or ())
    preflight = [
        "\t\tmethod OPTIONS",
        *("\t" + line for line in allowed),
        f'\t\theader_regexp {name}_method Access-Control-Request-Method "^(?:{methods})\\z"',
    ]
    heads = "|".join(_token_regex(h.lower()) for h in grant.headers)
    heads_regex = (
        f"(?i)^[ \\t]*(?:{heads})(?:[ \\t]*,[ \\t]*(?:{heads}))*[ \\t]*\\z" if heads else "^\\z"
    )
    lines += [
        f"\t@{name}_preflight_plain {{",
        *preflight,
        "\t\tnot header Access-Control-Request-Headers *",
        "\t}",
        f"\t@{name}_preflight_headers {{",
        *preflight,
        f"\t\theader_regexp {name}_headers Access-Control-Request-Headers {_quoted(heads_regex)}",
        "\t}",
        f"\t@{name}_refused {{",
        "\t\tmethod OPTIONS",
        "\t\theader Origin *",
        "\t\theader Access-Control-Request-Method *",
        "\t}",
    ]
    preflight_headers: list[tuple[str, str]] = []
    actual: list[tuple[str, str]] = []
    origin_value = plan.static_preflight[0][1] if plan.static else "{http.request.header.Origin}"
    if plan.static:
        actual = list(plan.static_actual)
        preflight_headers = list(plan.static_preflight)
    else:
        preflight_headers = [(http.ALLOW_ORIGIN, origin_value)]
        if grant.credentials:
            preflight_headers.append((http.ALLOW_CREDENTIALS, "true"))
        actual = list(preflight_headers)
        if grant.expose is not None:
            actual.append((http.EXPOSE_HEADERS, grant.expose))
    preflight_headers.append((http.ALLOW_METHODS, grant.allow_methods))
    if grant.max_age is not None:
        preflight_headers.append((http.MAX_AGE, grant.max_age))
    vary = ", ".join(plan.vary)
    lines += ["\troute {"]
    if vary:
        lines.append(f'\t\theader +Vary "{vary}"')
    for matcher in ("plain", "headers"):
        extra = [(http.ALLOW_HEADERS, grant.allow_headers)] if matcher == "headers" else []
        lines += [f"\t\thandle @{name}_preflight_{matcher} {{"]
        lines += _header_lines(tuple(preflight_headers + extra), "\t\t\t")
        lines += [f"\t\t\trespond {plan.preflight_status}", "\t\t}"]
    # A refused preflight keeps static mode's fixed Allow-Origin (and Allow-Credentials).
    lines += [f"\t\thandle @{name}_refused {{"]
    lines += _header_lines(plan.static_preflight, "\t\t\t")
    lines += ["\t\t\trespond 403", "\t\t}"]
    if plan.static:
        lines += _header_lines(tuple(actual), "\t\t")
    else:
        lines += [f"\t\theader @{name}_allowed {{"]
        lines += [f"\t\t\t{k} {_quoted(v)}" for k, v in actual]
        lines += ["\t\t}"]
        if plan.reject:
            lines += [
                f"\t\t@{name}_unlisted {{",
                "\t\t\theader Origin *",
                f"\t\t\tnot header_regexp {name}_origin Origin {_quoted(allow)}",
                "\t\t}",
                f"\t\trespond @{name}_unlisted 403",
            ]
    lines += ["\t}", "}"]
    return lines


class CaddyBackend:
    """The ``caddy`` target (:class:`corsc.backends.Backend`)."""

    names = (TARGET,)
    platform = "caddy"
    docs = "caddy.md"
    runs_on = "Caddy 2.6"
    verified = "`caddy validate` on every golden"
    summary = "a Caddyfile snippet to import in a site block"
    capabilities = CAPABILITIES
    deviations = DEVIATIONS
    serves = True
    options = ()

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        return []

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        plan = Plan.of(policy_set)
        files = []
        for policy in plan.policies:
            text = provenance(options.version, options.source_name, TARGET, policy.policy)
            body = [f"# {text}", *_snippet(policy)]
            files.append(
                OutputFile(f"corsc-{policy.name}.caddy", "\n".join(body) + "\n", "import it")
            )
        return files


BACKEND = CaddyBackend()
