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

from corsc import capabilities
from corsc.backends import EmitOptions, OutputFile, caddy_paths
from corsc.backends.caddy_policy import PolicyWriter
from corsc.capabilities import Capability, Feature, Support
from corsc.diagnostics import Diagnostic
from corsc.ir import PolicySet
from corsc.plan import Plan
from corsc.provenance import provenance

TARGET = "caddy"

_DECODED_PATH = (
    "`path_regexp` and `vars_regexp` choose the policy, and a path whose decoded, merged and "
    "raw forms choose different ones is answered 400; a path whose dot segments and doubled "
    "slashes change only the form with dot segments removed and slashes kept (which Caddy "
    "does not expose), such as `/api/..//api`, is answered by the policy of its cleaned path "
    "where corsc refuses it"
)

CAPABILITIES = capabilities.table(
    [
        Capability(Feature.EXACT_ORIGIN, Support.YES, "`header_regexp Origin`, anchored"),
        Capability(Feature.SUBDOMAIN_ORIGIN, Support.YES, "`header_regexp Origin`, anchored"),
        Capability(Feature.PORT_ORIGIN, Support.YES, "`header_regexp Origin`, anchored"),
        Capability(Feature.REGEX_ORIGIN, Support.YES, "RE2, from corsc's origins module"),
        Capability(Feature.NULL_ORIGIN, Support.YES, "`header_regexp Origin ^null$`"),
        Capability(Feature.ANY_ORIGIN, Support.YES, "a fixed `*` in static mode, else reflected"),
        Capability(Feature.SEVERAL_ORIGINS, Support.YES, "anchored RE2 unions; `Vary: Origin`"),
        Capability(Feature.DENY, Support.YES, "a `header_regexp Origin` that unsets the grant"),
        Capability(
            Feature.ORIGIN_BLOCKS,
            Support.YES,
            "one `header_regexp Origin` matcher per run of entries sharing a grant",
        ),
        Capability(Feature.UNLISTED_REJECT, Support.YES, "`respond 403`"),
        Capability(Feature.METHODS_ANY, Support.YES, "the requested method, a token, reflected"),
        Capability(
            Feature.HEADERS_ANY,
            Support.YES,
            "the requested list reflected, trimmed, empty items dropped",
        ),
        Capability(Feature.EXPOSE_ANY, Support.YES, "Expose-Headers `*`"),
        Capability(Feature.CREDENTIALS, Support.YES, "Allow-Credentials `true`"),
        Capability(Feature.MAX_AGE, Support.YES, "Max-Age on accepted preflights"),
        Capability(Feature.PRIVATE_NETWORK, Support.YES, "only on a preflight asking for it"),
        Capability(Feature.PREFLIGHT_STATUS, Support.YES, "`respond 204` or `respond 200`"),
        Capability(Feature.PATHS, Support.DEVIATION, _DECODED_PATH),
        Capability(
            Feature.SEVERAL_POLICIES, Support.YES, "`path_regexp` matchers choose the policy"
        ),
    ]
)

DEVIATIONS = (
    "headers set by `header` before the handler are kept on the handler's own responses, an "
    "upstream's 4xx/5xx included; a response written by `handle_errors` (an error Caddy raises "
    "itself, such as `error` or a failed `reverse_proxy` dial) carries no CORS headers in Caddy "
    "2.6.2, and the snippet cannot be imported there too (its matchers would be defined twice)",
    "an Origin field sent more than once is matched by `header_regexp` one value at a time, "
    "so a request is answered for an allowed origin when one of its repeats is one, where "
    "corsc reads the repeats joined as one value, which no pattern admits; browsers send one "
    "Origin",
)


def _route(writer: PolicyWriter, indent: str) -> list[str]:
    return [f"{indent}route {{", *(f"{indent}\t{line}" for line in writer.body), f"{indent}}}"]


def _snippet(plan: Plan) -> tuple[str, list[str]]:
    """The snippet's name and its lines: one policy governing every path is its route; else
    each policy's route is chosen by the longest prefix of the path, else the fallback."""
    writers = [PolicyWriter(policy).write() for policy in plan.policies]
    (only,) = plan.policies if len(plan.policies) == 1 else (None,)
    name = "corsc" if only is None else f"corsc-{only.name}"
    lines = [f"({name}) {{"]
    for writer in writers:
        lines += writer.matchers
    if only is not None and not only.policy.paths:
        return name, [*lines, *_route(writers[0], "\t"), "}"]
    matchers, choose = caddy_paths.choose(plan)
    lines += matchers
    route = ["\troute {", *(f"\t\t{line}" for line in choose)]
    for number, writer in enumerate(writers, 1):
        lines.append(f"\t@{writer.name}_chosen vars {caddy_paths.VAR} {number}")
        route += [f"\t\thandle @{writer.name}_chosen {{", *_route(writer, "\t\t\t"), "\t\t}"]
    return name, [*lines, *route, "\t}", "}"]


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
        name, lines = _snippet(plan)
        node = plan.policies[0].policy if len(plan.policies) == 1 else policy_set
        text = provenance(options.version, options.source_name, TARGET, node)
        return [OutputFile(f"{name}.caddy", "\n".join([f"# {text}", *lines]) + "\n", "import it")]


BACKEND = CaddyBackend()
