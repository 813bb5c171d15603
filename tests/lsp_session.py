"""A minimal synchronous LSP client for ``corsc lsp`` over stdio: JSON-RPC with
Content-Length framing, one request at a time. For the robustness property (thousands of
messages to one live server) and the latency benchmark, where an event loop per example would
cost more than the server's answers."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from typing import IO, Any


class Session:
    """One ``python -m corsc lsp`` process, initialised with the client ``capabilities``
    (``initialized`` is the server's answer). Server notifications received while
    waiting for a response are kept in :attr:`notifications`; the server's stderr goes to a
    temporary file, :meth:`stderr`."""

    def __init__(self, capabilities: dict[str, Any] | None = None) -> None:
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (read after the server exits)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "corsc", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._next_id = 0
        self.notifications: list[dict[str, Any]] = []
        self.initialized = self.request(
            "initialize", {"processId": None, "rootUri": None, "capabilities": capabilities or {}}
        )
        self.notify("initialized", {})

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise EOFError(f"the server exited: {self.stderr()}")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        assert length is not None
        message: dict[str, Any] = json.loads(self.process.stdout.read(length))
        return message

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> dict[str, Any]:
        """The response to one request (``result`` or ``error``)."""
        self._next_id += 1
        self.send({"id": self._next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self._next_id and "method" not in message:
                return message
            self.notifications.append(message)

    def close(self) -> int:
        """Shut down and exit as a client does; the server's exit status."""
        self.request("shutdown", None)
        self.notify("exit", None)
        status = self.process.wait(timeout=10)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.stdout.close()
        return status

    def stderr(self) -> str:
        """What the server wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")
