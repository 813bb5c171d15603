"""Reading a compiled policy file back into the IR, refusing any file the runtime cannot use.

``corsc compile api.cors --target python -o cors.toml`` writes the policy as TOML (schema:
``backends/python.py``, ``docs/python.md``). :func:`load` reads it back into a
:class:`~corsc.ir.PolicySet`, validating every value; a malformed file, or one written for
another ``format`` version, raises :class:`PolicyFileError` there and then, at start-up, never
at request time. What always holds: a policy set returned here means what the compiled one
meant (the test suite round-trips every example and generated policies).

Imports only the standard library and the light core modules (never lark or the compiler).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from corsc import http, origin_regex, origins, paths
from corsc.ir import (
    AllowEntry,
    Grant,
    OriginPattern,
    PathPrefix,
    PatternKind,
    Policy,
    PolicySet,
    Setting,
    Token,
    TokenList,
    Unlisted,
)
from corsc.source import Position, Span

#: The version of the TOML schema this runtime reads (the ``format`` key).
FORMAT = 1


class PolicyFileError(ValueError):
    """A compiled policy file that cannot be used: unreadable, not TOML, another ``format``
    version, or a value that is missing or malformed. The message names the file, the key and
    what to do."""


_POLICY_KEYS = frozenset(
    {
        "name",
        "paths",
        "origins",
        "deny",
        "methods",
        "headers",
        "expose",
        "credentials",
        "max-age",
        "private-network",
        "unlisted",
        "preflight-status",
        "static-origin",
        "origin",
    }
)
_GRANT_KEYS = ("methods", "headers", "expose", "credentials", "max-age", "private-network")
_BLOCK_KEYS = frozenset({"origin", *_GRANT_KEYS})
_OPTIONAL_KEYS = frozenset({"max-age", "static-origin", "origin"})
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_RECOMPILE = "recompile the policy with `corsc compile POLICY --target python`"


def load(path: str | os.PathLike[str]) -> PolicySet:
    """Read a file written by ``corsc compile --target python``; raise
    :class:`PolicyFileError` if it cannot be used."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise PolicyFileError(
            f"{name}: cannot read the CORS policy file ({error.strerror or error})"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyFileError(f"{name}: not UTF-8 text; {_RECOMPILE}") from None
    return loads(text, name)


