"""A real Chromium for the tests: one headless browser process, driven over the DevTools
protocol (CDP) by a small synchronous client, and a page server that gives a script any origin.

- :class:`PageServer` listens on one port of 127.0.0.1 and speaks TLS or plain HTTP on it (it
  looks at the first byte), answering every path with an empty page; ``/opaque`` is served with
  ``Content-Security-Policy: sandbox allow-scripts``, so a script there has an opaque origin and
  sends ``Origin: null``.
- :class:`Chromium` starts the browser with ``--host-resolver-rules`` that send the API host
  :data:`API_HOST` to 127.0.0.1 (its port is the port of the server under test) and every other
  host name, whatever its port, to the page server. So a page opened
  at ``https://app.example.com`` really has that origin, and a ``fetch()`` from it to
  ``http://api.test:<port>`` is a cross-origin request to a real server on a real port. Pages
  under :data:`PUBLIC_SUFFIX` come from a second page server that Chromium is told is in the
  public address space (``--ip-address-space-overrides``), for Private Network Access. The
  certificate of the page server is self-signed (``--ignore-certificate-errors``), and a page on
  ``https`` may call the API on ``http`` (``--allow-running-insecure-content``).
- :class:`Tab` is one page: :meth:`Tab.open` navigates it to an origin, :meth:`Tab.fetch`
  runs ``fetch()`` or ``XMLHttpRequest`` from it and says what the script saw.

It imports nothing of corsc; :data:`CHROMIUM` is ``None`` when no Chromium is installed.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import websocket
from attrs import field, frozen

#: The Chromium binary (Debian's package: ``chromium``), or ``None``.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

#: The host name every server under test is reached by, with its own port.
API_HOST = "api.test"

#: Pages on host names under this suffix are served as if from the public internet.
PUBLIC_SUFFIX = "public.example"

#: How long one CDP command may take (a navigation or a fetch included).
TIMEOUT = 20.0


# ---- the page server -----------------------------------------------------------------------


def self_signed(directory: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate (``openssl req``)."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=corsc-tests",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


PAGE = b"<!doctype html><meta charset=utf-8><title>corsc</title>"


class _PageHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.send_header("Cache-Control", "no-store")
        if self.path.startswith("/opaque"):
            self.send_header("Content-Security-Policy", "sandbox allow-scripts")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests report what matters."""


class PageServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """Every page the browser opens, on one port: TLS when the client starts with a TLS
    handshake record (byte 0x16), plain HTTP otherwise."""

    daemon_threads = True

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _PageHandler)
        self.context = context
        self.port = int(self.server_address[1])

    def get_request(self) -> tuple[Any, Any]:
        connection, address = self.socket.accept()
        connection.settimeout(TIMEOUT)
        with contextlib.suppress(OSError):
            if connection.recv(1, socket.MSG_PEEK) == b"\x16":
                connection = self.context.wrap_socket(connection, server_side=True)
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away mid-handshake is no failure of a test."""


# ---- the DevTools protocol -------------------------------------------------------------------


class CDPError(Exception):
    """A CDP command answered with an error."""


class CDP:
    """One DevTools websocket: commands are sent and awaited one at a time; events are kept per
    session until :meth:`events` takes them."""

    def __init__(self, url: str) -> None:
        self.socket = websocket.create_connection(url, timeout=TIMEOUT, suppress_origin=True)
        self.next_id = 0
        self.pending: dict[str, list[dict[str, Any]]] = {}

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result
            if "method" in reply:
                self.pending.setdefault(reply.get("sessionId", ""), []).append(reply)

    def events(self, session: str) -> list[dict[str, Any]]:
        """The events of ``session`` received so far, taken."""
        return self.pending.pop(session, [])

    def close(self) -> None:
        self.socket.close()


# ---- what a script saw -------------------------------------------------------------------


@frozen
class Seen:
    """What a script saw of one cross-origin request: ``shared`` (the response reached it) or a
    network error; ``exposed`` the response header names it could read (lowercase; empty on a
    network error); ``preflighted`` whether Chromium sent a preflight; ``cors_error`` Chromium's
    reason for a network error (``corsErrorStatus`` of CDP, e.g. ``MissingAllowOriginHeader``);
    ``sent`` the request headers Chromium sent with the actual request and ``received`` the
    headers of its response (lowercase names, as CDP reports them, cookies included);
    ``from_cache`` whether the response came from Chromium's HTTP cache."""

    shared: bool
    exposed: frozenset[str] = frozenset()
    preflighted: bool = False
    cors_error: str = ""
    sent: tuple[tuple[str, str], ...] = field(default=(), eq=False)
    received: tuple[tuple[str, str], ...] = field(default=(), eq=False)
    from_cache: bool = False

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.sent if key == name.lower()), None)


