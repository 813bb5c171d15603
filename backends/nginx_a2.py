"""The A2 variant of the ``nginx`` target (``-O variant=a2``): the file for ``server {}``
(``<prefix>-<policy>.server.conf``), for servers whose ``http {}`` cannot be edited.

It computes the same variables as the maps variant with ``set`` and ``if`` at server level,
where an ``if`` that sets a variable is safe. Every origin is matched by regexes in turn, so
the maps variant is faster for long origin lists.
"""

from __future__ import annotations

from collections.abc import Sequence

from corsc import origin_regex
from corsc.backends.nginx_plan import DENIED, Decision, gid, preflights
from corsc.backends.nginx_text import (
    ACRH,
    ACRM,
    ACRPN,
    NOTHING_ASKED,
    ORIGIN,
    PREFLIGHT,
    PRIVATE_NETWORK_ASKED,
    comment,
    headers_regex,
    literal,
    method_regex,
    text,
    union_chunks,
)
from corsc.ir import PatternKind


def _if_in(subject: str, states: Sequence[str]) -> str:
    """An ``if`` condition: ``subject`` is one of ``states``."""
    if len(states) == 1:
        return f"({subject} = {text(states[0])})"
    return f"({subject} ~ {literal('^(?:' + '|'.join(states) + ')' + chr(92) + 'z')})"


def _set(variable: str, value: str, condition: str = "") -> str:
    return (
        f"if {condition} {{ set {variable} {value}; }}" if condition else f"set {variable} {value};"
    )


def server_lines(decision: Decision) -> list[str]:
    """The file's lines: the maps variant's variables computed with ``set`` and ``if``. A later
    ``if`` overrides an earlier one, so the origin's tiers are written from the least specific
    to ``deny``."""
    v = decision.v
    lines = [
        comment("1. The origin (see the maps variant): least specific first, deny last. The"),
        comment("   policy's regexes see an Origin too long to be one as empty."),
    ]
    origin = v("origin")
    lines += [
        _set(v("grant"), text(decision.fallback)),
        _set(v("long"), '""'),
        _set(v("long"), text("1"), f"({ORIGIN} ~ {literal(origin_regex.TOO_LONG)})"),
        _set(origin, ORIGIN),
        _set(origin, '""', f'({v("long")} = "1")'),
    ]
    for tier in reversed(decision.tiers):
        patterns = [p for p in tier.patterns if p.kind is not PatternKind.ANY]
        if tier.any or not patterns:
            continue  # the fallback already gives every origin this tier's value
        for source in [*union_chunks(patterns), *tier.dotted]:
            lines.append(_set(v("grant"), text(tier.value), f"({origin} ~ {literal(source)})"))
    lines.append(_set(v("grant"), '""', f'({origin} = "")'))
    lines.append(_set(v("grant"), text(DENIED), f'({v("long")} = "1")'))
    lines += ["", comment("2. The state.")]
    lines += [
        _set(v("pf"), '""'),
        _set(v("request"), f'"$request_method:{ACRM}"'),
        _set(v("pf"), text("1"), f"({v('request')} ~ {literal('^' + PREFLIGHT)})"),
        _set(v("gpf"), f'"{v("grant")}:{v("pf")}"'),
        _set(v("state"), '""'),
        _set(v("state"), text("U"), _if_in(v("gpf"), ["0:"])),
        _set(v("state"), text("R"), _if_in(v("gpf"), ["0:1"])),
    ]
    for grant in decision.grants:
        lines.append(_set(v("state"), text("A" + gid(grant)), _if_in(v("gpf"), [f"{gid(grant)}:"])))
    lines += [
        _set(v("m"), '""'),
        _set(v("h"), '""'),
        _set(v("pna"), '""'),
        _set(v("gpf_m"), f'"{v("gpf")}:{ACRM}"'),
        _set(v("gpf_h"), f'"{v("gpf")}:{ACRH}"'),
    ]
    if decision.plan.private_network:
        condition = f"({ACRPN} ~ {literal('^' + PRIVATE_NETWORK_ASKED)})"
        lines.append(_set(v("pna"), text("1"), condition))
    for grant in decision.grants:
        g = gid(grant)
        lines += [
            _set(
                v("m"),
                text(g),
                f"({v('gpf_m')} ~ {literal(f'^{g}:1:' + method_regex(grant.preflight_methods))})",
            ),
            _set(
                v("h"),
                text("2"),
                f"({v('gpf_h')} ~* {literal(f'^{g}:1:' + headers_regex(grant.headers))})",
            ),
            _set(v("h"), text("1"), f"({v('gpf_h')} ~ {literal(f'^{g}:1:' + NOTHING_ASKED)})"),
        ]
    lines.append(_set(v("checked"), f'"{v("m")}:{v("h")}:{v("pna")}"'))
    for grant in decision.grants:
        g = gid(grant)
        lines.append(_set(v("state"), text("R"), _if_in(v("gpf"), [f"{g}:1"])))
        for asked, flag, state in preflights(grant):
            # A grant without private network access ignores the request for it.
            flags = (
                [flag] if grant.private_network else ["", "1"][: 1 + decision.plan.private_network]
            )
            keys = [f"{g}:{asked}:{f}" for f in flags]
            lines.append(_set(v("state"), text(state), _if_in(v("checked"), keys)))
    lines += ["", comment("3. What each state sends; an empty value sends no header.")]
    for output in decision.outputs():
        if not output.values:
            continue
        lines.append(_set(v(output.name), output.default))
        for value, states in output.by_value().items():
            lines.append(_set(v(output.name), value, _if_in(v("state"), states)))
    return lines
