"""What an nginx configuration's variables and header values mean as origins and grants.

``map $http_origin $var`` (exact keys and ``~``/``~*`` regexes, searched as nginx searches
them: each becomes the full-match entry with the same meaning, CORS706 when unanchored),
``set $var $http_origin`` under an origin test, and maps or ``set`` of other variables to one
literal: :class:`Values` follows them back to the request's Origin. An Origin sent back
unchecked is every origin (``origins *``, CORS705); what corsc cannot follow is a finding,
never a guess. :meth:`Values.answered` says when a level needs its answers read instead.
"""

from __future__ import annotations

import re

from corsc import diagnostics as d
from corsc.imports.common import (
    full_match,
    names,
    origin_entries,
    searched_entry,
    unanchored_help,
)
from corsc.imports.draft import Entry, Findings, Grant
from corsc.imports.nginx_config import Directive, Header, Test

#: What sends the request's Origin back.
REFLECTIONS = ("$http_origin",)


def chosen(key: str, value: str) -> bool:
    """Whether a row of a ``map $http_origin`` is more than an origin sent back or named:
    a variable (another map, a grant's number) or, on a key other than the default, a value
    that refuses the origins it matches before the rows after it are tried."""
    if value.lower() in REFLECTIONS:
        return False
    if "$" in value:
        return True
    return key not in ("default", "hostnames", "volatile") and "://" not in value


