"""What a machine gives the reading of a policy: a machine is an importer's model of how a
server answers one request (nginx, Caddy, Apache, HAProxy, Express), worked out from its
configuration.

A machine is a :data:`Run`: a request, as a mapping of nginx's names of its parts
(``$http_origin``, ``$request_method``, ``$http_access_control_request_method``, …), to the
:class:`Answer` the server sends. Where that answer depends on something the configuration
does not tell (a variable of the server, a program to run, a regex corsc does not follow), the
machine raises :class:`Opaque` at the line that says it, never a guess. :func:`pcre` reads the
regexes of a configuration as Python's, refusing what Python would read otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from attrs import frozen

from corsc.records import fields_repr


class Opaque(Exception):
    """The answer depends on something the machine cannot know; ``line`` is where."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@frozen
class Answer:
    """What the server sends: ``status`` (``None``: the request goes on to the application)
    and the headers it adds, by lowercase name."""

    __repr__ = fields_repr

    status: int | None
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key == name]
        return ", ".join(values) if values else None


def pcre(pattern: str, ignore_case: bool, line: int) -> re.Pattern[str]:
    """A regex of nginx (PCRE) or Caddy (RE2) as Python's: ``\\z`` is ``\\Z``; what Python
    would not read as PCRE does (``\\K``, ``\\G``, recursion, subroutine calls) is refused."""
    if re.search(r"\\[KGRX]|\(\?(?:[R0-9&]|P>)", pattern):
        raise Opaque(line, f"the regex `{pattern}` uses PCRE syntax corsc does not follow")
    try:
        return re.compile(pattern.replace("\\z", "\\Z"), re.I if ignore_case else 0)
    except (re.error, RecursionError, OverflowError) as error:
        raise Opaque(line, f"the regex `{pattern}` is not one corsc reads ({error})") from error


#: A request (nginx's names of its parts) to what the server answers.
Run = Callable[[Mapping[str, str]], Answer]


#: Group references of a replacement: Apache's ``$0``–``$9``; Go's ``$name`` and ``${name}``
#: (the longest run of letters, digits and ``_``, a number naming a group by its place).
APACHE_GROUPS = re.compile(r"\$([0-9])")
GO_GROUPS = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def substitute(
    regex: re.Pattern[str], references: re.Pattern[str], template: str, value: str, count: int = 0
) -> str:
    """``value`` with ``regex``'s matches replaced by ``template``, in which ``references``
    find the group references (a group the regex does not have is empty, as Apache and Go
    expand it); every other character, a backslash included, stands for itself."""

    def expand(found: re.Match[str]) -> str:
        def group(reference: re.Match[str]) -> str:
            name = next(part for part in reference.groups() if part is not None)
            if name.isdigit():
                number = int(name)
                return (found.group(number) or "") if number <= regex.groups else ""
            return (found.group(name) or "") if name in regex.groupindex else ""

        return references.sub(group, template)

    return regex.sub(expand, value, count)
