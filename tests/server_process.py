"""What every launcher of a real server shares (nginx, HAProxy, Apache, Caddy, the Python
servers): a foreground process, waited for until its ports on 127.0.0.1 accept connections,
and stopped by its own pid, never by name. It imports nothing of corsc and nothing of pytest,
so the benchmarks can use it."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar


class ServerExited(AssertionError):
    """The server ended before every port accepted connections."""


class ServerSilent(AssertionError):
    """The server still runs, but a port did not accept connections in time."""


def wait_for_ports(process: subprocess.Popen[bytes], ports: Sequence[int], seconds: float) -> None:
    """Return once every port accepts a connection (5 ms polls, ``seconds`` at most)."""
    deadline = time.monotonic() + seconds
    for port in ports:
        while True:
            if process.poll() is not None:
                raise ServerExited(f"exited with {process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise ServerSilent(f"port {port} not listening after {seconds} s") from None
                time.sleep(0.005)


def stop_process(process: subprocess.Popen[bytes], sent: int, seconds: float) -> None:
    """Send ``sent`` (the server's own graceful stop), then SIGKILL after ``seconds``."""
    process.send_signal(sent)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class Launched:
    """A server a launcher starts in the foreground: ``name`` for messages, the signal that
    stops it gracefully and how long that may take."""

    name: ClassVar[str]
    stop_signal: ClassVar[int] = signal.SIGTERM
    stop_seconds: ClassVar[float] = 5
    process: subprocess.Popen[bytes] | None = None

    def launch(
        self,
        command: Sequence[str],
        ports: Sequence[int],
        seconds: float,
        log: Callable[[], str],
        **popen: Any,
    ) -> None:
        """Start ``command`` and wait for ``ports``; an :class:`AssertionError` names the
        server and carries ``log()`` when it exits or does not listen."""
        self.process = subprocess.Popen(command, **popen)
        try:
            wait_for_ports(self.process, ports, seconds)
        except ServerExited:
            self.process = None
            raise ServerExited(f"{self.name} exited:\n{log()}") from None
        except ServerSilent:
            self.stop()
            raise ServerSilent(f"{self.name} did not listen:\n{log()}") from None

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        stop_process(process, self.stop_signal, self.stop_seconds)