class Values:
    """The variables of one configuration, read once, and the entries and grants its header
    values mean; findings go to ``findings``."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        #: ``map $http_origin $var`` blocks and ``set $var $http_origin`` under an origin
        #: condition: the origins each variable is non-empty for (``None``: every origin).
        self.origin_variables: dict[str, tuple[Test | None, int]] = {}
        #: Maps of other variables whose every row is one literal or empty: the header they
        #: fill is either that value or not sent (as a preflight's Allow-Methods is).
        self.constants: dict[str, str] = {}
        #: ``map $http_origin $var`` blocks, read where Allow-Origin uses them.
        self.origin_maps: dict[str, Directive] = {}

    def flag(self, kind: d.Kind, line: int, message: str, help: str) -> None:
        self.findings.at_line(kind, line, message, help)

    def map(self, directive: Directive) -> None:
        args = directive["args"]
        if len(args) != 2:
            return
        variable = args[1]
        if args[0] != "$http_origin":
            rows = {
                item["args"][0] if item["args"] else ""
                for item in directive.get("block") or []
                if item["directive"] not in ("hostnames", "volatile", "default")
            }
            defaults = [
                item["args"][0] if item["args"] else ""
                for item in directive.get("block") or []
                if item["directive"] == "default"
            ]
            rows.discard("")
            if len(rows) == 1 and defaults in ([], [""]) and "$" not in next(iter(rows)):
                self.constants[variable] = rows.pop()
            return
        self.origin_maps[variable] = directive

    def map_entries(self, directive: Directive) -> list[Entry] | None:
        """The origins a ``map $http_origin $var`` sends in Allow-Origin (``None``: every
        origin): a row whose value is ``$http_origin`` sends its key's origins back, a row
        whose value is an origin sends that origin (allowing it when its key admits it); other
        values (``1``, ``""``) are no origin a browser accepts."""
        entries: list[Entry] = []
        for item in directive.get("block") or []:
            key, values = item["directive"], item["args"]
            value = values[0] if values else ""
            reflects = value.lower() in REFLECTIONS
            if key in ("hostnames", "volatile", "\\") or not (reflects or "://" in value):
                continue
            if key == "default":
                if not reflects:
                    entries += origin_entries(value)
                    continue
                self.reflected(
                    item["line"], f"map $http_origin {directive['args'][1]}: its default"
                )
                return None
            if not reflects:
                entries += origin_entries(value)
            elif key.startswith("~"):
                entries.append(self.regex(key, item["line"]))
            else:
                entries += origin_entries(key)
        return entries

    def regex(self, key: str, line: int) -> Entry:
        """A ``~re`` / ``~*re`` origin test as a full-match entry (CORS706 when unanchored)."""
        ignore_case = key.startswith("~*")
        pattern = key[2:] if ignore_case else key[1:]
        searched = full_match(pattern, ignore_case=ignore_case)
        if searched.unanchored:
            self.flag(
                d.IMPORT_UNANCHORED_REGEX,
                line,
                f"the origin regex `{pattern}` is not anchored",
                unanchored_help(searched, "nginx"),
            )
        return searched_entry(searched)

    def reflection(self, test: Test | None, line: int, what: str) -> list[Entry]:
        """The origins a reflected ``$http_origin`` is sent back for: those its ``if`` admits,
        every origin without one (CORS705), none corsc can tell under another test."""
        if test is None:
            self.reflected(line, what)
            return ["*"]
        if test.opaque:
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                test.line,
                f"{what} is sent back under a test of a variable corsc does not follow",
                "list the origins in the imported policy by hand",
            )
            return []
        return [self.regex(test.key, test.line)]

    def reflected(self, line: int, what: str) -> None:
        self.flag(
            d.IMPORT_REFLECTED_ORIGIN,
            line,
            f"{what} sends back every request's Origin, unchecked: any site may read these "
            "responses (with the user's cookies, when credentials are allowed)",
            "the imported policy says `origins *`; replace it with the origins you trust",
        )

    def origins(self, value: str, line: int, condition: Test | None) -> list[Entry]:
        if value.lower() in REFLECTIONS:
            return self.reflection(
                condition, line, "add_header Access-Control-Allow-Origin $http_origin"
            )
        if value.startswith("$"):
            if value in self.constants:
                return origin_entries(self.constants[value])
            if value in self.origin_maps:
                found_in_map = self.map_entries(self.origin_maps[value])
                return ["*"] if found_in_map is None else found_in_map
            if value in self.origin_variables:
                test, set_line = self.origin_variables[value]
                return self.reflection(test, set_line, f"set {value} $http_origin")
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                line,
                f"Access-Control-Allow-Origin is {value}, which corsc cannot follow back to "
                "the request's Origin (only `map $http_origin` and `set … $http_origin` under "
                "an origin test are read)",
                "list the origins in the imported policy by hand",
            )
            return []
        entries = origin_entries(value)
        if len(entries) > 1:
            self.flag(
                d.IMPORT_SEVERAL_ORIGINS,
                line,
                f"Access-Control-Allow-Origin `{value}` names {len(entries)} origins in one "
                "value; browsers accept exactly one origin (or `*`), so it allows none",
                "the imported policy lists the origins meant; corsc's output sends the one "
                "matching origin",
            )
        return entries

    def grant(self, values: dict[str, str], lines: dict[str, int]) -> Grant:
        grant = Grant()
        values = {key: self.constants.get(value, value) for key, value in values.items()}
        if "methods" in values:
            grant.methods = names(values["methods"])
        if "headers" in values:
            grant.headers = names(values["headers"])
        if "expose" in values:
            grant.expose = names(values["expose"])
        if "credentials" in values:
            grant.credentials = values["credentials"] == "true"
        if "max_age" in values and values["max_age"].startswith("$"):
            self.flag(
                d.IMPORT_NOT_EXPRESSED,
                lines["max_age"],
                f"Access-Control-Max-Age is {values['max_age']}: corsc cannot tell what nginx "
                "sends there",
                "write the max-age into the imported policy by hand",
            )
        elif "max_age" in values:
            if values["max_age"].isdigit():
                grant.max_age = int(values["max_age"])
            else:
                self.flag(
                    d.IMPORT_INVALID_VALUE,
                    lines["max_age"],
                    f"Access-Control-Max-Age `{values['max_age']}` is not a number of seconds",
                    "the imported policy sends no max-age",
                )
        if "private_network" in values:
            grant.private_network = values["private_network"] == "true"
        for key in ("methods", "headers", "expose"):
            if any(item.startswith("$") for item in getattr(grant, key) or ()):
                self.flag(
                    d.IMPORT_NOT_EXPRESSED,
                    lines[key],
                    f"a variable in {key}: corsc cannot tell what nginx sends there",
                    "list the values in the imported policy by hand",
                )
                kept = [item for item in getattr(grant, key) if not item.startswith("$")]
                setattr(grant, key, kept or None)
        return grant

    def answered(self, headers: list[Header]) -> bool:
        """Whether a level's ``headers`` hang on variables only its answers tell: an Origin map
        whose values are not origins, a map of another map, ``set`` under tests — anything but
        one origin test with one grant, which the plain reading follows."""
        for header in headers:
            if header.condition is not None and header.condition.opaque:
                return True  # under `if ($var)`: what the variable holds decides
            for variable in re.findall(r"\$\w+", header.value):
                if variable.lower() in REFLECTIONS or variable in self.constants:
                    continue
                if header.name != "access-control-allow-origin":
                    return True
                if variable in self.origin_variables:
                    test = self.origin_variables[variable][0]
                    if test is not None and test.opaque:
                        return True  # `set $v $http_origin` under a test of another variable
                    continue
                block = self.origin_maps.get(variable)
                if block is None or any(
                    chosen(row["directive"], value)
                    for row in block.get("block") or []
                    for value in row["args"][:1] or [""]
                ):
                    return True
        return False
