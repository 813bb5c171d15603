"""What a configuration's answers show that the policy read from them cannot say, for every
importer that runs a configuration request by request: an Origin sent back unchecked with
credentials (CORS705), ``*`` or every Origin with credentials (CORS711), several origins in
one value (CORS704), every OPTIONS answered (CORS708), a header sent twice (CORS710), headers
that answer every request alike (CORS714). Each finding is at the line of the directive or
rule that sent the header (or answered).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from attrs import frozen

from corsc import diagnostics as d
from corsc.imports.common import origin_entries
from corsc.imports.draft import Draft
from corsc.imports.machine import Answer, Run
from corsc.imports.probes import UNLISTED, Probes, grant_of
from corsc.imports.witnesses import Candidate
from corsc.records import fields_repr


class Sent(Protocol):
    """What a server sends a request, as an importer's machine traces it."""

    @property
    def status(self) -> int | None:
        """The status (``None``: the application answers, 200)."""

    @property
    def headers(self) -> Sequence[tuple[str, str, int]]:
        """Each header (lowercase name), its value and the line that set it (0: none)."""

    @property
    def answered(self) -> int:
        """The line of the directive or rule that answered, 0 when the application did."""


@frozen
class Traced:
    """A :class:`Sent` of a machine that keeps no record of its own."""

    __repr__ = fields_repr

    status: int | None
    headers: tuple[tuple[str, str, int], ...]
    answered: int


_ALLOW_ORIGIN = "access-control-allow-origin"
#: A request (as :mod:`corsc.imports.answers` asks it) to what is sent back.
Trace = Callable[[Mapping[str, str]], Sent]
#: Reports a finding: its kind, line, message and help.
Flag = Callable[[d.Kind, int, str, str], None]


def answers_checked(flag: Flag, traced: Trace, tests: list[Candidate], once: str) -> list[str]:
    """The findings the answers show; the origins of a value naming several. ``once`` is how
    the server's configuration sets a header once (the help of CORS710)."""

    def sent(origin: str | None, method: str = "GET") -> dict[str, tuple[str, int]]:
        request = {"$request_method": method}
        if origin is not None:
            request["$http_origin"] = origin
        headers = traced(request).headers
        return {name: (value, line) for name, value, line in reversed(headers)}

    unlisted = sent(UNLISTED[0])
    several: list[str] = []
    allow = unlisted.get("access-control-allow-origin")
    credentials = unlisted.get("access-control-allow-credentials")
    witnesses = [o for t in tests for o in t.witnesses]
    checked = any(
        sent(origin).get("access-control-allow-origin", ("",))[0] != origin for origin in witnesses
    )
    with_credentials = credentials is not None and credentials[0] == "true"
    # Without credentials, an Origin sent back to every origin is what `*` means.
    if allow is not None and allow[0] == UNLISTED[0] and not checked and with_credentials:
        flag(
            d.IMPORT_REFLECTED_ORIGIN,
            allow[1],
            "Access-Control-Allow-Origin sends back every request's Origin, unchecked: any "
            "site may read these responses (with the user's cookies, when credentials are "
            "allowed)",
            "the imported policy says `origins *`; replace it with the origins you trust",
        )
    wide = allow is not None and allow[0] in ("*", UNLISTED[0])
    if wide and credentials is not None and with_credentials:
        flag(
            d.IMPORT_WILDCARD_CREDENTIALS,
            credentials[1],
            "Access-Control-Allow-Credentials true with an Allow-Origin that is `*` or "
            "every Origin: browsers refuse `*` with credentials, and a reflected Origin "
            "lets every site read the user's data",
            "name the origins trusted with credentials in the imported policy",
        )
    for origin in [*UNLISTED[:1], *(o for t in tests for o in t.witnesses)]:
        value = sent(origin).get("access-control-allow-origin")
        if value is not None and len(origin_entries(value[0])) > 1 and not several:
            several = origin_entries(value[0])
            flag(
                d.IMPORT_SEVERAL_ORIGINS,
                value[1],
                f"Access-Control-Allow-Origin `{value[0]}` names {len(several)} origins in "
                "one value; browsers accept exactly one origin (or `*`), so it allows none",
                "the imported policy lists the origins meant; corsc's output sends the one "
                "matching origin",
            )
    more_checked(flag, traced, tests, once)
    return several


def more_checked(flag: Flag, traced: Trace, tests: list[Candidate], once: str) -> None:
    """Every OPTIONS answered (CORS708), a header sent twice (CORS710), the same headers
    whatever the request (CORS714)."""
    bare = traced({"$request_method": "OPTIONS"})
    # What answers a GET the same way is the application, not an answer to OPTIONS.
    application = traced({"$request_method": "GET"}).answered
    if bare.answered and bare.answered != application and 200 <= (bare.status or 200) < 300:
        flag(
            d.IMPORT_OPTIONS_ANSWERED,
            bare.answered,
            f"this rule answers every OPTIONS request ({bare.status}), for any origin and "
            "whatever it asks, even one that is no preflight",
            "the imported policy answers preflights itself, granting only what it lists",
        )
    origins = [*UNLISTED, *(o for t in tests for o in t.witnesses)]
    seen: list[tuple[object, ...]] = []
    for origin in origins:
        for method, asked in (("GET", ""), ("OPTIONS", "GET")):
            request = {"$request_method": method, "$http_origin": origin}
            if asked:
                request["$http_access_control_request_method"] = asked
            response = traced(request)
            headers = [h for h in response.headers if h[0].startswith("access-control-")]
            names = [name for name, _, _ in headers]
            twice = next((h for i, h in enumerate(headers) if h[0] in names[:i]), None)
            if twice is not None:
                flag(
                    d.IMPORT_DUPLICATE_HEADER,
                    twice[2],
                    f"{twice[0]} is sent twice; browsers refuse a response with two values",
                    once,
                )
                return
            seen.append((response.status, *sorted((name, value) for name, value, _ in headers)))
    unlisted = traced({"$request_method": "GET", "$http_origin": UNLISTED[0]})
    allow = [h for h in unlisted.headers if h[0] == "access-control-allow-origin" and h[1]]
    if allow and all(item == seen[0] for item in seen):
        flag(
            d.IMPORT_STATIC_HEADERS,
            allow[0][2],
            "these headers answer every request the same, whatever its Origin and method",
            "the imported policy means the same for browsers; the targets corsc compiles it "
            "to answer only the origins it lists",
        )


def several_meant(draft: Draft, several: list[str], run: Run, probes: Probes) -> None:
    """``draft`` reads as the origins one Allow-Origin value names (CORS704), with what the
    other headers grant them: the answers read as if the value named the origin asking."""
    draft.origins = several

    def meant(request: Mapping[str, str]) -> Answer:
        answer = run(request)
        asking = request.get("$http_origin", "")
        return Answer(
            answer.status,
            tuple(
                (name, asking if name == _ALLOW_ORIGIN and len(origin_entries(v)) > 1 else v)
                for name, v in answer.headers
            ),
        )

    draft.grant = grant_of(meant, probes, UNLISTED[0])[0]
    draft.grant.credentials = draft.grant.credentials or None
    draft.grant.private_network = draft.grant.private_network or None
