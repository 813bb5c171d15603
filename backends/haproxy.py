"""The ``haproxy`` target (HAProxy 2.6): a named ``defaults`` section, ``<prefix>.cfg``, that a
``frontend`` (or a ``backend``) takes its rules from with ``from <prefix>``, and the pattern
files its long origin lists go into. docs/haproxy.md describes it for users.

Facts about HAProxy come from its configuration manual
(https://docs.haproxy.org/2.6/configuration.html: "http-after-response" applies to every
response, HAProxy's own included; rules in a named ``defaults`` section run before the
proxy's own; ``http-request return``; ``req.fhdr``; pattern files) and were observed with
HAProxy 2.6.12 (Debian's package). This module holds the target's data (its capability table,
declared deviations, options and 67x diagnostics) and the checks only HAProxy needs; the
rules are :mod:`corsc.backends.haproxy_rules`'s, their syntax
:mod:`corsc.backends.haproxy_text`'s.
"""

from __future__ import annotations

import re
import urllib.parse

from corsc import capabilities, http, paths
from corsc import diagnostics as d
from corsc.backends import EmitOptions, Option, OutputFile, alternatives
from corsc.backends import haproxy_text as t
from corsc.backends.haproxy_rules import regexes, section
from corsc.capabilities import Capability, Feature, Support
from corsc.diagnostics import Diagnostic
from corsc.ir import PatternKind, Policy, PolicySet
from corsc.plan import PolicyPlan
from corsc.provenance import provenance

TARGET = "haproxy"

BAD_PREFIX = d.kind(
    "CORS670",
    "haproxy-bad-prefix",
    d.Severity.ERROR,
    "an -O prefix= that is not usable in HAProxy section, variable and file names",
)
BAD_PARENT = d.kind(
    "CORS671",
    "haproxy-bad-defaults-name",
    d.Severity.ERROR,
    "an -O from= that is not a HAProxy section name",
)
BAD_PATTERN_DIR = d.kind(
    "CORS672",
    "haproxy-bad-pattern-dir",
    d.Severity.ERROR,
    "an -O pattern-dir= that cannot be written as a plain HAProxy file path",
)
PATTERN_TOO_LONG = d.kind(
    "CORS673",
    "haproxy-pattern-too-long",
    d.Severity.ERROR,
    "a regex longer than HAProxy reads from a pattern file line",
)
HEADERS_TOO_LARGE = d.kind(
    "CORS674",
    "haproxy-headers-too-large",
    d.Severity.WARNING,
    "CORS headers larger than the space HAProxy reserves for adding headers",
)

_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,31}")
_PATTERN_DIR = re.compile(r"[A-Za-z0-9/._+~-]+")
#: HAProxy reserves ``tune.maxrewrite`` bytes of a buffer for added headers (1024 unless set).
MAX_REWRITE = 1024

CAPABILITIES = capabilities.table(
    [
        Capability(Feature.EXACT_ORIGIN, Support.YES, "`-m str` on the Origin (byte for byte)"),
        Capability(
            Feature.SUBDOMAIN_ORIGIN,
            Support.YES,
            "fixed-port ones by the Origin's shape and `-m end`; any-port ones by PCRE from "
            "corsc's origins module",
        ),
        Capability(Feature.PORT_ORIGIN, Support.YES, "PCRE from corsc's origins module"),
        Capability(
            Feature.REGEX_ORIGIN,
            Support.YES,
            "PCRE from corsc's origins module, run only on an Origin of at most 267 characters",
        ),
        Capability(Feature.NULL_ORIGIN, Support.YES, "`-m str null`"),
        Capability(Feature.ANY_ORIGIN, Support.YES, "a fixed `*` in static mode, else reflected"),
        Capability(
            Feature.SEVERAL_ORIGINS,
            Support.YES,
            "`set-var` rules choose the grant of the most specific entry; `Vary: Origin`",
        ),
        Capability(
            Feature.DENY,
            Support.YES,
            "checked before every allow entry, with each pattern's trailing-dot twin",
        ),
        Capability(Feature.ORIGIN_BLOCKS, Support.YES, "a grant of their own, checked first"),
        Capability(Feature.UNLISTED_REJECT, Support.YES, "`http-request return status 403`"),
        Capability(
            Feature.METHODS_ANY,
            Support.YES,
            "Access-Control-Request-Method reflected once it is checked to be a token",
        ),
        Capability(
            Feature.HEADERS_ANY,
            Support.YES,
            "Access-Control-Request-Headers reflected once every item is checked to be a "
            "token, re-joined with `, `",
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
            Support.YES,
            "`http-request return status 204` (or 200), no body",
        ),
        Capability(
            Feature.PATHS,
            Support.YES,
            "the longest prefix of the path decoded as corsc reads it; a path whose decoded "
            "forms (%2F decoded, slashes merged, dot segments removed or not) choose another "
            "policy is answered 400",
        ),
        Capability(
            Feature.SEVERAL_POLICIES,
            Support.YES,
            "one defaults section; the path chooses the policy",
        ),
    ]
)

