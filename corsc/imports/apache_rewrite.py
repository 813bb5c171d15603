"""mod_rewrite and mod_alias as :class:`corsc.imports.apache_machine.Machine` runs them:
``RewriteCond`` (test strings with ``%{ENV:x}``, ``%{HTTP:Header}``, ``%{REQUEST_METHOD}``,
``$N`` and ``%N``; regex, ``=``/``<``/``>`` comparisons and ``expr``; ``[NC]``, ``[OR]`` chained
as Apache chains them) and ``RewriteRule`` (``[E=…]``, ``[R=…]``, ``[F]``, ``[G]``, ``[L]``,
``[END]``, ``[P]``), and ``Redirect status`` in a section.

What always holds: a rule that would rewrite the URL, a flag that jumps between rules, a file
test or a variable of the server is :class:`~corsc.imports.machine.Opaque` at its line, never
guessed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from corsc.imports.apache_syntax import Evaluation, Expr, ExprError, Node, parse_expr
from corsc.imports.machine import Opaque, pcre

_REDIRECTS = {"permanent": 301, "temp": 302, "seeother": 303, "gone": 410}


def expression(text: str, line: int) -> Expr:
    """An ap_expr condition, or :class:`Opaque` at ``line`` when corsc does not read it."""
    try:
        return _parsed(text)
    except ExprError as problem:
        raise Opaque(line, f"the expression `{text}` is not one corsc reads ({problem})") from None


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> Expr:
    return parse_expr(text)


class Rewriting:
    """The rewrite part of a machine: ``env`` is the request's environment, ``rule`` the line
    of the rule that answered."""

    env: dict[str, str]
    request: Mapping[str, str]
    rule: int

    @property
    def path(self) -> str:
        return self.request.get("$uri", "/")

    def header_in(self, name: str, line: int) -> str:
        raise NotImplementedError

    def evaluation(self, line: int) -> Evaluation:
        raise NotImplementedError

    def rewrite_text(self, text: str, line: int, refs: list[str], cond_refs: list[str]) -> str:
        """A RewriteCond test string or rule value with ``%{…}``, ``$N`` and ``%N`` filled."""

        def fill(found: re.Match[str]) -> str:
            if found.group(1) is not None:
                name = found.group(1)
                if name.upper().startswith("ENV:"):
                    return self.env.get(name[4:], "")
                if name.upper().startswith("HTTP:"):
                    return self.header_in(name[5:], line)
                if name.upper() == "REQUEST_METHOD":
                    return self.request.get("$request_method", "")
                raise Opaque(line, f"%{{{name}}} is nothing corsc can know from the request")
            groups = refs if found.group(2) == "$" else cond_refs
            index = int(found.group(3))
            return groups[index] if index < len(groups) else ""

        return re.sub(r"%\{([^}]*)\}|([$%])([0-9])", fill, text)

    # ---- mod_rewrite -----------------------------------------------------------------

    def rewrite(
        self, nodes: list[Node], relative: bool, engine_checked: bool = False
    ) -> int | None:
        if not (engine_checked or engine_on(nodes)):
            return None
        subject = self.path.lstrip("/") if relative else self.path
        conditions: list[Node] = []
        for node in nodes:
            if node.key == "rewritecond":
                conditions.append(node)
                continue
            if node.key != "rewriterule":
                continue
            pending, conditions = conditions, []
            if len(node.args) < 2:
                continue
            pattern, substitution = node.args[0], node.args[1]
            flags = _flags(node.args[2] if len(node.args) > 2 else "")
            negate = pattern.startswith("!")
            found = pcre(pattern.removeprefix("!"), "NC" in flags, node.line).search(subject)
            if (found is None) != negate:
                continue
            refs = [found.group(0), *(g or "" for g in found.groups())] if found else []
            matched, cond_refs = self.conditions(pending, refs)
            if not matched:
                continue
            for name in flags:
                if name in ("C", "S", "N", "H") or name.startswith(("C=", "S=", "N=", "H=")):
                    raise Opaque(node.line, f"the flag [{name}] is one corsc does not follow")
            for name in flags:
                if name.startswith("E="):
                    assignment = self.rewrite_text(name[2:], node.line, refs, cond_refs)
                    if assignment.startswith("!"):
                        self.env.pop(assignment[1:], None)
                    else:
                        key, _, value = assignment.partition(":")
                        self.env[key] = value
            status = next((flags[name] for name in flags if name == "R"), None)
            status = 403 if "F" in flags else 410 if "G" in flags else status
            if status is not None:
                self.rule = node.line
                return status
            if substitution != "-" and not _identity(pattern, substitution):
                raise Opaque(
                    node.line, "the rule rewrites the URL before corsc can tell its answer"
                )
            if "L" in flags or "END" in flags or "P" in flags:
                return None
        return None

    def redirect(self, levels: list[list[Node]]) -> int | None:
        """mod_alias in a section: ``Redirect status`` (or ``Redirect [status] URL``) answers."""
        for level in levels:
            for node in level:
                if node.key != "redirect" or not node.args:
                    continue
                word = node.args[0].lower()
                status = _REDIRECTS.get(word, int(word) if word.isdigit() else None)
                if len(node.args) > (1 if status is None else 2) or (
                    node.args[0].startswith("/") and len(node.args) > 1
                ):
                    raise Opaque(node.line, "Redirect of a path is nothing corsc follows")
                self.rule = node.line
                return status if status is not None else 302
        return None

    def conditions(self, nodes: list[Node], refs: list[str]) -> tuple[bool, list[str]]:
        """The RewriteConds of a rule, ``[OR]`` as Apache chains them (a true one skips the
        rest of its chain); the groups of the last regex that matched."""
        cond_refs: list[str] = []
        usable = [node for node in nodes if len(node.args) >= 2]
        index = 0
        while index < len(usable):
            node = usable[index]
            flags = _flags(node.args[2] if len(node.args) > 2 else "")
            hit, groups = self.condition(node, refs, cond_refs, "NC" in flags)
            if hit and groups is not None:
                cond_refs = groups
            if "OR" in flags:
                if hit:
                    while index < len(usable) and "OR" in _flags(
                        usable[index].args[2] if len(usable[index].args) > 2 else ""
                    ):
                        index += 1
                index += 1
                continue
            if not hit:
                return False, cond_refs
            index += 1
        return True, cond_refs

    def condition(
        self, node: Node, refs: list[str], cond_refs: list[str], ignore_case: bool
    ) -> tuple[bool, list[str] | None]:
        test, pattern = node.args[0], node.args[1]
        if test == "expr":
            return self.evaluation(node.line).truth(expression(pattern, node.line)), None
        value = self.rewrite_text(test, node.line, refs, cond_refs)
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!")
        if pattern[:1] in "=<>" and not pattern.startswith(("=~",)):
            operator = pattern[:2] if pattern[:2] in ("<=", ">=") else pattern[:1]
            other = pattern[len(operator) :]
            other = "" if other == '""' else other
            left, right = (value.lower(), other.lower()) if ignore_case else (value, other)
            hit = {
                "=": left == right,
                "<": left < right,
                ">": left > right,
                "<=": left <= right,
                ">=": left >= right,
            }[operator]
            return hit != negate, None
        if pattern.startswith("-"):
            raise Opaque(node.line, f"RewriteCond {pattern} tests what corsc cannot know")
        found = pcre(pattern, ignore_case, node.line).search(value)
        groups = [found.group(0), *(g or "" for g in found.groups())] if found else None
        return (found is not None) != negate, (None if negate else groups)


def engine_on(nodes: list[Node]) -> bool:
    return any(
        n.key == "rewriteengine" and [a.lower() for a in n.args[:1]] == ["on"] for n in nodes
    )


def _identity(pattern: str, substitution: str) -> bool:
    """Whether a rule's substitution gives back the path it matched (``^(.*)$ $1``)."""
    return substitution in ("$0", "$1", "%{REQUEST_URI}") and pattern.lstrip("^").rstrip("$") in (
        "(.*)",
        "/?(.*)",
        "(.*)/?",
        ".*",
    )


def _flags(text: str) -> dict[str, int | None]:
    """``[R=204,L,E=x:1]`` as flag → status (``R``) or ``None``; ``E=`` items keep their text
    as the key."""
    found: dict[str, int | None] = {}
    for item in text.strip("[]").split(","):
        item = item.strip()
        upper = item.upper()
        if upper.startswith(("R=", "REDIRECT=")) or upper in ("R", "REDIRECT"):
            code = item.partition("=")[2]
            found["R"] = int(code) if code.isdigit() else 302
        elif upper.startswith(("E=", "ENV=")):
            found["E=" + item.partition("=")[2]] = None
        elif upper in ("NOCASE",):
            found["NC"] = None
        elif upper in ("LAST",):
            found["L"] = None
        elif upper in ("FORBIDDEN",):
            found["F"] = None
        elif upper in ("GONE",):
            found["G"] = None
        elif upper in ("ORNEXT",):
            found["OR"] = None
        elif item:
            found[upper] = None
    return found
