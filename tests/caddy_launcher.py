"""Caddy for the caddy target's tests: where it is (a failure under ``CI=true`` when it is
missing, a skip otherwise), its command line run on a Caddyfile, and a policy's snippet."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from corsc import __version__
from corsc.backends import EmitOptions, get
from corsc.frontend import load
from corsc.source import Source
from tests.server_process import stop_process, wait_for_ports


def caddy_or_skip() -> str:
    """Caddy's path; called at a test module's top, so its tests are skipped without Caddy
    locally and fail under CI (.ci/run installs Debian's caddy)."""
    found = shutil.which("caddy")
    if found is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError("caddy is not installed; .ci/run installs Debian's caddy")
        pytest.skip("caddy is not installed", allow_module_level=True)
    return found


def caddy_cli(caddy: str, verb: str, config: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """``caddy VERB`` (validate, adapt) on a Caddyfile, with its state kept under ``home``."""
    return subprocess.run(
        [caddy, verb, "--adapter", "caddyfile", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home)},
    )


def emit_snippet(text: str) -> str:
    """The snippet ``--target caddy`` writes for a policy with one policy in it."""
    loaded = load(Source("t.cors", text))
    assert loaded.policy_set is not None
    options = EmitOptions(__version__, "t.cors", "caddy", {})
    return get("caddy").emit(loaded.policy_set, options)[0].content


@contextlib.contextmanager
def running(caddy: str, config: Path, home: Path, *ports: int) -> Iterator[None]:
    """Caddy serving ``config`` (state under ``home``, its log in ``home/caddy.log``) until the
    block ends, once every port accepts connections (60 s at most); stopped by its own
    process, never by name."""
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home)}
    env["XDG_CONFIG_HOME"] = str(home)
    log = home / "caddy.log"
    with log.open("wb") as errors:  # Caddy holds its own copy of the descriptor
        server = subprocess.Popen(
            [caddy, "run", "--adapter", "caddyfile", "--config", str(config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        try:
            wait_for_ports(server, ports, 60)
        except AssertionError as failure:
            raise AssertionError(f"caddy: {failure}\n{log.read_text()}") from None
        yield
    finally:
        stop_process(server, signal.SIGTERM, 10)