_FETCH = """
(async () => {
  const [url, init, xhr] = %s;
  if (xhr) {
    return await new Promise((resolve) => {
      const request = new XMLHttpRequest();
      request.open(init.method, url);
      request.withCredentials = init.credentials === "include";
      for (const [name, value] of init.headers) request.setRequestHeader(name, value);
      request.onload = () => resolve({shared: true, headers: request.getAllResponseHeaders()
        .split("\\r\\n").filter(Boolean).map((line) => line.split(":")[0].toLowerCase())});
      request.onerror = () => resolve({shared: false, error: "error"});
      request.send();
    });
  }
  try {
    const response = await fetch(url, init);
    await response.arrayBuffer();
    return {shared: true, headers: [...response.headers.keys()]};
  } catch (error) {
    return {shared: false, error: String(error)};
  }
})()
"""


def _has(headers: dict[str, str], name: str) -> bool:
    return any(key.lower() == name.lower() for key in headers)


def _settled(events: list[dict[str, Any]], url: str) -> bool:
    """Whether ``events`` hold the end of the request to ``url`` (not its preflight)."""
    ids = {
        event["params"]["requestId"]
        for event in events
        if event["method"] == "Network.requestWillBeSent"
        and event["params"]["request"]["url"] == url
        and not _has(event["params"]["request"]["headers"], "Access-Control-Request-Method")
    }
    return any(
        event["method"] in ("Network.loadingFinished", "Network.loadingFailed")
        and event["params"]["requestId"] in ids
        for event in events
    )


def _preflight_seen(events: list[dict[str, Any]], url: str) -> bool:
    """Whether any other event than the preflight's own start shows a preflight: its headers
    on the wire (the page sends nothing else meanwhile), its response, or its failure."""
    return (
        any(
            event["method"] == "Network.requestWillBeSentExtraInfo"
            and _has(event["params"]["headers"], "Access-Control-Request-Method")
            for event in events
        )
        or any(
            event["method"] == "Network.responseReceived"
            and event["params"].get("type") == "Preflight"
            and event["params"]["response"]["url"] == url
            for event in events
        )
        or "Preflight" in _failure(events)
    )


def _failure(events: list[dict[str, Any]]) -> str:
    """Chromium's reasons for the CORS failures among ``events``: ``corsError(parameter)``."""
    return " ".join(
        f"{status['corsError']}({status.get('failedParameter', '')})"
        for event in events
        if event["method"] == "Network.loadingFailed"
        for status in [event["params"].get("corsErrorStatus")]
        if status is not None
    )


