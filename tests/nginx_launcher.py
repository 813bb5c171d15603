"""Starting and stopping a private nginx: the one launcher of the live nginx tests
(tests/test_nginx_live.py, tests/conformance_nginx.py) and of bench/bench_nginx.py.

Each :class:`Nginx` has its own prefix directory (configuration in ``conf/``, logs and
temporary files inside the prefix), runs as one process (``master_process off``) that is a
direct child (``daemon off``), and is stopped by its own pid — never by name. It imports
nothing of corsc and nothing of pytest, so the benchmarks can use it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.server_process import Launched, ServerExited

#: The nginx binary (Debian's package installs it in /usr/sbin, often not on PATH), or ``None``.
NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
)

MAIN = """\
pid logs/nginx.pid;
error_log logs/error.log notice;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path temp/client_body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    default_type text/plain;
{http}
}}
"""


class PortTaken(Exception):
    """nginx could not bind a port chosen as free (another process took it meanwhile)."""


class Nginx(Launched):
    """One nginx with the private prefix ``root``; ``wrap`` is put before the command line that
    runs it (``taskset -c 0`` to pin it to a CPU); SIGQUIT stops it gracefully."""

    name = "nginx"
    stop_signal = signal.SIGQUIT

    def __init__(self, root: Path, wrap: Sequence[str] = ()) -> None:
        assert NGINX is not None, "nginx is not installed (Debian: apt-get install nginx)"
        self.binary = NGINX
        self.root = root
        self.wrap = tuple(wrap)
        for directory in ("conf", "logs", "temp"):
            (root / directory).mkdir(parents=True, exist_ok=True)

    @property
    def error_log(self) -> Path:
        return self.root / "logs" / "error.log"

    def configure(self, http: str, files: dict[str, str]) -> None:
        """Write ``conf/nginx.conf`` with ``http`` inside ``http {}``, and ``files`` (names
        relative to ``conf/``, where nginx resolves ``include``)."""
        for name, content in files.items():
            (self.root / "conf" / name).write_text(content, "utf-8")
        (self.root / "conf" / "nginx.conf").write_text(MAIN.format(http=http), "utf-8")

    def command(self, *extra: str) -> list[str]:
        """The nginx command line for this prefix and configuration, with ``extra``."""
        return [self.binary, "-p", f"{self.root}/", "-c", "conf/nginx.conf", *extra]

    def foreground(self) -> list[str]:
        """The command line that serves in the foreground, logging into the prefix."""
        return self.command("-e", "logs/error.log", "-g", "daemon off; master_process off;")

    def test(self) -> subprocess.CompletedProcess[str]:
        """``nginx -t``: the configuration parses and every directive is where it may be (what
        nginx warns about is in ``stderr``)."""
        return subprocess.run(
            self.command("-t", "-q", "-e", "stderr"), capture_output=True, text=True, timeout=30
        )

    def start(self, ports: Sequence[int]) -> None:
        """Start and wait until every port accepts connections (5 ms polls, 5 s at most).
        Raises :class:`PortTaken` when a port was taken meanwhile, ``AssertionError`` with the
        error log when nginx exits or does not listen."""
        self.error_log.write_text("")
        command = [*self.wrap, *self.foreground()]
        streams = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        try:
            self.launch(command, ports, 5, self.error_log.read_text, **streams)
        except ServerExited as exited:
            if "Address already in use" in str(exited):
                raise PortTaken(str(exited)) from None
            raise

    def serve(
        self, build: Callable[[list[int]], tuple[str, dict[str, str]]], count: int
    ) -> list[int]:
        """Configure with ``count`` free ports (``build(ports)`` gives the ``http {}`` body and
        the files) and start; new ports when one was taken meanwhile."""
        for _ in range(5):
            ports = free_ports(count)
            self.configure(*build(ports))
            try:
                self.start(ports)
            except PortTaken:
                continue
            return ports
        raise AssertionError("no free ports")


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: every probe stays bound until all are chosen, since a
    port released at once may be handed out again (two servers on one port would answer for
    each other)."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
