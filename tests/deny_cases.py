"""Generated deny patterns of every kind and origins around them, for the tests that check
that a ``deny`` refuses the Origin with a dot at the end of its host too (nginx in the real
server, URL Rewrite through the interpreter)."""

from __future__ import annotations

from hypothesis import strategies as st

from corsc import origin_regex, origins

_LABELS = st.sampled_from(["evil", "bad", "x-1", "q"])

#: One deny pattern as the policy language writes it: exact, with a port, subdomain and port
#: wildcards, and a regex with an optional port.
DENY_PATTERNS = st.one_of(
    st.builds(lambda a, b: f'"https://{a}.{b}.test"', _LABELS, _LABELS),
    st.builds(lambda a, port: f'"http://{a}.test:{port}"', _LABELS, st.sampled_from([81, 8443])),
    st.builds(lambda a: f'"https://*.{a}.test"', _LABELS),
    st.builds(lambda a: f'"http://{a}.test:*"', _LABELS),
    st.builds(lambda a: f'regex "^https://{a}-[0-9]+\\.test(:[0-9]+)?$"', _LABELS),
)

#: Origins built from the same labels, so that some are denied and some are near misses.
PROBES = st.builds(
    lambda scheme, labels, port: f"{scheme}://{'.'.join(labels)}.test{port}",
    st.sampled_from(["http", "https"]),
    st.lists(st.sampled_from(["evil", "bad", "x-1", "q", "q-7", "a"]), min_size=1, max_size=3),
    st.sampled_from(["", ":81", ":8443", ":5173"]),
)


def policy_text(denies: list[str]) -> str:
    return f"policy p {{\n  origins *\n  deny {', '.join(denies)}\n}}\n"


def dotted(origin: str) -> str:
    """``origin`` with a dot at the end of its host."""
    head, colon, port = origin.rpartition(":")
    if colon and port.isdigit() and "//" in head:
        return f"{head}.:{port}"
    return origin + "."


def refused(denied: list[origins.OriginPattern], origin: str) -> bool:
    """The definition: denied as sent, or with one trailing dot removed from the host."""
    forms = [origin, origins.without_trailing_dot(origin)]
    return any(origin_regex.matcher(pattern)(form) for pattern in denied for form in forms if form)
