"""Caddy for the caddy target's tests: where it is (a failure under ``CI=true`` when it is
missing, a skip otherwise), its command line run on a Caddyfile, and a policy's snippet."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from corsc import __version__
from corsc.backends import EmitOptions, get
from corsc.frontend import load
from corsc.source import Source


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
def running(caddy: str, config: Path, home: Path, port: int) -> Iterator[None]:
    """Caddy serving ``config`` (state under ``home``) until the block ends, once ``port``
    accepts connections (10 s at most); stopped by its own process, never by name."""
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home)}
    server = subprocess.Popen(
        [caddy, "run", "--adapter", "caddyfile", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield
    finally:
        server.terminate()
        server.wait(10)
