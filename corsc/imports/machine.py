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
