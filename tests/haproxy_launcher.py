"""Starting and stopping a private HAProxy: the one launcher of the live HAProxy tests
(tests/test_haproxy_live.py, tests/conformance_haproxy.py) and of bench/bench_haproxy.py.

Each :class:`Haproxy` has its own directory (the configuration files and the pattern files),
runs in the foreground (``-db``) as a direct child, and is stopped by its own pid — never by
name. Behind every frontend stands the stub application, an HAProxy backend answering
``200 {}`` itself (``http-request return``), so a reply with another status or body came from
the CORS rules. It imports nothing of corsc and nothing of pytest (nginx's launcher lends it
:func:`free_ports`), so the benchmarks can use it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.nginx_launcher import free_ports
from tests.server_process import Launched

__all__ = ["BASE", "HAPROXY", "Haproxy", "base", "free_ports", "frontend"]

#: The haproxy binary (Debian installs it in /usr/sbin, often not on PATH), or ``None``.
HAPROXY = shutil.which("haproxy") or next(
    (path for path in ("/usr/sbin/haproxy",) if os.access(path, os.X_OK)), None
)

#: The user's own part: a global section, a defaults section the generated one may inherit
#: (``-O from=base``), and the stub application.
BASE_TEMPLATE = """\
global
    maxconn 4096
defaults base
    mode http
    timeout client 10s
    timeout server 10s
    timeout connect 5s
backend app from base
    http-request return status 200 content-type application/json string "{{}}"{headers}
"""
BASE = BASE_TEMPLATE.format(headers="")


def base(app_headers: Sequence[tuple[str, str]]) -> str:
    """The user's part with an application that also sends ``app_headers`` (plain names and
    values, as the browser tests' application sends; Content-Type and -Length are its own)."""
    extra = "".join(
        f" hdr {name} '{value}'"
        for name, value in app_headers
        if name.lower() not in {"content-type", "content-length"}
    )
    return BASE_TEMPLATE.format(headers=extra)


APP_BODY = b"{}"


def frontend(name: str, port: int, defaults: str, extra: str = "") -> str:
    """A frontend on ``127.0.0.1:port`` taking its rules from the defaults section ``defaults``
    and sending every request to the stub application (or as ``extra`` says first)."""
    return (
        f"frontend {name} from {defaults}\n    bind 127.0.0.1:{port}\n"
        f"{extra}    default_backend app\n"
    )


class Haproxy(Launched):
    """One HAProxy with its files in ``root``; ``wrap`` is put before its command line
    (``taskset -c 1`` to pin it to a CPU); SIGUSR1 is its soft stop."""

    name = "haproxy"
    stop_signal = signal.SIGUSR1

    def __init__(self, root: Path, wrap: Sequence[str] = ()) -> None:
        assert HAPROXY is not None, "haproxy is not installed (Debian: apt-get install haproxy)"
        self.binary = HAPROXY
        self.root = root
        self.wrap = tuple(wrap)
        self.configs: list[Path] = []
        root.mkdir(parents=True, exist_ok=True)

    def configure(
        self, configs: Sequence[tuple[str, str]], files: Mapping[str, str] | None = None
    ) -> None:
        """Write the configuration files (``(name, text)``, loaded in that order) and the
        pattern files, all in the root."""
        for name, content in (files or {}).items():
            (self.root / name).write_text(content, "utf-8")
        self.configs = []
        for name, content in configs:
            path = self.root / name
            path.write_text(content, "utf-8")
            self.configs.append(path)

    def command(self, *extra: str) -> list[str]:
        files = [arg for path in self.configs for arg in ("-f", str(path))]
        return [self.binary, *files, *extra]

    def check(self) -> subprocess.CompletedProcess[str]:
        """``haproxy -c``: the configuration is valid (warnings are in ``stderr``)."""
        return subprocess.run(
            self.command("-c"), capture_output=True, text=True, timeout=30, cwd=self.root
        )

    def start(self, ports: Sequence[int]) -> None:
        """Start in the foreground and wait until every port accepts connections."""
        log = self.root / "haproxy.log"
        with log.open("wb") as out:
            self.launch(
                [*self.wrap, *self.command("-db")],
                ports,
                5,
                log.read_text,
                stdout=out,
                stderr=out,
                cwd=self.root,
            )
