"""The ``apache`` target (Apache httpd 2.4): one file per policy of mod_setenvif, mod_rewrite
(or ``<If>``) and mod_headers directives, to ``Include`` inside a ``<VirtualHost>`` or a
``<Location>``, or to use as a directory's ``.htaccess`` (``-O placement=``). docs/apache.md
describes it for users.

Facts about Apache come from its manual (https://httpd.apache.org/docs/2.4/mod/mod_headers.html:
``Header always`` applies to every response, errors included, and takes ``expr=`` values and
conditions; https://httpd.apache.org/docs/2.4/mod/mod_setenvif.html; https://httpd.apache.org/
docs/2.4/expr.html; https://httpd.apache.org/docs/2.4/mod/mod_rewrite.html: a ``[R=…]`` outside
300–399 ends rewriting with that status, and rules in ``<Location>`` are unsupported) and were
observed with Apache 2.4 (Debian's package): ``<If>`` in a ``<Location>`` or ``.htaccess`` is
decided before the ``SetEnvIf`` lines there run; an ap_expr regex holds at most 8 KB. This
module holds the target's data; the directives are :mod:`corsc.backends.apache_rules`'s (one
policy's), :mod:`corsc.backends.apache_vhost`'s (a virtual host's) and the values in them
:mod:`corsc.backends.apache_values`'.
"""

from __future__ import annotations

from corsc import capabilities, origin_regex, paths
from corsc import diagnostics as d
from corsc.backends import EmitOptions, Option, OutputFile, alternatives
from corsc.backends.apache_rules import HTACCESS, LOCATION, PLACEMENTS, VIRTUALHOST, directives
from corsc.backends.apache_values import MAX_EXPR_REGEX, chunks
from corsc.backends.apache_vhost import virtual_host
from corsc.capabilities import Capability, Feature, Support
from corsc.diagnostics import Diagnostic
from corsc.ir import PatternKind, PolicySet
from corsc.plan import Plan
from corsc.provenance import provenance

TARGET = "apache"

AFTER_AUTHENTICATION = d.kind(
    "CORS650",
    "apache-preflight-after-auth",
    d.Severity.INFO,
    "in a .htaccess, Apache authenticates a preflight before corsc answers it",
)

PATHS_IN_PLACE = d.kind(
    "CORS651",
    "apache-paths-in-place",
    d.Severity.ERROR,
    "`paths` or several policies with -O placement=location or htaccess, where the "
    "placement's own path chooses",
)

REGEX_TOO_LONG = d.kind(
    "CORS652",
    "apache-regex-too-long",
    d.Severity.ERROR,
    "a regex longer than Apache reads in one regular expression",
)

