"""The ``nginx`` target: per policy, ``map`` blocks for ``http {}`` and a snippet for
``server {}`` or ``location {}`` (the maps variant), or with ``-O variant=a2`` a ``set``/``if``
file for ``server {}`` instead of the maps, for people who cannot touch ``http {}`` (the A2
variant). docs/nginx.md describes both for users.

Facts about nginx come from its documentation and were observed with nginx 1.22.1 (Debian's
package). This module holds the target's data (its capability table, declared deviations,
options and 62x diagnostics) and the checks only nginx needs: values nginx would misread or
cannot read, and the layout of path-scoped policies. The files are
:mod:`corsc.backends.nginx_emit`'s; how they decide, :mod:`corsc.backends.nginx_plan`'s; the
syntax they are written in, :mod:`corsc.backends.nginx_text`'s.

What nginx decides and the evaluator does not: which policy governs a path. The user includes
each policy's snippet in the ``location`` blocks for its paths; CORS604 says which, and so does
the snippet's opening comment. nginx matches locations on the decoded URI (CORS622 says so).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import partial

import attrs

from corsc import capabilities, http, origin_regex, paths
from corsc import diagnostics as d
from corsc.backends import EmitOptions, Option, OutputFile, alternatives
from corsc.backends import nginx_text as t
from corsc.backends.nginx_emit import HIDE_DIRECTIVES, TARGET, emit, prefix, where
from corsc.capabilities import Capability, Feature, Support
from corsc.diagnostics import Diagnostic
from corsc.ir import Grant, OriginPattern, PatternKind, Policy, PolicySet, Setting, TokenList
from corsc.plan import GrantPlan
from corsc.source import Span

PARAMETER_TOO_LONG = d.kind(
    "CORS620",
    "nginx-parameter-too-long",
    d.Severity.ERROR,
    "a value that would become an nginx parameter longer than nginx reads",
)
BAD_PREFIX = d.kind(
    "CORS621",
    "nginx-bad-prefix",
    d.Severity.ERROR,
    "an -O prefix= that is not usable in nginx variable and file names",
)

#: An info: what nginx does with a path no browser sends unless asked to; the choice of nginx is
#: the user's, and nothing in the policy could change it.
PATH_NORMALISATION = d.kind(
    "CORS622",
    "nginx-path-normalisation",
    d.Severity.INFO,
    "nginx answers an ambiguous path with its decoded path's policy, where corsc refuses it",
)

_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,31}")

# What nginx does with each feature. nginx's documentation: https://nginx.org/en/docs/http/
# ngx_http_map_module.html (map, hostnames), ngx_http_headers_module.html (add_header … always),
# ngx_http_rewrite_module.html (if, set, return).
CAPABILITIES = capabilities.table(
    [
        Capability(
            Feature.EXACT_ORIGIN,
            Support.YES,
            "in a hash of the Origin; a hit is confirmed by a regex, since hashes fold case",
        ),
        Capability(
            Feature.SUBDOMAIN_ORIGIN,
            Support.YES,
            "fixed-port ones in a `hostnames` hash per scheme, a hit confirmed by a regex of the "
            "origin's shape; any-port ones as PCRE from corsc's origins module",
        ),
        Capability(Feature.PORT_ORIGIN, Support.YES, "PCRE from corsc's origins module"),
        Capability(
            Feature.REGEX_ORIGIN,
            Support.YES,
            "PCRE from corsc's origins module, run only on an Origin of at most 267 characters "
            "(a longer one is refused by a length test first)",
        ),
        Capability(Feature.NULL_ORIGIN, Support.YES, 'in the hash of exact origins, as "null"'),
        Capability(
            Feature.ANY_ORIGIN,
            Support.YES,
            "a fixed Allow-Origin `*` in static mode, else reflected",
        ),
        Capability(
            Feature.SEVERAL_ORIGINS,
            Support.YES,
            "`map` blocks at http level (or `set`/`if` at server level with `-O variant=a2`) "
            "choose the grant of the most specific entry; Vary: Origin",
        ),
        Capability(
            Feature.DENY,
            Support.YES,
            "checked before every allow entry; each deny pattern also refuses its trailing-dot "
            "twin (`http://evil.test.:8080`)",
        ),
        Capability(
            Feature.ORIGIN_BLOCKS,
            Support.YES,
            "checked before list items, as the evaluator orders them; a block's settings are "
            "a grant of their own",
        ),
        Capability(Feature.UNLISTED_REJECT, Support.YES, "`return 403;`"),
        Capability(
            Feature.METHODS_ANY,
            Support.DEVIATION,
            "`methods *` reflects Access-Control-Request-Method as nginx received it; a "
            "preflight for a method nginx does not serve (any character but A-Z, `_` and `-`, "
            "such as `patch` or `M1`) is refused with 403, since nginx would answer the actual "
            "request 400 without CORS headers",
        ),
        Capability(
            Feature.HEADERS_ANY,
            Support.DEVIATION,
            "`headers *` reflects Access-Control-Request-Headers as nginx received it, not "
            "re-joined with `, ` (a browser reads the same list)",
        ),
        Capability(Feature.EXPOSE_ANY, Support.YES, "Expose-Headers `*`"),
        Capability(
            Feature.CREDENTIALS,
            Support.YES,
            "Allow-Credentials `true` with the grants that give it",
        ),
        Capability(Feature.MAX_AGE, Support.YES, "Max-Age on the accepted preflights of its grant"),
        Capability(
            Feature.PRIVATE_NETWORK,
            Support.YES,
            "Access-Control-Request-Private-Network checked by a regex",
        ),
        Capability(
            Feature.PREFLIGHT_STATUS,
            Support.YES,
            "`return 204;` (no Content-Type or Content-Length) or `return 200;`",
        ),
        Capability(
            Feature.PATHS,
            Support.YES,
            "the snippet goes into the locations for the policy's paths (CORS604); nginx "
            "chooses them on the URI with %XX decoded and slashes merged, so a path with %2F or a "
            "doubled slash may get another policy than corsc's meaning gives (CORS622)",
        ),
        Capability(
            Feature.SEVERAL_POLICIES,
            Support.YES,
            "two files per policy, its variables and file names starting with `<prefix>-<policy>`",
        ),
    ]
)

DEVIATIONS = (
    "an empty Origin header is treated as no Origin: nginx cannot tell them apart (browsers "
    "never send one)",
    "of repeated Origin or Access-Control-Request-* header lines, nginx 1.22 reads the first "
    "only (browsers send each once)",
    "a method with a character other than A-Z, `_` and `-` (`patch`, `M1`, `FOO.BAR`) is "
    "answered 400 by nginx's request parser before any location, so a policy cannot list one "
    "(CORS601)",
    "`$` in a method, header or expose name cannot be written: nginx expands `$` in header "
    "values and has no escape for it (CORS601)",
    "a list or regex that would become one nginx parameter of more than "
    f"{t.MAX_PARAMETER} bytes cannot be written: nginx reads at most 4 KB per parameter "
    "(CORS620)",
)

OPTIONS = (
    Option(
        "variant",
        "maps: maps in http {} and a snippet for server/location; a2: no maps, a set/if file "
        "for server {}",
        "maps",
        ("maps", "a2"),
    ),
    Option("prefix", "first part of every variable and file name ([a-z][a-z0-9_]*)", "corsc"),
    Option(
        "hide-upstream",
        "hide the upstream's Access-Control-* response headers with *_hide_header",
        "none",
        tuple(HIDE_DIRECTIVES),
    ),
)


class NginxBackend:
    """The ``nginx`` target (:class:`corsc.backends.Backend`): its table and options as data,
    :meth:`check` for what only nginx needs, :meth:`emit` for the files."""

    names = (TARGET,)
    platform = "nginx"
    docs = "nginx.md"
    runs_on = "nginx"
    verified = "a real nginx on 127.0.0.1, and through a real Chromium"
    summary = "maps for http {} and a snippet for server/location (or a server-level variant)"
    capabilities = CAPABILITIES
    deviations = DEVIATIONS
    serves = True
    options = OPTIONS

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        problems: list[Diagnostic] = []
        chosen = prefix(options)
        if not _PREFIX.fullmatch(chosen) and policy_set.policies:
            problems.append(
                BAD_PREFIX.at(
                    policy_set.policies[0].span,
                    f"-O prefix={chosen} cannot start nginx variable and file names",
                    "use a lowercase letter, then up to 31 lowercase letters, digits or `_`",
                )
            )
        instead = alternatives(self, policy_set)(None)
        for policy in policy_set.policies:
            problems += _check_policy(policy, instead)
            problems += _path_normalisation(policy)
        if not d.fails(problems):
            problems += _layout(policy_set, options)
        return problems

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        return emit(policy_set, options)


def _grants(policy: Policy) -> Iterator[Grant]:
    """The policy's grant and each block's (a block that overrides nothing shares the
    policy's settings, spans included)."""
    yield policy.grant
    for entry in policy.entries:
        yield entry.grant


def _settings(policy: Policy) -> Iterator[tuple[str, Setting[TokenList], GrantPlan]]:
    """Every method, header and expose list of a policy, once per span, with its grant as the
    plan renders it."""
    seen: set[Span] = set()
    for grant in _grants(policy):
        rendered = GrantPlan.of(0, grant)
        for what, setting in (
            ("methods", grant.methods),
            ("headers", grant.headers),
            ("expose", grant.expose),
        ):
            if setting.span not in seen:
                seen.add(setting.span)
                yield what, setting, rendered


def _check_policy(policy: Policy, instead: Sequence[str]) -> list[Diagnostic]:
    """What nginx cannot be told: `$` in a name (expanded in header values, no escape), a
    method nginx does not serve, a path prefix that decodes to a control character, and
    values that would exceed nginx's parameter length."""
    problems = []
    for what, setting, rendered in _settings(policy):
        for item in setting.value.items:
            if "$" in item.value:
                what_name = f"`$` in the name `{item.value}`"
                problems.append(capabilities.cannot_express(TARGET, what_name, item.span, instead))
            elif (
                what == "methods"
                and http.is_token(item.value)  # else the front end has refused it
                and not t.NGINX_METHOD.fullmatch(item.value)
            ):
                problems.append(_unserved_method(item.value, item.span, instead))
        if not _fits(partial(_list_parameters, what, rendered)):
            problems.append(_too_long_at(setting.span, f"the `{what}` list", instead))
    for path_prefix in policy.paths:
        location = paths.decoded_path(path_prefix.value)
        if any(char < " " or "\x7f" <= char <= "\x9f" for char in location):
            problems.append(
                capabilities.cannot_express(
                    TARGET,
                    f"the path prefix `{path_prefix.value}`: decoded, it holds a control "
                    "character, and nginx compares locations with the decoded path",
                    path_prefix.span,
                    instead,
                )
            )
    patterns = [(entry.pattern, False) for entry in policy.entries]
    for pattern, deny in patterns + [(pattern, True) for pattern in policy.denies]:
        if pattern.kind is PatternKind.REGEX and not _fits(
            partial(_regex_parameters, pattern, deny)
        ):
            problems.append(_too_long_at(pattern.span, "this regex", instead))
    return problems


def _list_parameters(what: str, grant: GrantPlan) -> list[str]:
    """The parameters a grant's method, header or expose list becomes: its value, and for
    methods and headers the regex that checks a preflight (with the longest prefix A2
    writes)."""
    if what == "methods":
        return [grant.allow_methods, "~^1:1:" + t.method_regex(grant.preflight_methods)]
    if what == "headers":
        return [grant.allow_headers, "~*^1:1:" + t.headers_regex(grant.headers)]
    return [grant.expose or ""]


def _unserved_method(method: str, span: Span, instead: Sequence[str]) -> Diagnostic:
    found = capabilities.cannot_express(
        TARGET,
        f"the method `{method}`: nginx answers 400 to a request whose method has a character "
        "other than A-Z, `_` and `-`, before any location or CORS header, so the actual "
        "request a preflight grants would fail",
        span,
        instead,
    )
    return attrs.evolve(
        found,
        help="name methods with capitals, `_` and `-` only (nginx's clients send `PATCH`, not "
        f"`patch`); or {found.help}",
    )


def _regex_parameters(pattern: OriginPattern, deny: bool) -> list[str]:
    """The map keys of a regex pattern: its regex, and for a deny its trailing-dot twin."""
    if deny:
        return ["~" + source for source in origin_regex.render_denied(pattern, "pcre")]
    return ["~" + origin_regex.render_pattern(pattern, "pcre")]


def _fits(parameters: Callable[[], list[str]]) -> bool:
    """Whether every parameter fits nginx's parameter length once quoted. A value that cannot
    be rendered at all (a name that is no token, a regex outside the portable subset) is the
    front end's error, already reported: ``check`` also runs on policies with errors, which
    are never emitted."""
    try:
        for parameter in parameters():
            t.literal(parameter)
    except t.TooLong:
        return False
    except ValueError:  # t.Unwritable, or a regex the front end refused
        pass
    return True


def _too_long_at(span: Span, what: str, instead: Sequence[str]) -> Diagnostic:
    return PARAMETER_TOO_LONG.at(
        span,
        f"{what} would become an nginx parameter over {t.MAX_PARAMETER} bytes, "
        "which nginx refuses to read",
        f"shorten it or split the policy; or {capabilities.compile_with(instead)}",
    )


def _path_normalisation(policy: Policy) -> list[Diagnostic]:
    """CORS622 once per path-scoped policy: nginx's location matching decodes %XX (%2F
    included) and merges slashes, so it cannot see that a path is ambiguous."""
    if not policy.paths:
        return []
    first = policy.paths[0]
    return [
        PATH_NORMALISATION.at(
            first.span,
            f"target `{TARGET}`: nginx chooses the location after decoding %XX (%2F included) "
            f"and merging slashes; a request such as `/{first.value}`, whose path as sent and "
            "decoded choose different policies, is refused by corsc (400) but answered by nginx "
            "with the decoded path's policy",
            "fine when clients never send such paths; otherwise compile for a middleware "
            "target, where the application chooses the policy (`corsc targets` lists them)",
        )
    ]


def _layout(policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
    """CORS604: how the files of a multi-policy file map onto locations."""
    if not any(policy.paths for policy in policy_set.policies):
        return []
    found = []
    for policy in policy_set.policies:
        span = policy.paths[0].span if policy.paths else policy.span
        text = " ".join(line.strip() for line in where(policy_set, policy, options))
        found.append(
            d.TARGET_LAYOUT.at(
                span,
                f"target `{TARGET}`: {text}",
                f"every policy's {prefix(options)}-<policy>.http.conf goes inside http {{}}; "
                "docs/nginx.md shows a complete server",
            )
        )
    return found


BACKEND = NginxBackend()
