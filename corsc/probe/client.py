"""Sending probes to a live server with the standard library (``http.client``).

A :class:`Server` is where requests go: the scheme, host and port of the URL given to
``corsc probe`` (the path of every request comes from the policy). Every request has an
explicit timeout, no body, and only the probe's header fields plus ``Host`` and the user's
``--header`` fields; a redirect is an answer like any other, never followed. ``--resolve``
connects to another address while ``Host`` and TLS (SNI and certificate checks) keep the name,
so a staging box can be probed under the production name. Requests are spaced by ``interval``
seconds, so probing stays polite to a production server.
"""

from __future__ import annotations

import http.client
import shlex
import socket
import ssl
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from attrs import frozen

from corsc.probe.plan import Fields, Probe
from corsc.records import fields_repr


class ProbeError(Exception):
    """The server could not be asked: a bad URL, a refused connection, a timeout, a TLS error.
    Reported in one line, exit 2."""


@frozen
class Reply:
    """The server's answer: status and header fields in the order received."""

    __repr__ = fields_repr

    status: int
    headers: tuple[tuple[str, str], ...]


@frozen
class Server:
    """Where and how to send: ``scheme`` ``http`` or ``https``, ``host`` as named in ``Host``
    and TLS, ``port``; ``address`` the IP to connect to instead of resolving ``host``
    (``--resolve``); ``extra`` header fields sent with every request (``--header``)."""

    __repr__ = fields_repr

    scheme: str
    host: str
    port: int
    address: str | None = None
    extra: Fields = ()
    insecure: bool = False
    timeout: float = 10.0

    @classmethod
    def of(cls, url: str) -> Server:
        """The server of ``url`` (``http://`` or ``https://``, no path beyond ``/``, no query);
        :class:`ProbeError` otherwise."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ProbeError(f"`{url}` is not an http:// or https:// URL with a host")
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            raise ProbeError(
                f"`{url}`: give the server only (scheme, host, port); the paths probed come "
                "from the policy"
            )
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ProbeError(f"`{url}` has an invalid port") from None
        return cls(parts.scheme, parts.hostname, port)

    @property
    def origin(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")

    def fields(self, probe: Probe) -> Fields:
        """Every header field sent for ``probe`` besides ``Host``."""
        return (*probe.fields, *self.extra)

    def curl(self, probe: Probe) -> str:
        """A curl command that sends the same request."""
        words = ["curl", "-si", "-X", probe.method]
        if self.insecure:
            words.append("-k")
        if self.address is not None:
            words += ["--resolve", f"{self.host}:{self.port}:{self.address}"]
        for name, value in self.fields(probe):
            words += ["-H", f"{name}: {value}"]
        words.append(self.origin + probe.path)
        return shlex.join(words)

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "http":
            return _Connection(self.host, self.port, timeout=self.timeout, address=self.address)
        context = ssl.create_default_context()
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return _TLSConnection(
            self.host, self.port, timeout=self.timeout, context=context, address=self.address
        )

    def send(self, probe: Probe) -> Reply:
        """Send ``probe`` once and read the answer (its body is read and dropped)."""
        connection = self._connection()
        try:
            connection.putrequest(probe.method, probe.path, skip_accept_encoding=True)
            for name, value in self.fields(probe):
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            response.read()
            return Reply(response.status, tuple(response.getheaders()))
        except (OSError, http.client.HTTPException) as error:
            raise ProbeError(
                f"{probe.method} {self.origin}{probe.path}: {_describe(error)}"
            ) from None
        finally:
            connection.close()


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer within the timeout"
    return str(error) or type(error).__name__


class _Connection(http.client.HTTPConnection):
    """An HTTP connection to ``address`` when given, else to ``host``."""

    def __init__(self, host: str, port: int, *, timeout: float, address: str | None) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address or self.host, self.port), self.timeout)


class _TLSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to ``address`` when given, with SNI and certificate checks for
    ``host``."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float,
        context: ssl.SSLContext,
        address: str | None,
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._context = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address or self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


class Sender:
    """Sends probes to ``server`` at most one per ``interval`` seconds, each distinct request
    once (a credentialed preflight probe is the same request as the uncredentialed one)."""

    def __init__(self, server: Server, interval: float) -> None:
        self.server = server
        self.interval = interval
        self.sent = 0
        self._last = float("-inf")
        self._replies: dict[tuple[str, str, Fields], Reply] = {}

    def reply(self, probe: Probe) -> Reply:
        known = self._replies.get(probe.wire)
        if known is not None:
            return known
        wait = self._last + self.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        self.sent += 1
        reply = self._replies[probe.wire] = self.server.send(probe)
        return reply


def distinct_requests(probes: Sequence[Probe]) -> int:
    """How many requests ``probes`` send."""
    return len({probe.wire for probe in probes})