class Tab:
    """One page of the browser, reused from case to case: it navigates only when the origin
    changes."""

    def __init__(self, cdp: CDP, session: str, target: str = "", context: str = "") -> None:
        self.cdp = cdp
        self.session = session
        self.target = target
        self.context = context
        self.origin: str | None = None

    def close(self) -> None:
        """Close the page and dispose of its browser context: its renderer, its cache and the
        connections it keeps alive to the servers under test."""
        self.cdp.call("Target.closeTarget", targetId=self.target)
        self.cdp.call("Target.disposeBrowserContext", browserContextId=self.context)

    def open(self, origin: str) -> None:
        """Show an empty page whose origin is ``origin`` (``null``: an opaque one)."""
        if origin == self.origin:
            return
        url = "https://opaque.example/opaque" if origin == "null" else origin + "/"
        self.cdp.call("Page.navigate", self.session, url=url)
        deadline = time.monotonic() + TIMEOUT
        while self.evaluate("document.readyState") != "complete" or (
            self.evaluate("self.origin") != origin
        ):
            if time.monotonic() > deadline:
                raise AssertionError(f"Chromium did not open a page at {origin}")
            time.sleep(0.01)
        self.origin = origin

    def evaluate(self, expression: str) -> Any:
        result = self.cdp.call(
            "Runtime.evaluate",
            self.session,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            raise CDPError(f"{expression[:60]!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def fetch(
        self,
        origin: str,
        url: str,
        *,
        method: str = "GET",
        headers: Sequence[tuple[str, str]] = (),
        credentials: str = "same-origin",
        cache: str = "no-store",
        xhr: bool = False,
    ) -> Seen:
        """``fetch(url, {method, headers, credentials, cache})`` (or the same request by
        ``XMLHttpRequest``, with ``withCredentials`` for ``include``) from a page at
        ``origin``."""
        self.open(origin)
        self.cdp.events(self.session)
        init = {
            "method": method,
            "headers": [list(pair) for pair in headers],
            "credentials": credentials,
            "mode": "cors",
            "cache": cache,
        }
        result = self.evaluate(_FETCH % json.dumps([url, init, xhr]))
        events = self.cdp.events(self.session)
        deadline = time.monotonic() + 2
        while not _settled(events, url) and time.monotonic() < deadline:
            # Chromium's network events may come after the script has its answer.
            self.evaluate("0")
            events += self.cdp.events(self.session)
        # Those of the preflight may come even after the request's end.
        self.evaluate("0")
        events += self.cdp.events(self.session)
        sent = {
            event["params"]["requestId"]: event["params"]["request"]
            for event in events
            if event["method"] == "Network.requestWillBeSent"
            and event["params"]["request"]["url"] == url
        }
        preflights = {
            key
            for key, request in sent.items()
            if request["method"] == "OPTIONS"
            and _has(request["headers"], "Access-Control-Request-Method")
        }
        wire = [
            event["params"]["headers"]
            for event in events
            if event["method"] == "Network.requestWillBeSentExtraInfo"
            and event["params"]["requestId"] in sent.keys() - preflights
        ]
        responses = [
            event["params"]["response"]
            for event in events
            if event["method"] == "Network.responseReceived"
            and event["params"]["requestId"] in sent.keys() - preflights
        ]
        # As received, Set-Cookie included (none when the cache answered).
        raw = [
            event["params"]["headers"]
            for event in events
            if event["method"] == "Network.responseReceivedExtraInfo"
            and event["params"]["requestId"] in sent.keys() - preflights
        ]
        cached = any(
            event["method"] == "Network.requestServedFromCache"
            and event["params"]["requestId"] in sent.keys() - preflights
            for event in events
        ) or any(response.get("fromDiskCache") for response in responses)
        return Seen(
            shared=bool(result["shared"]),
            exposed=frozenset(result.get("headers", ())),
            # A preflight that failed early may be reported by its error only.
            preflighted=bool(preflights) or _preflight_seen(events, url),
            cors_error=_failure(events),
            sent=tuple((name.lower(), value) for name, value in (wire[-1] if wire else {}).items()),
            received=tuple(
                (name.lower(), value)
                for name, value in (raw[-1] if raw else responses[-1]["headers"]).items()
            )
            if raw or responses
            else (),
            from_cache=cached,
        )

    def screenshot(self, width: int, height: int) -> bytes:
        """A PNG of the page at ``width`` × ``height`` CSS pixels."""
        import base64

        self.cdp.call(
            "Emulation.setDeviceMetricsOverride",
            self.session,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        data = self.cdp.call("Page.captureScreenshot", self.session, format="png")["data"]
        return base64.b64decode(data)

    def show(self, html: str) -> None:
        """Replace the page's document with ``html``."""
        self.cdp.call("Page.enable", self.session)
        frame = self.cdp.call("Page.getFrameTree", self.session)["frameTree"]["frame"]["id"]
        self.cdp.call("Page.setDocumentContent", self.session, frameId=frame, html=html)
        self.origin = None


class Chromium:
    """One headless Chromium and the page server its pages come from, for a whole test run."""

    def __init__(self, binary: str, root: Path) -> None:
        self.root = root
        context = self_signed(root)
        self.pages = PageServer(context)
        self.public_pages = PageServer(context)
        for server in (self.pages, self.public_pages):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        profile = root / "profile"
        rules = (
            f"MAP {API_HOST} 127.0.0.1, MAP *.{PUBLIC_SUFFIX} 127.0.0.1:{self.public_pages.port}, "
            f"MAP * 127.0.0.1:{self.pages.port}"
        )
        self.process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--ignore-certificate-errors",
                "--allow-running-insecure-content",
                # A page opened on http stays on http (no automatic upgrade to https).
                "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
                f"--host-resolver-rules={rules}",
                # Pages under PUBLIC_SUFFIX count as the public address space (Private Network
                # Access / Local Network Access), every other page as loopback, as it is.
                f"--ip-address-space-overrides=127.0.0.1:{self.public_pages.port}=public",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.cdp = CDP(self._endpoint(profile / "DevToolsActivePort"))
        self.version = str(self.cdp.call("Browser.getVersion")["product"])

    def _endpoint(self, active: Path) -> str:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"Chromium exited with {self.process.returncode}")
            with contextlib.suppress(FileNotFoundError):
                lines = active.read_text().split()
                if len(lines) == 2:
                    return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.02)
        self.stop()
        raise AssertionError("Chromium did not open its DevTools port")

    def tab(self) -> Tab:
        """A new page with network events on (its own browser context: no cookies shared
        with other tabs)."""
        context = self.cdp.call("Target.createBrowserContext")["browserContextId"]
        target = self.cdp.call("Target.createTarget", url="about:blank", browserContextId=context)
        session = self.cdp.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        tab = Tab(self.cdp, session["sessionId"], target["targetId"], context)
        self.cdp.call("Network.enable", tab.session)
        return tab

    @contextlib.contextmanager
    def fresh_tab(self) -> Iterator[Tab]:
        """A tab of its own (:meth:`tab`), closed with its context afterwards."""
        tab = self.tab()
        try:
            yield tab
        finally:
            tab.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.cdp.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        for server in (self.pages, self.public_pages):
            server.shutdown()
            server.server_close()


@contextlib.contextmanager
def chromium() -> Iterator[Chromium]:
    """A running Chromium with its page server, stopped afterwards. Requires :data:`CHROMIUM`."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="corsc-chromium-") as directory:
        browser = Chromium(CHROMIUM, Path(directory))
        try:
            yield browser
        finally:
            browser.stop()


def missing_reason() -> str:
    """Why the browser tests cannot run here (empty when they can)."""
    if CHROMIUM is None:
        return "Chromium is not installed (Debian: apt-get install chromium)"
    if shutil.which("openssl") is None:
        return "openssl is not installed (the page server's certificate)"
    return ""


#: Under CI a missing Chromium fails the run instead of skipping the browser tests.
IN_CI = os.environ.get("CI") == "true"
