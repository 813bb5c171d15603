"""Instructions per request of a server, counted by valgrind's callgrind: a count, not a time,
so two builds compare the same on a quiet machine and on a busy one.

The server is started under callgrind twice, answering ``low`` and then ``high`` requests of
the mix over one keep-alive connection, and stopped; the difference of the two totals over
``high - low`` requests is what one request costs, start-up and shutdown cancelled out. What
it leaves out is the kernel's share (the sockets), which a request costs both servers alike.
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

VALGRIND = shutil.which("valgrind")
_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)", re.I | re.M)


def request_bytes(method: str, headers: dict[str, str]) -> bytes:
    """One HTTP/1.1 request for ``/`` with these header fields."""
    lines = [f"{method} / HTTP/1.1", "Host: bench", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _connect(port: int, process: subprocess.Popen[bytes], seconds: float) -> socket.socket:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=30)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not listen on {port}") from None
            time.sleep(0.1)


def _exchange(connection: socket.socket, request: bytes) -> None:
    connection.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise SystemExit("the server closed the connection")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = _LENGTH.search(head)
    while len(body) < (int(length.group(1)) if length else 0):
        body += connection.recv(65536)


def total(argv: Sequence[str], port: int, requests: Sequence[bytes], count: int) -> int:
    """The instructions ``argv`` runs, from start to stop, answering ``count`` requests (the
    mix in turn)."""
    assert VALGRIND is not None, "needs valgrind (Debian: apt-get install valgrind)"
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "callgrind.out"
        process = subprocess.Popen(
            [VALGRIND, "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            connection = _connect(port, process, 120)
            with connection:
                for index in range(count):
                    _exchange(connection, requests[index % len(requests)])
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
        summary = re.search(r"^(?:summary|totals):\s*(\d+)", out.read_text(), re.M)
        assert summary is not None, "callgrind wrote no total"
        return int(summary.group(1))


def per_request(
    argv: Callable[[], Sequence[str]],
    port: int,
    requests: Sequence[bytes],
    low: int = 500,
    high: int = 2500,
) -> float:
    """Instructions one request of the mix costs (``argv`` gives the command line anew for
    each of the two runs)."""
    return (total(argv(), port, requests, high) - total(argv(), port, requests, low)) / (high - low)