def loads(text: str, name: str = "<string>") -> PolicySet:
    """Like :func:`load`, for the file's text; ``name`` is used in messages and spans."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyFileError(f"{name}: not valid TOML ({error}); {_RECOMPILE}") from None
    return read_data(data, name)


def read_data(data: Mapping[str, Any], name: str = "<string>") -> PolicySet:
    """Like :func:`loads`, for the document already decoded (the TOML's tables as dicts):
    ``corsc import`` reads other targets' policy data into this shape and validates it here."""
    return _Reader(name).policy_set(data)


class _Reader:
    """Validates the TOML document and builds the IR. Every node gets one empty span at the
    start of the file: the TOML carries meaning, not the policy's source positions."""

    def __init__(self, name: str) -> None:
        self.name = name
        start = Position(1, 1, 0)
        self.span = Span(name, start, start)

    def fail(self, where: str, problem: str) -> PolicyFileError:
        return PolicyFileError(f"{self.name}: {where}: {problem}; {_RECOMPILE}")

    def policy_set(self, data: Mapping[str, Any]) -> PolicySet:
        if "format" not in data:
            raise PolicyFileError(
                f"{self.name}: no `format` key, so this is not a policy file compiled by "
                f"corsc; {_RECOMPILE}"
            )
        found = data["format"]
        if found != FORMAT or isinstance(found, bool):
            raise PolicyFileError(
                f"{self.name}: format {found!r} is not supported: this corsc runtime reads "
                f"format {FORMAT}; {_RECOMPILE} using the corsc version installed here"
            )
        self.keys("the file", data, {"format", "policy"}, {"format", "policy"})
        policies = data["policy"]
        if not isinstance(policies, list) or not policies:
            raise self.fail("`policy`", "expected one or more [[policy]] tables")
        built = tuple(self.policy(index, table) for index, table in enumerate(policies, 1))
        names = [policy.name for policy in built]
        if len(set(names)) != len(names):
            raise self.fail("`policy`", "two policies have the same name")
        fallbacks = [policy.name for policy in built if policy.is_fallback]
        if len(fallbacks) > 1:
            raise self.fail("`policy`", f"more than one policy without paths ({fallbacks})")
        prefixes = [prefix.value for policy in built for prefix in policy.paths]
        if len(set(prefixes)) != len(prefixes):
            raise self.fail("`policy`", "two policies govern the same path prefix")
        return PolicySet(self.name, built)

    def keys(
        self, where: str, table: object, allowed: frozenset[str] | set[str], required: Iterable[str]
    ) -> None:
        if not isinstance(table, dict):
            raise self.fail(where, "expected a table")
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(unknown)}")
        missing = [key for key in required if key not in table]
        if missing:
            raise self.fail(where, f"missing key(s) {', '.join(missing)}")

    def policy(self, index: int, table: Any) -> Policy:
        where = f"policy #{index}"
        self.keys(where, table, _POLICY_KEYS, sorted(_POLICY_KEYS - _OPTIONAL_KEYS))
        name = table["name"]
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise self.fail(f"{where} `name`", "expected a name matching [a-z][a-z0-9_]*")
        where = f'policy "{name}"'
        grant = self.grant(where, table)
        entries = [
            AllowEntry(self.pattern(f"{where} `origins`", text), grant, False, self.span)
            for text in self.strings(f"{where} `origins`", table["origins"])
        ]
        blocks = table.get("origin", [])
        if not isinstance(blocks, list):
            raise self.fail(f"{where} `origin`", "expected [[policy.origin]] tables")
        for number, block in enumerate(blocks, 1):
            block_where = f"{where} origin block #{number}"
            self.keys(block_where, block, _BLOCK_KEYS, sorted(_BLOCK_KEYS - _OPTIONAL_KEYS))
            pattern = self.pattern(f"{block_where} `origin`", block["origin"])
            if pattern.kind is PatternKind.ANY:
                raise self.fail(f"{block_where} `origin`", "an origin block cannot be `*`")
            entries.append(AllowEntry(pattern, self.grant(block_where, block), True, self.span))
        if not entries:
            raise self.fail(where, "allows no origin (`origins` is empty and no origin block)")
        denies = tuple(
            self.pattern(f"{where} `deny`", text)
            for text in self.strings(f"{where} `deny`", table["deny"])
        )
        unlisted = table["unlisted"]
        if unlisted not in ("pass", "reject"):
            raise self.fail(f"{where} `unlisted`", 'expected "pass" or "reject"')
        status = table["preflight-status"]
        if status not in (200, 204) or isinstance(status, bool):
            raise self.fail(f"{where} `preflight-status`", "expected 200 or 204")
        static = table.get("static-origin")
        if static is not None and all(entry.pattern.canonical != static for entry in entries):
            raise self.fail(f"{where} `static-origin`", "expected `*` or one of `origins`")
        return Policy(
            name=name,
            span=self.span,
            paths=tuple(
                self.path(where, text) for text in self.strings(f"{where} `paths`", table["paths"])
            ),
            entries=tuple(entries),
            denies=denies,
            grant=grant,
            unlisted=self.setting(Unlisted(unlisted)),
            preflight_status=self.setting(status),
            static_origin=static,
        )

    def setting(self, value: Any) -> Setting[Any]:
        return Setting(value, self.span, True)

    def strings(self, where: str, value: object) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(where, "expected a list of strings")
        return value

    def path(self, where: str, text: str) -> PathPrefix:
        if not text.startswith("/") or paths.normalize_prefix(text) != text:
            raise self.fail(f"{where} `paths`", f"{text!r} is not a normalised path prefix")
        return PathPrefix(text, text, self.span)

    def pattern(self, where: str, text: object) -> OriginPattern:
        """An origin pattern in the canonical form ``OriginPattern.canonical`` writes:
        ``regex:BODY`` for a regex, else what ``corsc.origins.parse_pattern`` reads back
        unchanged."""
        if not isinstance(text, str):
            raise self.fail(where, "expected an origin pattern string")
        if text.startswith("regex:"):
            pattern = OriginPattern(
                PatternKind.REGEX, text, self.span, regex=text.removeprefix("regex:")
            )
            try:
                origin_regex.matcher(pattern)
            except (ValueError, re.error) as error:
                raise self.fail(where, f"{text!r} is not a regex corsc accepts ({error})") from None
            return pattern
        parsed = origins.parse_pattern(text, self.span)
        if parsed.pattern is None or parsed.canonical_text is not None:
            raise self.fail(where, f"{text!r} is not an origin pattern in canonical form")
        return parsed.pattern

    def tokens(self, where: str, value: object) -> TokenList:
        if value == "*":
            return TokenList((), wildcard=True)
        names = self.strings(where, value)
        bad = [name for name in names if not http.is_token(name)]
        if bad:
            raise self.fail(where, f"{bad[0]!r} is not a method or header name")
        return TokenList(tuple(Token(name, self.span) for name in names))

    def flag(self, where: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, "expected true or false")
        return value

    def grant(self, where: str, table: Mapping[str, Any]) -> Grant:
        max_age = table.get("max-age")
        if max_age is not None and (
            not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0
        ):
            raise self.fail(f"{where} `max-age`", "expected a whole number of seconds")
        return Grant(
            methods=self.setting(self.tokens(f"{where} `methods`", table["methods"])),
            headers=self.setting(self.tokens(f"{where} `headers`", table["headers"])),
            expose=self.setting(self.tokens(f"{where} `expose`", table["expose"])),
            credentials=self.setting(self.flag(f"{where} `credentials`", table["credentials"])),
            max_age=self.setting(max_age),
            private_network=self.setting(
                self.flag(f"{where} `private-network`", table["private-network"])
            ),
        )


def policy_set_of(policy: str | os.PathLike[str] | PolicySet) -> PolicySet:
    """What a middleware was given: a policy set as it is, a path read with :func:`load`."""
    return policy if isinstance(policy, PolicySet) else load(policy)
