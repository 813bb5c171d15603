"""The ``nginx`` target: per policy, ``map`` blocks for ``http {}`` and a snippet for
``server {}`` or ``location {}`` (the maps variant), or with ``-O variant=a2`` a ``set``/``if``
file for ``server {}`` instead of the maps, for people who cannot touch ``http {}`` (the A2
variant). docs/nginx.md describes both for users.

Facts about nginx come from its documentation and were observed with nginx 1.22.1 (Debian's
package); the rendering is :mod:`corsc.backends.nginx_render`, whose docstring states what every
output guarantees. This module holds the target's data (capabilities, options, its 62x
diagnostics), the checks that refuse what nginx cannot be told safely, and the file layout:
``<prefix>-<policy>.http.conf`` (or ``.server.conf``) and ``<prefix>-<policy>.conf``.

What nginx decides and the evaluator does not: which policy governs a path. The user includes
each policy's snippet in the ``location`` blocks for its paths; CORS604 says which, and so does
the snippet's opening comment. nginx matches locations on the decoded URI (CORS622 warns).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial

from corsc import diagnostics as d
from corsc import origins, paths
from corsc.backends import EmitOptions, Option, OutputFile
from corsc.backends import nginx_render as r
from corsc.capabilities import all_supported, cannot_express, deviation
from corsc.diagnostics import Diagnostic
from corsc.ir import OriginPattern, PatternKind, Policy, PolicySet, Setting, TokenList
from corsc.provenance import provenance
from corsc.source import Span

TARGET = "nginx"
#: Targets that express what nginx cannot (a CORS6xx error's help names one).
INSTEAD = ("python",)

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

PATH_NORMALISATION = d.kind(
    "CORS622",
    "nginx-path-normalisation",
    d.Severity.WARNING,
    "nginx answers an ambiguous path with its decoded path's policy, where corsc refuses it",
)

_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,31}")

DEVIATIONS = (
    (
        "exact, subdomain-wildcard, port-wildcard, regex and null origins (yes): exact origins "
        "and fixed-port subdomain wildcards in hashes, each hit confirmed by a regex (hashes fold"
        " case); the other forms as PCRE from corsc's origins module"
    ),
    "origins * (yes): fixed Allow-Origin `*` in static mode, else reflected",
    "deny, origin blocks, credentials, expose, max-age, private-network (yes)",
    "unlisted reject, preflight-status (yes): `return 403;` / `return 204;`",
    (
        "methods and headers checked on preflights (yes): regexes over the request headers, "
        "headers compared case-insensitively"
    ),
    (
        "methods * (deviation): Access-Control-Request-Method is reflected as nginx received it "
        "(nginx strips surrounding spaces, not tabs); a preflight for a method with a character "
        "other than A-Z, `_`, `-` is refused (403): nginx answers such a request 400"
    ),
    (
        "a method with a character other than A-Z, `_`, `-` (`patch`, `M1`, `FOO.BAR`) (no): "
        "nginx's request parser answers 400 before any location (CORS601 where listed)"
    ),
    (
        "an Origin longer than 267 characters (yes): refused by a length test before any regex of"
        " the policy runs"
    ),
    (
        "deny and a trailing dot (yes): each deny pattern also refuses its dotted twin "
        "(`http://evil.test.:8080`), by a regex that runs only on an Origin with a dot before its"
        " port or end"
    ),
    (
        "headers * (deviation): Access-Control-Request-Headers is reflected as received, not "
        "re-joined with `, ` (the browser reads the same list)"
    ),
    (
        "an empty Origin header (deviation): treated as no Origin: nginx cannot tell them apart "
        "(browsers never send one)"
    ),
    (
        "a repeated request header (deviation): nginx 1.22 reads the first Origin or "
        "Access-Control-Request-* line only (browsers send each once)"
    ),
    (
        "paths (yes): the snippet goes into the locations for the policy's paths (CORS604); nginx"
        " chooses them on the URI with %XX decoded and slashes merged, so /api%2Fv2 or //api may "
        "get another policy than corsc's meaning gives (CORS622 warns)"
    ),
    (
        "`$` in a method, header or expose name (no): nginx expands `$` in header values and has "
        "no escape for it"
    ),
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
        tuple(r.HIDE_DIRECTIVES),
    ),
)


def _prefix(options: EmitOptions) -> str:
    return options.get("prefix", "corsc")


def _stem(options: EmitOptions, policy: Policy) -> str:
    return f"{_prefix(options)}-{policy.name}"


def _settings(policy: Policy) -> Iterator[tuple[str, Setting[TokenList]]]:
    """Every method, header and expose list of a policy (its own and its blocks')."""
    for grant in (policy.grant, *(entry.grant for entry in policy.entries)):
        yield "methods", grant.methods
        yield "headers", grant.headers
        yield "expose", grant.expose


class NginxBackend:
    names = (TARGET,)
    summary = "maps for http {} and a snippet for server/location (or a server-level variant)"
    capabilities = all_supported()
    deviations = DEVIATIONS
    serves = True
    options = OPTIONS

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        problems: list[Diagnostic] = []
        prefix = _prefix(options)
        if not _PREFIX.fullmatch(prefix) and policy_set.policies:
            problems.append(
                BAD_PREFIX.at(
                    policy_set.policies[0].span,
                    f"-O prefix={prefix} cannot start nginx variable and file names",
                    "use a lowercase letter, then up to 31 lowercase letters, digits or `_`",
                )
            )
        for policy in policy_set.policies:
            problems += _check_policy(policy)
            problems += _deviations(policy)
            problems += _path_normalisation(policy)
        if not d.fails(problems):
            problems += _layout(policy_set, options)
        return problems

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        files = []
        a2 = options.get("variant", "maps") == "a2"
        for policy in policy_set.policies:
            plan = r.Plan.of(policy, _prefix(options))
            stem = _stem(options, policy)
            stamp = r.comment(provenance(options.version, options.source_name, TARGET, policy))
            if a2:
                first_name = f"{stem}.server.conf"
                first_place = "inside server {}, never inside a location"
                body = r.server_lines(plan)
                about = [
                    f'Policy "{policy.name}", part 1 of 2: include it inside server {{}} only,',
                    f"before {stem}.conf (an `if` that sets a variable is safe only at server",
                    "level; inside a location it breaks try_files).",
                ]
            else:
                first_name = f"{stem}.http.conf"
                first_place = "inside http {}, once"
                body = r.http_lines(plan)
                about = [
                    f'Policy "{policy.name}", part 1 of 2: include it inside http {{}}, once',
                    "(Debian's nginx.conf includes /etc/nginx/conf.d/*.conf there).",
                ]
            files.append(OutputFile(first_name, _file(stamp, about, body), first_place))
            about = [
                f'Policy "{policy.name}", part 2 of 2 (needs {first_name}): include it in',
                "server {} or in the location blocks the policy governs, and again in every",
                "location that has add_header of its own (add_header is inherited only by",
                "levels without any).",
                *_where(policy_set, policy, options),
            ]
            snippet = r.snippet_lines(plan, options.get("hide-upstream", "none"))
            files.append(
                OutputFile(
                    f"{stem}.conf", _file(stamp, about, snippet), "inside server {} or location {}"
                )
            )
        return files


def _file(stamp: str, about: list[str], body: list[str]) -> str:
    return "\n".join([stamp, *map(r.comment, about), "", *body]) + "\n"


def _check_policy(policy: Policy) -> list[Diagnostic]:
    """What nginx cannot be told: `$` in a name (expanded in header values, no escape), a
    path prefix that decodes to a control character, and values that would exceed nginx's
    parameter length."""
    problems = []
    seen: set[Span] = set()
    for what, setting in _settings(policy):
        if setting.span in seen:
            continue  # blocks share the settings of the policy they do not override
        seen.add(setting.span)
        for item in setting.value.items:
            if "$" in item.value:
                what_name = f"`$` in the name `{item.value}`"
                problems.append(cannot_express(TARGET, what_name, item.span, INSTEAD))
            elif (
                what == "methods"
                and r.TOKEN.fullmatch(item.value)  # else the front end has refused it
                and not r.NGINX_METHOD.fullmatch(item.value)
            ):
                problems.append(_unserved_method(item.value, item.span))
        if not _fits(partial(_list_parameters, what, setting.value)):
            problems.append(_too_long_at(setting.span, f"the `{what}` list"))
    for prefix in policy.paths:
        location = paths.decoded_path(prefix.value)
        if any(char < " " or "\x7f" <= char <= "\x9f" for char in location):
            problems.append(
                cannot_express(
                    TARGET,
                    f"the path prefix `{prefix.value}`: decoded, it holds a control character, "
                    "and nginx compares locations with the decoded path",
                    prefix.span,
                    INSTEAD,
                )
            )
    patterns = [(entry.pattern, False) for entry in policy.entries]
    for pattern, deny in patterns + [(pattern, True) for pattern in policy.denies]:
        if pattern.kind is PatternKind.REGEX and not _fits(
            partial(_regex_parameters, pattern, deny)
        ):
            problems.append(_too_long_at(pattern.span, "this regex"))
    return problems


def _list_parameters(what: str, tokens: TokenList) -> list[str]:
    """The parameters a method, header or expose list becomes: its value, and for methods and
    headers the regex that checks a preflight (with the longest prefix A2 writes)."""
    listed = r.names(tokens, fold_case=what != "methods")
    value = ", ".join(listed)
    if what == "methods":
        return [value, "~^1:1:" + r.method_regex(None if tokens.wildcard else listed)]
    if what == "headers":
        return [value, "~*^1:1:" + r.headers_regex(None if tokens.wildcard else listed)]
    return [value]


def _unserved_method(method: str, span: Span) -> Diagnostic:
    return d.TARGET_CANNOT_EXPRESS.at(
        span,
        f"target `{TARGET}` cannot express the method `{method}`: nginx answers 400 to a "
        "request whose method has a character other than A-Z, `_` and `-`, before any "
        "location or CORS header, so the actual request a preflight grants would fail",
        "name methods with capitals, `_` and `-` only (nginx's clients send `PATCH`, not "
        "`patch`), or compile with `--target python`, whose middleware serves any method",
    )


def _regex_parameters(pattern: OriginPattern, deny: bool) -> list[str]:
    """The map keys of a regex pattern: its regex, and for a deny its trailing-dot twin."""
    twin = origins.render_dotted(pattern, "pcre") if deny else None
    return ["~" + origins.render_pattern(pattern, "pcre")] + ([] if twin is None else ["~" + twin])


def _fits(parameters: Callable[[], list[str]]) -> bool:
    """Whether every parameter fits nginx's parameter length once quoted. A value that cannot
    be rendered at all (a name that is no token, a regex outside the portable subset) is the
    front end's error, already reported: ``check`` also runs on policies with errors, which
    are never emitted."""
    try:
        for parameter in parameters():
            r.literal(parameter)
    except r.TooLong:
        return False
    except ValueError:  # r.Unwritable, or a regex the front end refused
        pass
    return True


def _too_long_at(span: Span, what: str) -> Diagnostic:
    return PARAMETER_TOO_LONG.at(
        span,
        f"{what} would become an nginx parameter over {r.MAX_PARAMETER} bytes, "
        "which nginx refuses to read",
        f"shorten it or split the policy, or compile with `--target {INSTEAD[0]}`",
    )


def _path_normalisation(policy: Policy) -> list[Diagnostic]:
    """CORS622 once per path-scoped policy: nginx's location matching decodes %XX (%2F
    included) and merges slashes, so it cannot see that a path is ambiguous."""
    if not policy.paths:
        return []
    return [
        PATH_NORMALISATION.at(
            policy.paths[0].span,
            f"target `{TARGET}`: nginx chooses the location after decoding %XX (%2F included) "
            "and merging slashes; a request such as /api%2Fv2 or //api, whose path as sent and "
            "decoded choose different policies, is refused by corsc (400) but answered by nginx "
            "with the decoded path's policy",
            "fine when clients never send such paths; otherwise let the application choose: "
            f"`--target {INSTEAD[0]}`",
        )
    ]


def _deviations(policy: Policy) -> list[Diagnostic]:
    """CORS602 for the declared deviations this policy triggers."""
    found = []
    for what, setting in _settings(policy):
        if setting.value.wildcard and what in ("methods", "headers") and setting.written:
            request = "Method" if what == "methods" else "Headers"
            unserved = (
                "; a preflight for a method nginx does not serve (any character but A-Z, `_` "
                "and `-`, such as `patch` or `M1`) is refused with 403, since nginx would "
                "answer the actual request 400 without CORS headers"
                if what == "methods"
                else ""
            )
            found.append(
                deviation(
                    TARGET,
                    f"`{what} *` reflects Access-Control-Request-{request} as nginx received "
                    f"it{unserved}",
                    setting.span,
                )
            )
    unique = {(x.span.start.offset, x.message): x for x in found}
    return list(unique.values())


def _where(policy_set: PolicySet, policy: Policy, options: EmitOptions) -> list[str]:
    """Which ``location`` blocks include this policy's snippet, when policies are chosen by
    path (README: Paths — prefixes match on segment boundaries)."""
    if not any(other.paths for other in policy_set.policies):
        return []
    stem = _stem(options, policy)
    if not policy.paths:
        return [
            f"This policy governs the paths no other policy does: include {stem}.conf in",
            "location / { … }, not in server {} (a server-level `if` would answer preflights",
            "for every path before nginx chooses a location).",
        ]
    lines = [f"This policy governs these paths; include {stem}.conf in:"]
    for prefix in policy.paths:
        if prefix.value == "/":
            lines.append("  location / { … }")
            continue
        # nginx compares a location with the path as it routes it (escapes decoded).
        path = paths.decoded_path(prefix.value)
        lines.append(
            f"  location {_path(path + '/')} {{ … }} and location = {_path(path)} {{ … }}"
            f" (or location ~ {_path('^' + re.escape(path) + '(/|$)')} {{ … }})"
        )
    lines.append("A plain `location /api` would also match /apiary.")
    return lines


def _path(path: str) -> str:
    """A location's path as nginx reads it: bare when it is plain, else quoted. A non-ASCII
    prefix (``/café``) is written as UTF-8: nginx matches locations on the decoded path, so
    a request for ``/caf%C3%A9`` finds it."""
    return path if re.fullmatch(r"[A-Za-z0-9/._~^()|$\\-]+", path) else r.literal(path, utf8=True)


def _layout(policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
    """CORS604: how the files of a multi-policy file map onto locations."""
    if not any(policy.paths for policy in policy_set.policies):
        return []
    found = []
    for policy in policy_set.policies:
        span = policy.paths[0].span if policy.paths else policy.span
        where = " ".join(line.strip() for line in _where(policy_set, policy, options))
        found.append(
            d.TARGET_LAYOUT.at(
                span,
                f"target `{TARGET}`: {where}",
                f"every policy's {_prefix(options)}-<policy>.http.conf goes inside http {{}}; "
                "README's nginx section shows a complete server",
            )
        )
    return found


BACKEND = NginxBackend()
