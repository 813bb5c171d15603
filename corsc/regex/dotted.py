"""The dotted twin of a regex: the Origins it admits with one dot added after the host.

Browsers keep a trailing dot in the host (``https://example.com.``), which servers cannot strip
before matching, so a ``deny`` refuses both forms: each deny regex gets a second rendering,
written here from the same tree, that admits exactly the dotted forms.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from corsc.regex.emit import DIALECTS, anchor, emit_node, quantifier
from corsc.regex.syntax import clean_tree
from corsc.regex.tree import Alt, AnyChar, CharClass, Group, Literal, Node, Repeat, Seq


def render_dotted(body: str, dialect: str) -> str | None:
    """An anchored regex in ``dialect`` admitting exactly the Origins that are an origin the
    body admits with one dot added at the end of its host: ``scheme://host.`` or
    ``scheme://host.:port`` (the form a page opened under its fully qualified name sends), or
    ``None`` when no such Origin exists. A ``deny`` refuses both forms.

    The body's tree is rewritten so that the added dot may follow any character, each time
    guarded by a lookahead that only a port (or nothing) follows it; a lookahead at the start
    requires the scheme and host shape. Positions that cannot be followed by a port are left
    out, so the usual regex (ending in a host) gets one alternative."""
    end = DIALECTS[dialect][1][1:]
    dot = rf"\.(?=(?::[0-9]+)?{end})"
    dotted = _dotted(clean_tree(body), dot)
    if dotted is None:
        return None
    shape = rf"(?=[a-z][a-z0-9+.\-]*://[^/?\x23:]+\.(?::[0-9]+)?{end})"
    return anchor(shape + dotted, dialect)


#: What a port suffix is made of.
_PORT_CHARS = frozenset(":" + string.digits)


def _may_be_port(node: Node) -> bool:
    """Whether the node admits some string of port characters (the empty one included)."""
    if isinstance(node, Literal):
        return node.char in _PORT_CHARS
    if isinstance(node, CharClass):
        return bool(node.chars & _PORT_CHARS)
    if isinstance(node, AnyChar):
        return True
    if isinstance(node, Group):
        return _may_be_port(node.body)
    if isinstance(node, Seq):
        return all(_may_be_port(item) for item in node.items)
    if isinstance(node, Alt):
        return any(_may_be_port(option) for option in node.options)
    return node.min == 0 or _may_be_port(node.body)


def _nullable(node: Node) -> bool:
    """Whether the node admits the empty string."""
    if isinstance(node, Literal | CharClass | AnyChar):
        return False
    if isinstance(node, Group):
        return _nullable(node.body)
    if isinstance(node, Seq):
        return all(map(_nullable, node.items))
    if isinstance(node, Alt):
        return any(map(_nullable, node.options))
    return node.min == 0 or _nullable(node.body)


def _may_start_with_colon(items: Sequence[Node]) -> bool:
    """Whether some string of ``items``, one after the other, starts with ``:``."""
    for item in items:
        if isinstance(item, Literal):
            return item.char == ":"
        if isinstance(item, CharClass):
            return ":" in item.chars
        if isinstance(item, AnyChar):
            return True
        if isinstance(item, Alt):
            if any(_may_start_with_colon((option,)) for option in item.options):
                return True
        else:
            inner = item.items if isinstance(item, Seq) else (item.body,)
            if (not isinstance(item, Repeat) or item.max != 0) and _may_start_with_colon(inner):
                return True
        if not _nullable(item):
            return False
    return False


def _may_follow_dot(items: Sequence[Node]) -> bool:
    """Whether ``items`` may admit what follows the added dot: nothing, or ``:`` and digits
    (an over-approximation, which only costs alternatives the lookahead then refuses)."""
    if not all(map(_may_be_port, items)):
        return False
    return all(map(_nullable, items)) or _may_start_with_colon(items)


def _dotted(node: Node, dot: str) -> str | None:
    """A regex for ``u + dot + v`` where ``u + v`` is a string of ``node`` and ``u`` is not
    empty; ``None`` when the node admits no non-empty string."""
    if isinstance(node, Literal | CharClass | AnyChar):
        return emit_node(node) + dot
    if isinstance(node, Group):
        inner = _dotted(node.body, dot)
        return None if inner is None else f"(?:{inner})"
    if isinstance(node, Alt | Seq):
        if isinstance(node, Alt):
            found = [_dotted(option, dot) for option in node.options]
        else:
            items = node.items
            found = [
                "".join(map(emit_node, items[:index]))
                + part
                + "".join(map(emit_node, items[index + 1 :]))
                for index, item in enumerate(items)
                if _may_follow_dot(items[index + 1 :]) and (part := _dotted(item, dot)) is not None
            ]
        parts = [part for part in found if part is not None]
        return "(?:" + "|".join(parts) + ")" if parts else None
    inner = _dotted(node.body, dot)
    if inner is None or node.max == 0:
        return None
    repeated = emit_node(node.body)

    def times(low: int, high: int | None) -> str:
        return "" if high == 0 else repeated + quantifier(low, high)

    last = None if node.max is None else node.max - 1
    if not _may_follow_dot((node.body,)) or not _may_start_with_colon((node.body,)):
        # A later iteration would put something other than `:` right after the dot.
        return times(max(node.min - 1, 0), last) + inner
    # The dot in iteration `before + 1`; the iterations after it make up the rest.
    if node.max is None:
        low = max(node.min - 1, 0)
        alternatives = [times(b, b) + inner + times(low - b, None) for b in range(low)]
        alternatives.append(times(low, None) + inner + times(0, None))
    else:
        alternatives = [
            times(b, b) + inner + times(max(node.min - 1 - b, 0), node.max - 1 - b)
            for b in range(node.max)
        ]
    return "(?:" + "|".join(alternatives) + ")"
