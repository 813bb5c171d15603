"""Fixtures several test modules share: the one Chromium of a test run (tests/chromium.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chromium import IN_CI, Chromium, Tab, chromium, missing_reason


@pytest.fixture(scope="session")
def browser_process() -> Iterator[Chromium]:
    """One headless Chromium for the whole run. Missing here it skips loudly; under ``CI=true``
    it fails, since CI installs it."""
    reason = missing_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(f"BROWSER TESTS NOT RUN: {reason}")
    with chromium() as process:
        yield process


@pytest.fixture(scope="module")
def tab(browser_process: Chromium) -> Iterator[Tab]:
    """A page of its own for each test module."""
    with browser_process.fresh_tab() as page:
        yield page
