"""``--merge`` takes over what ``corsc import`` finds (one detection for both): merging
corsc's output into any hand-written web.config of the import fixtures leaves no
hand-written CORS handling beside corsc's regions, or refuses the file — exactly when import
found handling it cannot carry over."""

from __future__ import annotations

from pathlib import Path

import pytest
from iis_merging import COMPILED, merged_of
from importing import FIXTURES, codes, imported

from corsc.backends.iis_regions import user_children
from corsc.backends.iis_scan import scan
from corsc.backends.iis_takeover import takeover

WEB_CONFIGS = sorted(
    path for path in (FIXTURES / "iis").glob("*.web.config") if path.name != "doctype.web.config"
)


def test_the_merge_cases_cover_the_classic_attempts() -> None:
    names = {path.name for path in WEB_CONFIGS}
    assert {"custom-headers-handlers.web.config", "several-origins.web.config"} <= names
    assert len(WEB_CONFIGS) >= 9


@pytest.mark.parametrize("fixture", WEB_CONFIGS, ids=lambda path: path.name)
@pytest.mark.parametrize(("policy", "target"), COMPILED, ids=lambda v: getattr(v, "name", v))
def test_merge_leaves_nothing_import_found(fixture: Path, policy: Path, target: str) -> None:
    merged = merged_of(policy, target, fixture.read_bytes())
    found = imported(fixture)
    refused = merged.text is None
    # Application code that handles CORS is what neither can take over.
    assert refused == ("CORS703" in codes(found) and "handler" in str(found.diagnostics)), (
        merged.diagnostics
    )
    if refused:
        assert any(item.code == "CORS641" for item in merged.diagnostics)
        return
    assert merged.text is not None
    left = takeover(scan(merged.text.removeprefix("\ufeff")), (), frozenset(), user_children)
    assert left == [], [finding.what for finding in left]
    removed = [item for item in merged.diagnostics if item.code == "CORS640"]
    assert removed or not found.policy