CAPABILITIES = capabilities.table(
    [
        Capability(Feature.EXACT_ORIGIN, Support.YES, "`SetEnvIf Origin`, an anchored PCRE"),
        Capability(Feature.SUBDOMAIN_ORIGIN, Support.YES, "`SetEnvIf Origin`, an anchored PCRE"),
        Capability(Feature.PORT_ORIGIN, Support.YES, "`SetEnvIf Origin`, an anchored PCRE"),
        Capability(
            Feature.REGEX_ORIGIN,
            Support.YES,
            "PCRE from corsc's origins module; an Origin longer than 267 characters is refused",
        ),
        Capability(Feature.NULL_ORIGIN, Support.YES, "`SetEnvIf Origin ^(?:null)\\z`"),
        Capability(Feature.ANY_ORIGIN, Support.YES, "a fixed `*` in static mode, else reflected"),
        Capability(
            Feature.SEVERAL_ORIGINS,
            Support.YES,
            "one anchored union per run of entries with one grant, the most specific last so "
            "that it wins; `Vary: Origin`",
        ),
        Capability(
            Feature.DENY,
            Support.YES,
            "`SetEnvIf Origin … !var` after every allow entry, with each pattern's "
            "trailing-dot twin",
        ),
        Capability(Feature.ORIGIN_BLOCKS, Support.YES, "a grant of their own, matched last"),
        Capability(
            Feature.UNLISTED_REJECT,
            Support.YES,
            "`RewriteRule ^ - [R=403,L]` (`Redirect 403` in a `<Location>` or `.htaccess`)",
        ),
        Capability(
            Feature.METHODS_ANY,
            Support.YES,
            "Access-Control-Request-Method reflected once it is checked to be a token",
        ),
        Capability(
            Feature.HEADERS_ANY,
            Support.YES,
            "Access-Control-Request-Headers reflected once every item is checked to be a "
            "token, re-joined with `, ` by `Header edit*`",
        ),
        Capability(Feature.EXPOSE_ANY, Support.YES, "Expose-Headers `*`"),
        Capability(Feature.CREDENTIALS, Support.YES, "Allow-Credentials `true`"),
        Capability(Feature.MAX_AGE, Support.YES, "Max-Age on the accepted preflights"),
        Capability(
            Feature.PRIVATE_NETWORK,
            Support.YES,
            "Access-Control-Request-Private-Network compared with `true`",
        ),
        Capability(
            Feature.PREFLIGHT_STATUS,
            Support.DEVIATION,
            "`preflight-status 200` is answered with a one-space body (text/html), since "
            "Apache answers a status set by a rule with its ErrorDocument, which cannot be "
            "empty; 204 has no body. Browsers ignore the body of a preflight",
        ),
        Capability(
            Feature.PATHS,
            Support.DEVIATION,
            "the policy is chosen (in a `<VirtualHost>` only: CORS651) by `RewriteRule` on the "
            "path as Apache routes it, every escape decoded, dot segments removed and "
            "slashes merged: a path whose forms choose different policies gets the policy of "
            "that form, not 400, and one with an encoded slash is answered 404 by Apache "
            "(`AllowEncodedSlashes Off`) with no CORS headers",
        ),
        Capability(
            Feature.SEVERAL_POLICIES,
            Support.YES,
            "one file for the `<VirtualHost>`; the path chooses the policy (CORS651 elsewhere)",
        ),
    ]
)

DEVIATIONS = (
    "an empty Origin or Access-Control-Request-Method header is taken as absent: Apache's "
    "expressions read a header that is not sent as empty (browsers never send either empty)",
    "an error Apache answers before the directives apply (a malformed request line or header "
    "field) has no CORS headers",
)

OPTIONS = (
    Option(
        "placement",
        "where the file goes: virtualhost (Include it inside a <VirtualHost>), location "
        "(inside a <Location>) or htaccess (a directory's .htaccess, AllowOverride FileInfo)",
        VIRTUALHOST,
        PLACEMENTS,
    ),
)

_ABOUT = {
    VIRTUALHOST: [
        "Include it inside the <VirtualHost> that serves the policy, before your own",
        "RewriteRules: it answers preflights before authentication.",
    ],
    LOCATION: [
        "Include it inside the <Location> that serves the policy (in a <Directory>, as in a",
        ".htaccess, Apache authenticates preflights before these directives answer them).",
    ],
    HTACCESS: [
        "Use it as the .htaccess of the directory that serves the policy (AllowOverride",
        "FileInfo).",
    ],
}


class ApacheBackend:
    """The ``apache`` target (:class:`corsc.backends.Backend`)."""

    names = (TARGET,)
    platform = "apache"
    docs = "apache.md"
    runs_on = "Apache httpd 2.4"
    verified = (
        "`apache2 -t` on every golden; a real Apache on 127.0.0.1 in each placement, and "
        "through a real Chromium"
    )
    summary = (
        "mod_headers, mod_setenvif and mod_rewrite directives for a VirtualHost, Location "
        "or .htaccess"
    )
    capabilities = CAPABILITIES
    deviations = DEVIATIONS
    serves = True
    options = OPTIONS

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        placement = options.get("placement", VIRTUALHOST)
        too_long = _check_regexes(policy_set)
        if placement == VIRTUALHOST:
            return too_long + _check_prefixes(self, policy_set)
        if not policy_set.policies:
            return []
        where = "<Location>" if placement == LOCATION else ".htaccess"
        problems = []
        several = len(policy_set.policies) > 1
        for policy in policy_set.policies:
            if policy.paths or several:
                span = policy.paths[0].span if policy.paths else policy.span
                problems.append(
                    PATHS_IN_PLACE.at(
                        span,
                        f"in a {where}, the {where}'s own path chooses the policy, so a file "
                        "for it holds one policy without `paths`",
                        "use -O placement=virtualhost, where the path chooses the policy, or "
                        f"compile one policy without `paths` for each {where}",
                    )
                )
        problems = too_long + problems
        if problems or placement != HTACCESS:
            return problems
        return [
            AFTER_AUTHENTICATION.at(
                policy.span,
                "in a .htaccess, Apache runs authentication and authorization before these "
                f'directives answer a preflight: if policy "{policy.name}" governs a '
                "protected directory, its preflights (which carry no credentials) get 401 or "
                "403",
                "use -O placement=virtualhost or location (preflights are answered before "
                "authentication there), or exempt OPTIONS from the directory's Require",
            )
            for policy in policy_set.policies
        ]

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        placement = options.get("placement", VIRTUALHOST)
        plan = Plan.of(policy_set)
        names = ", ".join(f'"{policy.name}"' for policy in plan.policies)
        about = [
            f"CORS for {'policy' if len(plan.policies) == 1 else 'policies'} {names} "
            f"(placement: {placement}).",
            *_ABOUT[placement],
            _NEEDS[placement],
        ]
        stamp = provenance(options.version, options.source_name, TARGET, policy_set)
        lines = [f"# {stamp}", *(f"# {line}" for line in about), ""]
        if placement == VIRTUALHOST:
            lines += virtual_host(plan)
            return [OutputFile("corsc.conf", "\n".join(lines) + "\n", _WHERE[placement])]
        (policy,) = plan.policies
        lines += directives(policy, placement)
        name = ".htaccess" if placement == HTACCESS else f"corsc-{policy.name}.conf"
        return [OutputFile(name, "\n".join(lines) + "\n", _WHERE[placement])]


