"""The files of the ``nginx`` target, per policy: ``<prefix>-<policy>.http.conf`` (the maps
variant, :mod:`corsc.backends.nginx_maps`) or ``<prefix>-<policy>.server.conf`` (the A2
variant, :mod:`corsc.backends.nginx_a2`), and the snippet ``<prefix>-<policy>.conf`` that both
share: two ``if (…) { return …; }`` and one ``add_header … always`` per header, whose empty
values nginx does not send. Each file opens with its provenance and says where it goes,
including, for path-scoped policies, which ``location`` blocks include the snippet (the same
text CORS604 gives).
"""

from __future__ import annotations

import re

from corsc import http, paths
from corsc.backends import EmitOptions, OutputFile
from corsc.backends.nginx_a2 import server_lines
from corsc.backends.nginx_maps import http_lines
from corsc.backends.nginx_plan import Decision
from corsc.backends.nginx_text import comment, literal
from corsc.ir import Policy, PolicySet
from corsc.plan import Plan
from corsc.provenance import provenance

TARGET = "nginx"

#: ``-O hide-upstream=`` → the directives that hide the upstream's Access-Control-* headers.
HIDE_DIRECTIVES = {
    "none": (),
    "proxy": ("proxy_hide_header",),
    "fastcgi": ("fastcgi_hide_header",),
    "uwsgi": ("uwsgi_hide_header",),
    "grpc": ("grpc_hide_header",),
    "all": ("proxy_hide_header", "fastcgi_hide_header", "uwsgi_hide_header", "grpc_hide_header"),
}


def prefix(options: EmitOptions) -> str:
    """``-O prefix=``: the first part of every variable and file name."""
    return options.get("prefix", "corsc")


def stem(options: EmitOptions, policy: Policy) -> str:
    """The file names' common part for a policy: ``<prefix>-<policy>``."""
    return f"{prefix(options)}-{policy.name}"


def emit(policy_set: PolicySet, options: EmitOptions) -> list[OutputFile]:
    """Both files of every policy, in source order."""
    files = []
    a2 = options.get("variant", "maps") == "a2"
    for plan in Plan.of(policy_set).policies:
        policy = plan.policy
        decision = Decision.of(plan, prefix(options))
        name = stem(options, policy)
        stamp = comment(provenance(options.version, options.source_name, TARGET, policy))
        if a2:
            first_name = f"{name}.server.conf"
            first_place = "inside server {}, never inside a location"
            body = server_lines(decision)
            about = [
                f'Policy "{policy.name}", part 1 of 2: include it inside server {{}} only,',
                f"before {name}.conf (an `if` that sets a variable is safe only at server",
                "level; inside a location it breaks try_files).",
            ]
        else:
            first_name = f"{name}.http.conf"
            first_place = "inside http {}, once"
            body = http_lines(decision)
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
            *where(policy_set, policy, options),
        ]
        snippet = snippet_lines(decision, options.get("hide-upstream", "none"))
        files.append(
            OutputFile(
                f"{name}.conf", _file(stamp, about, snippet), "inside server {} or location {}"
            )
        )
    return files


def _file(stamp: str, about: list[str], body: list[str]) -> str:
    return "\n".join([stamp, *map(comment, about), "", *body]) + "\n"


def where(policy_set: PolicySet, policy: Policy, options: EmitOptions) -> list[str]:
    """Which ``location`` blocks include this policy's snippet, when policies are chosen by
    path (README: Paths — prefixes match on segment boundaries); nothing without paths."""
    if not any(other.paths for other in policy_set.policies):
        return []
    name = stem(options, policy)
    if not policy.paths:
        return [
            f"This policy governs the paths no other policy does: include {name}.conf in",
            "location / { … }, not in server {} (a server-level `if` would answer preflights",
            "for every path before nginx chooses a location).",
        ]
    lines = [f"This policy governs these paths; include {name}.conf in:"]
    plain = ""
    for path_prefix in policy.paths:
        if path_prefix.value == "/":
            lines.append("  location / { … }")
            continue
        # nginx compares a location with the path as it routes it (escapes decoded).
        path = paths.decoded_path(path_prefix.value)
        plain = plain or path
        lines.append(
            f"  location {_path(path + '/')} {{ … }} and location = {_path(path)} {{ … }}"
            f" (or location ~ {_path('^' + re.escape(path) + '(/|$)')} {{ … }})"
        )
    if plain:
        lines.append(f"A plain `location {_path(plain)}` would also match {_path(plain + 'x')}.")
    return lines


def _path(path: str) -> str:
    """A location's path as nginx reads it: bare when it is plain, else quoted. A non-ASCII
    prefix (``/café``) is written as UTF-8: nginx matches locations on the decoded path, so
    a request for ``/caf%C3%A9`` finds it."""
    return path if re.fullmatch(r"[A-Za-z0-9/._~^()|$\\-]+", path) else literal(path, utf8=True)


def snippet_lines(decision: Decision, hide: str) -> list[str]:
    """The part included where requests are served: the ``return``s (the only ``if``s; an ``if``
    holding only ``return`` is safe even in a location, per the nginx wiki's "If is Evil"), one
    ``add_header … always`` per header, and optionally the upstream's Access-Control-* headers
    hidden."""
    outputs = decision.outputs()
    answer = next(output for output in outputs if output.name == "answer")
    lines = [
        f"if ({decision.v('answer')} = {status}) {{ return {status[1:-1]}; }}"
        for status in answer.by_value()
    ]
    headers = decision.static_headers()
    for output in outputs:
        if output.header:
            value = decision.v(output.name) if output.values else output.default
            headers.append((output.header, value))
    lines += [f"add_header {name} {value} always;" for name, value in headers]
    directives = HIDE_DIRECTIVES[hide]
    if directives:
        lines += [
            "",
            comment(
                "nginx alone answers CORS: the upstream's Access-Control-* headers are hidden."
            ),
            comment(
                "A level with *_hide_header of its own does not inherit these (all or nothing)."
            ),
        ]
        lines += [
            f"{directive} {name};" for directive in directives for name in http.RESPONSE_HEADERS
        ]
    return lines