DEVIATIONS = (
    "of repeated Access-Control-Request-* header lines, HAProxy reads the last only; a "
    "request with repeated Origin lines is taken as from an origin that is not allowed "
    "(browsers send each once)",
    "a path whose dot segments are more than three `..` deep is answered 400 even where "
    "its forms all choose one policy (browsers remove dot segments before sending)",
    "an error HAProxy answers while parsing a request, before any rule (a malformed request "
    "line), has no CORS headers: HAProxy runs no http-after-response rule on it",
    "an Origin holding a control character (NUL, DEL…, which HTTP allows in no field value "
    "and no browser sends) is echoed with it written `%XX`: HAProxy escapes control "
    "characters in every header it writes from a request field",
    "a NUL in the Origin, or in a preflight's Access-Control-Request-Method or -Headers, ends "
    "the value where HAProxy compares it (`https://app.example.com` and a NUL is that "
    "origin): no browser sends one there, and testing for it would cost every request",
)

OPTIONS = (
    Option(
        "prefix",
        "the defaults section's name, and the first part of every variable and pattern file "
        "name ([a-z][a-z0-9_]*)",
        "corsc",
    ),
    Option("from", "a defaults section of yours that the generated one inherits (timeouts …)"),
    Option(
        "pattern-dir",
        "the directory HAProxy reads the pattern files from",
        "/etc/haproxy/corsc",
    ),
    Option(
        "upstream",
        "keep: the server's own Access-Control-* headers stay where corsc sets none; hide: "
        "they are removed",
        "keep",
        ("keep", "hide"),
    ),
)


