"""The lines of the ``apache`` target for a ``<VirtualHost>``: every policy's decisions, the
choice of policy by path, the answers, the headers — in that order, since mod_setenvif runs
before mod_rewrite answers and mod_headers sets headers last.

When some policy has ``paths``, mod_rewrite sets ``corsc_policy`` to the policy of the longest
prefix of the path as Apache routes it (decoded, dot segments removed, slashes merged; a prefix
matches on a segment boundary), else to the fallback's name; each policy's lines then hold only
where it is the one chosen (:class:`corsc.backends.apache_rules.Writer`).
"""

from __future__ import annotations

from corsc import paths
from corsc.backends.apache_rules import ONE_SPACE_200, POLICY, VIRTUALHOST, Writer
from corsc.backends.apache_values import quoted
from corsc.plan import Plan


def path_regex(prefix: str) -> str:
    """A PCRE matching a decoded path on a segment boundary below ``prefix`` (decoded, no
    trailing slash): its UTF-8 bytes, all but letters and digits as ``\\xHH``."""
    body = "".join(
        chr(byte)
        if chr(byte).isascii() and (chr(byte).isalnum() or chr(byte) in "/-_")
        else f"\\x{byte:02x}"
        for byte in prefix.encode("utf-8")
    )
    return f"^{body}(?:/|\\z)"


def choose(plan: Plan) -> list[str]:
    """mod_rewrite lines setting ``corsc_policy`` to the policy whose longest prefix matches
    the path as Apache routes it (decoded, dot segments removed, slashes merged); the
    fallback's name otherwise."""
    numbered = [
        (paths.decoded_path(prefix.value).rstrip("/") or "/", policy.name)
        for policy in plan.policies
        for prefix in policy.policy.paths
    ]
    fallback = next(
        (name for prefix, name in numbered if prefix == "/"),
        next((p.name for p in plan.policies if not p.policy.paths), None),
    )
    lines = [
        f"# {POLICY}: the policy of the longest prefix of the path as Apache routes it.",
    ]
    unset = f"RewriteCond %{{ENV:{POLICY}}} ^$"
    for prefix, name in sorted(numbered, key=lambda item: -len(item[0].encode())):
        if prefix == "/":
            continue
        lines += [unset, f"RewriteRule {quoted(path_regex(prefix))} - [E={POLICY}:{name}]"]
    if fallback is not None:
        lines += [unset, f"RewriteRule ^ - [E={POLICY}:{fallback}]"]
    return lines


def virtual_host(plan: Plan) -> list[str]:
    """Every policy's lines for a ``<VirtualHost>``: the decisions, the choice of policy by
    path (when some policy has ``paths``), the answers, the headers."""
    chosen = any(policy.policy.paths for policy in plan.policies)
    writers = [Writer(policy, VIRTUALHOST, chosen) for policy in plan.policies]
    lines: list[str] = []
    for writer in writers:
        writer.lines.append(f'# Policy "{writer.plan.name}".')
        writer.decide()
        lines += writer.lines
    lines += ["", "RewriteEngine On"]
    if chosen:
        lines += choose(plan)
    for writer in writers:
        writer.lines = []
        writer.answer()
        lines += writer.lines
    if any(policy.preflight_status == 200 for policy in plan.policies):
        lines += ONE_SPACE_200
    for writer in writers:
        writer.lines = [""]
        writer.headers()
        lines += writer.lines
    return lines
