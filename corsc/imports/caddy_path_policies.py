"""The policies of a site block that chooses its CORS headers by path: one per distinct reading
of the paths its matchers tell apart (:mod:`corsc.imports.caddy_paths`), with the prefixes
that have it, and the fallback's.

:meth:`Readings.policies` gives a prefix a policy of its own only where its answers differ
from the paths around it, then checks every path asked against the policy the drafts give it:
where the policy's prefix semantics (segment boundaries, case matters) choose another reading
than Caddy gives, that is CORS735 at the matcher, naming the path; a prefix Caddy sends no
CORS header at, inside paths that have a policy, is CORS703 (a policy's paths cannot say
none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from attrs import define, field

from corsc import diagnostics as d
from corsc import paths
from corsc.imports.answers import Reading, report
from corsc.imports.caddy_paths import Prefix, Sample
from corsc.imports.draft import Draft, Findings, policy_name


def content(draft: Draft) -> tuple[object, ...] | None:
    """What a draft says (``None``: nothing — no CORS at that path), its name and place aside."""
    if draft.empty:
        return None
    return (
        tuple(draft.origins),
        repr(draft.grant.key()),
        tuple((entry, repr(grant.key())) for entry, grant in draft.blocks),
        tuple(draft.denies),
        draft.unlisted,
        draft.preflight_status,
    )


@define
class Readings:
    """A site block read at each sample, and what the policies made of them say."""

    findings: Findings
    label: str
    line: int
    read: list[tuple[Sample, Reading]] = field(factory=list)

    def policies(self, taken: Callable[[], list[str]]) -> list[Draft]:
        """One draft per distinct reading a prefix has (with the prefixes that have it), then
        the fallback's; every sample is checked against the policy the drafts give it."""
        keys = [content(reading.draft) for _, reading in self.read]
        if all(key is None for key in keys):
            report(self.findings, self.read[-1][1], "Caddy")  # no origin allowed anywhere
            return []
        fallback = self.read[-1][1]
        by_path = {sample.decoded: reading for sample, reading in self.read}
        kept: dict[str, tuple[object, ...]] = {}
        chosen: dict[str, Reading] = {}
        silent: set[str] = set()
        written = list(dict.fromkeys(sample.prefix for sample, _ in self.read if sample.prefix))
        ordered = sorted(written, key=lambda prefix: len(paths.selection_prefix(prefix.path)))
        for prefix in ordered:
            own = paths.selection_prefix(prefix.path)
            baseline = self._choice(kept, own, content(fallback.draft))
            kinds = {"below": 0, "itself": 1, "exact": 2}
            mine = sorted(
                (s for s, _ in self.read if s.prefix == prefix and s.kind in kinds),
                key=lambda s: kinds[s.kind],
            )
            different = [s for s in mine if content(by_path[s.decoded].draft) != baseline]
            if not different:
                continue  # answered as the paths around it are: no policy of its own
            reading = by_path[different[0].decoded]
            key = content(reading.draft)
            if key is None:
                silent.add(prefix.path)
                self.findings.at_line(
                    d.IMPORT_NOT_EXPRESSED,
                    prefix.line,
                    f"Caddy sends no Access-Control-* header at {different[0].target} (the "
                    f"matcher {prefix.matcher}), and a policy's paths cannot say none: the "
                    "paths around it have a policy",
                    "give those paths a policy by hand, or send CORS headers there too",
                )
                continue
            kept[own], chosen[own] = key, reading
        self._check(kept, content(fallback.draft), silent)
        groups: dict[tuple[object, ...], list[Prefix]] = {}
        for prefix in written:  # in the order the file writes them
            own = paths.selection_prefix(prefix.path)
            if own in kept:
                groups.setdefault(kept[own], []).append(prefix)
        drafts: list[Draft] = []
        for members in groups.values():
            draft = chosen[paths.selection_prefix(members[0].path)].draft
            names = [*taken(), *(item.name for item in drafts)]
            draft.name = policy_name(members[0].path.strip("/"), names)
            start = self.findings.line_offset(members[0].line)
            draft.span = self.findings.source.span(start, start)
            draft.paths = [prefix.path for prefix in members]
            drafts.append(draft)
        if content(fallback.draft) is not None:
            fallback.draft.name = policy_name(self.label, [*taken(), *(x.name for x in drafts)])
            drafts.append(fallback.draft)
        return drafts

    @staticmethod
    def _choice(
        kept: Mapping[str, tuple[object, ...]], path: str, fallback: tuple[object, ...] | None
    ) -> tuple[object, ...] | None:
        """What the policies give ``path``: the longest kept prefix's reading, else the
        fallback's."""
        best = max((p for p in kept if paths.prefix_matches(p, path)), key=len, default=None)
        return kept[best] if best is not None else fallback

    def _check(
        self,
        kept: Mapping[str, tuple[object, ...]],
        fallback: tuple[object, ...] | None,
        silent: set[str],
    ) -> None:
        shown: set[tuple[int, str]] = set()
        mismatched: set[tuple[str, str]] = set()
        for sample, reading in self.read:
            policy = self._choice(kept, paths.request_path(sample.target), fallback)
            if content(reading.draft) == policy:
                if content(reading.draft) is not None:
                    for item in _findings(self.findings, reading):
                        if (item.span.start.line, item.message) not in shown:
                            shown.add((item.span.start.line, item.message))
                            self.findings.items.append(item)
                continue
            if sample.prefix is not None and sample.prefix.path in silent:
                continue
            told = (sample.prefix.path if sample.prefix else "", sample.kind)
            if told in mismatched:
                continue  # one finding per prefix and way of differing (its case: once)
            mismatched.add(told)
            line = sample.prefix.line if sample.prefix is not None else self.line
            self.findings.at_line(d.IMPORT_PATH_MATCHER, line, _mismatch(sample), _MISMATCH_HELP)


_MISMATCH_HELP = (
    "check that the imported policy's paths may be answered so, or change the matcher so it "
    "selects whole segments below a prefix (`path /api /api/*`)"
)


def _mismatch(sample: Sample) -> str:
    prefix = sample.prefix
    if prefix is None:
        return (
            f"Caddy answers {sample.target}, a path no matcher selects, otherwise than the "
            "imported policy does"
        )
    quoted = f'"{prefix.path}"'
    if sample.kind == "itself":
        return (
            f"the matcher `{prefix.matcher}` does not select {sample.target} itself, but the "
            f"imported policy's path {quoted} governs it and the paths below it alike"
        )
    if sample.kind == "below":
        return (
            f"the matcher `{prefix.matcher}` selects {prefix.path} only, not {sample.target}; a "
            f"policy's paths are prefixes, so the imported policy's path {quoted} governs the "
            "paths below it too"
        )
    if sample.kind == "case":
        return (
            f"the matcher `{prefix.matcher}` ignores case and selects {sample.target} too; a "
            f"policy's paths match case-sensitively, so the imported path {quoted} does not"
        )
    return (
        f"the matcher `{prefix.matcher}` answers {sample.target} otherwise than the imported "
        f"policy's path {quoted} does"
    )


def _findings(findings: Findings, reading: Reading) -> list[d.Diagnostic]:
    """The diagnostics of one reading, as :func:`report` writes them."""
    scratch = Findings(findings.source)
    report(scratch, reading, "Caddy")
    return scratch.items