class HaproxyBackend:
    """The ``haproxy`` target (:class:`corsc.backends.Backend`)."""

    names = (TARGET,)
    platform = "haproxy"
    docs = "haproxy.md"
    runs_on = "HAProxy 2.6"
    verified = (
        "`haproxy -c` on every golden; a real HAProxy on 127.0.0.1, and through a real Chromium"
    )
    summary = "a defaults section for `frontend … from corsc`, and pattern files"
    capabilities = CAPABILITIES
    deviations = DEVIATIONS
    serves = True
    options = OPTIONS

    def check(self, policy_set: PolicySet, options: EmitOptions) -> list[Diagnostic]:
        problems: list[Diagnostic] = []
        if not policy_set.policies:
            return problems
        first = policy_set.policies[0].span
        prefix = options.get("prefix", "corsc")
        if not _PREFIX.fullmatch(prefix):
            problems.append(
                BAD_PREFIX.at(
                    first,
                    f"-O prefix={prefix} cannot name a HAProxy section, variables and files",
                    "use a lowercase letter, then up to 31 lowercase letters, digits or `_`",
                )
            )
        parent = options.get("from")
        if parent and not t.proxy_name(parent):
            problems.append(
                BAD_PARENT.at(
                    first,
                    f"-O from={parent} is not a HAProxy section name",
                    "name a defaults section of yours: letters, digits, `-`, `_`, `.`, `:`",
                )
            )
        pattern_dir = options.get("pattern-dir", "/etc/haproxy/corsc")
        if not _PATTERN_DIR.fullmatch(pattern_dir):
            problems.append(
                BAD_PATTERN_DIR.at(
                    first,
                    f"-O pattern-dir={pattern_dir} holds a character HAProxy would read "
                    "as syntax, or nothing",
                    "use letters, digits and `/._+~-` (an absolute path is best)",
                )
            )
        instead = alternatives(self, policy_set)(None)
        for policy in policy_set.policies:
            problems += _check_policy(policy, instead)
        return problems

    def emit(self, policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
        prefix = options.get("prefix", "corsc")
        pattern_dir = options.get("pattern-dir", "/etc/haproxy/corsc")
        lines, patterns = section(
            policy_set,
            prefix,
            options.get("from"),
            pattern_dir,
            options.get("upstream", "keep") == "hide",
        )
        stamp = t.comment(provenance(options.version, options.source_name, TARGET, policy_set))
        about = [
            f"Load it before your proxies (haproxy -f {prefix}.cfg -f haproxy.cfg) and take",
            f"its rules in the frontend that serves the policy: `frontend www from {prefix}`.",
            "Its rules run before the frontend's own; they need `mode http`.",
        ]
        if patterns:
            about.append(f"The pattern files go into {pattern_dir}/.")
        text = "\n".join([stamp, *map(t.comment, about), "", *lines]) + "\n"
        files = [OutputFile(f"{prefix}.cfg", text, "haproxy -f, before the proxies using it")]
        files += [
            OutputFile(name, content, f"in {pattern_dir}/", comment="")
            for name, content in sorted(patterns.items())
        ]
        return files


def _unwritable_prefix(prefix: str) -> str:
    """Why a path prefix cannot be compared with HAProxy's decoded path, or ``""``."""
    try:
        # HAProxy compares bytes: escapes that are no UTF-8 would match other bytes than the
        # text corsc reads them as.
        urllib.parse.unquote_to_bytes(prefix).decode("utf-8")
    except UnicodeDecodeError:
        return "decoded, it is not UTF-8, and HAProxy compares the decoded bytes"
    if "\ufffd" in prefix:
        return "U+FFFD stands for bytes that are no UTF-8, and HAProxy compares bytes"
    try:
        t.path_word(paths.decoded_path(prefix))
    except t.Unwritable:
        return "decoded, it holds a control character"
    return ""


def _check_policy(policy: Policy, instead: list[str]) -> list[Diagnostic]:
    """What HAProxy cannot be told: a path prefix that decodes to a control character, a regex
    longer than a pattern-file line or with characters no line holds; and a warning when a
    grant's headers outgrow the space HAProxy keeps for adding headers."""
    problems = []
    for prefix in policy.paths:
        problem = _unwritable_prefix(prefix.value)
        if problem:
            problems.append(
                capabilities.cannot_express(
                    TARGET, f"the path prefix `{prefix.value}`: {problem}", prefix.span, instead
                )
            )
    patterns = [(entry.pattern, False) for entry in policy.entries]
    patterns += [(pattern, True) for pattern in policy.denies]
    for pattern, deny in patterns:
        if pattern.kind in (PatternKind.ANY, PatternKind.EXACT, PatternKind.NULL):
            continue
        try:
            sources = regexes(pattern, deny=deny)
        except ValueError:  # a regex the front end refused, already reported
            continue
        try:
            t.pattern_file(sources)
            for source in sources:
                t.word(source)
        except t.Unwritable:
            problems.append(
                PATTERN_TOO_LONG.at(
                    pattern.span,
                    f"this pattern's regex is longer than the {t.MAX_PATTERN} bytes HAProxy "
                    "reads from a pattern file line, or holds a character no line can",
                    f"shorten it; or {capabilities.compile_with(instead)}",
                )
            )
    plan = PolicyPlan.of(policy)
    for grant in plan.grants:
        size = sum(
            len(value) + len(name) + 4
            for name, value in (
                (http.ALLOW_METHODS, grant.allow_methods),
                (http.ALLOW_HEADERS, grant.allow_headers),
                (http.EXPOSE_HEADERS, grant.expose or ""),
            )
        )
        if size > MAX_REWRITE:
            problems.append(
                HEADERS_TOO_LARGE.at(
                    grant.grant.headers.span,
                    f"the CORS headers of this grant take {size} bytes, more than the "
                    f"{MAX_REWRITE} HAProxy reserves for adding headers by default; a large "
                    "response would then be answered 500",
                    "set `tune.maxrewrite` in HAProxy's global section above that size, or "
                    "shorten the lists",
                )
            )
    return problems


BACKEND = HaproxyBackend()