def _check_prefixes(backend: ApacheBackend, policy_set: PolicySet) -> list[Diagnostic]:
    """CORS601 for a path prefix Apache cannot compare: Apache routes on the path with every
    escape decoded and slashes merged (an encoded slash is refused), so a prefix that means
    something else once so normalised (`//x`, `/a%2Fb`) would be matched by other paths."""
    instead = alternatives(backend, policy_set)(None)
    problems = []
    for policy in policy_set.policies:
        for prefix in policy.paths:
            routed = paths.decoded_path(prefix.value).rstrip("/") or "/"
            if routed != paths.selection_prefix(prefix.value):
                problems.append(
                    capabilities.cannot_express(
                        TARGET,
                        f"the path prefix `{prefix.value}`: Apache routes the path with every "
                        "escape decoded and slashes merged, where it means another path "
                        f"(`{routed}`)",
                        prefix.span,
                        instead,
                    )
                )
    return problems


def _check_regexes(policy_set: PolicySet) -> list[Diagnostic]:
    """CORS652 for a regex pattern (or a deny's trailing-dot twin) longer than Apache reads:
    ap_expr keeps a regex in 8 KB and PCRE refuses larger ones, and a single regex cannot be
    cut into alternatives the way a union of patterns is."""
    problems = []
    for policy in policy_set.policies:
        patterns = [(entry.pattern, False) for entry in policy.entries]
        patterns += [(pattern, True) for pattern in policy.denies]
        for pattern, deny in patterns:
            if pattern.kind is not PatternKind.REGEX:
                continue
            try:
                sources = (
                    origin_regex.render_denied(pattern, "pcre")
                    if deny
                    else [origin_regex.render_pattern(pattern, "pcre")]
                )
            except ValueError:  # a regex the front end refused, already reported
                continue
            if any(len(piece) > MAX_EXPR_REGEX for s in sources for piece in chunks(s)):
                problems.append(
                    REGEX_TOO_LONG.at(
                        pattern.span,
                        f"this regex is longer than the {MAX_EXPR_REGEX} bytes Apache reads "
                        "in one regex, once rendered for it",
                        "split it into several patterns (each one regex) or shorten it",
                    )
                )
    return problems


_NEEDS = {
    VIRTUALHOST: "Needs mod_headers, mod_setenvif, mod_rewrite (a2enmod headers setenvif rewrite).",
    LOCATION: "Needs mod_headers, mod_setenvif, mod_alias (a2enmod headers setenvif alias).",
    HTACCESS: "Needs mod_headers, mod_setenvif, mod_alias (a2enmod headers setenvif alias).",
}

_WHERE = {
    VIRTUALHOST: "Include it inside the <VirtualHost>",
    LOCATION: "Include it inside the <Location>",
    HTACCESS: "the directory's .htaccess",
}


BACKEND = ApacheBackend()
