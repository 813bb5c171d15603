"""How the ``haproxy`` target's rules choose the policy of a request by its path (README:
Paths): the longest prefix of the path as corsc reads it — decoded once, ``%2F`` kept as
data, dot segments removed — and, for a path holding ``%``, ``//`` or ``/.``, the same choice
on every form servers may route it as; when one differs, HAProxy answers 400 with no CORS
headers. The forms are HAProxy sample expressions (:mod:`corsc.backends.haproxy_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from corsc import paths
from corsc.backends import haproxy_text as t

if TYPE_CHECKING:
    from corsc.backends.haproxy_rules import Writer


def choose_policy(writer: Writer) -> None:
    """``p``: the policy whose longest prefix matches the path as corsc reads it, 0 for
    none; a path that, decoded as servers may route it, chooses another policy (or whose
    dot segments are too deep to remove here) is answered 400 with no CORS headers."""
    numbered = list(enumerate(writer.plan.policies, 1))
    names = ", ".join(f"{n} {plan.name}" for n, plan in numbered)
    writer.lines += [
        writer.comment(f"Which policy governs the path ({names}; 0: none): the longest"),
        writer.comment("prefix wins; a path whose decoded forms choose another is refused."),
    ]
    # The prefixes as each form writes them: %25 is `%` in both, %2F stays the text %2F
    # in the kept form.
    kept = [
        (paths.selection_prefix(prefix.value).replace("%25", "%"), number)
        for number, plan in numbered
        for prefix in plan.policy.paths
    ]
    decoded = [
        (paths.decoded_path(prefix.value).rstrip("/") or "/", number)
        for number, plan in numbered
        for prefix in plan.policy.paths
    ]
    # A "/" prefix matches every path, and any prefix wins over the fallback.
    fallback = next(
        (number for prefix, number in decoded if prefix == "/"),
        next((n for n, plan in numbered if not plan.policy.paths), 0),
    )
    suspicious = f"{{ var({writer.var('sus')}) -m bool }}"
    writer.request(f"set-var({writer.var('sus')}) bool(1)", "{ path -m sub % // /. }")
    writer.request(f"set-var({writer.var('path')}) {t.word(t.KEPT_PATH)}")
    choose(writer, "path", "p", kept, fallback)
    forms = {
        "d": t.DECODED_PATH,
        "dm": f"var({writer.var('d')}),{t.MERGE_SLASHES}",
        "dr": f"var({writer.var('d')}),{t.NO_DOTS}",
        "dmr": f"var({writer.var('dm')}),{t.NO_DOTS}",
    }
    ambiguous = writer.var("amb")
    for form, expression in forms.items():
        writer.request(f"set-var({writer.var(form)}) {t.word(expression)}", suspicious)
    for form in forms:
        choose(writer, form, f"p{form}", decoded, fallback, suspicious)
        writer.request(
            f"set-var({ambiguous}) bool(1)",
            suspicious,
            f"!{{ var({writer.var('p')}),sub({writer.var('p' + form)}) eq 0 }}",
        )
    for form in ("path", "dr", "dmr"):
        writer.request(
            f"set-var({ambiguous}) bool(1)",
            suspicious,
            f"{{ var({writer.var(form)}) -m reg {t.word(t.DOT_DOT)} }}",
        )
    refused = f"{{ var({ambiguous}) -m bool }}"
    writer.request(f"set-var({writer.var('p')}) int(0)", refused)
    writer.request("return status 400", refused)


def choose(
    writer: Writer,
    form: str,
    target: str,
    prefixes: Sequence[tuple[str, int]],
    fallback: int,
    *first: str,
) -> None:
    """``target`` = the number of the policy whose longest prefix matches ``form``."""
    chosen = writer.var(target)
    for prefix, number in sorted(prefixes, key=lambda item: -len(item[0].encode())):
        if prefix == "/":
            continue
        path = f"var({writer.var(form)})"
        # `-m str` reads the path up to a NUL (`%00` decodes to one): its length says the
        # whole path is the prefix.
        exact = (
            f"{{ {path} -m str {t.path_word(prefix)} }}",
            f"{{ {path} -m len {len(prefix.encode())} }}",
        )
        for test in (exact, (f"{{ {path} -m beg {t.path_word(prefix + '/')} }}",)):
            writer.request(
                f"set-var({chosen}) int({number})", *first, f"!{writer.found(target)}", *test
            )
    writer.request(f"set-var({chosen}) int({fallback})", *first, f"!{writer.found(target)}")
