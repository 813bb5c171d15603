"""Starting and stopping a private Apache httpd 2.4: the one launcher of the live Apache tests
(tests/test_apache_live.py, tests/conformance_apache.py) and of bench/bench_apache.py.

Each :class:`Apache` has its own ServerRoot (configuration, PidFile, ErrorLog, document
roots) in a directory of its own, loads only the modules it needs from Debian's
/usr/lib/apache2/modules (mpm_event, authz_core, headers, setenvif, rewrite, alias, dir,
mime, proxy, proxy_http, and basic authentication), runs in the foreground
(``-DFOREGROUND``) as a direct child and is stopped by its own pid — never by name. Its
application is either static files (``{}`` in ``app.json``) or :class:`Upstream`, a small
HTTP server in this process that answers every method ``200 {}`` (``500`` under
``/status/500``, with CORS headers of its own under ``/own-cors``), behind ``mod_proxy``. It
imports nothing of corsc and nothing of pytest, so the benchmarks can use it.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.nginx_launcher import free_ports
from tests.server_process import Launched

__all__ = ["APACHE", "Apache", "Upstream", "free_ports", "modules_available"]

#: Debian's apache2 binary (in /usr/sbin, often not on PATH), or ``None``.
APACHE = shutil.which("apache2") or next(
    (path for path in ("/usr/sbin/apache2",) if os.access(path, os.X_OK)), None
)
MODULES_DIR = Path("/usr/lib/apache2/modules")
MODULES = (
    ("mpm_event", "mod_mpm_event.so"),
    ("authz_core", "mod_authz_core.so"),
    ("headers", "mod_headers.so"),
    ("setenvif", "mod_setenvif.so"),
    ("rewrite", "mod_rewrite.so"),
    ("alias", "mod_alias.so"),
    ("dir", "mod_dir.so"),
    ("mime", "mod_mime.so"),
    ("proxy", "mod_proxy.so"),
    ("proxy_http", "mod_proxy_http.so"),
    ("auth_basic", "mod_auth_basic.so"),
    ("authn_core", "mod_authn_core.so"),
    ("authn_file", "mod_authn_file.so"),
    ("authz_user", "mod_authz_user.so"),
)

APP_BODY = b"{}"


def modules_available() -> bool:
    return all((MODULES_DIR / file).is_file() for _, file in MODULES)


def main_config(root: Path, ports: Sequence[int], body: str, threads: int = 25) -> str:
    """The server's configuration: its own files under ``root``, listening on ``ports`` of
    127.0.0.1, then ``body`` (the virtual hosts)."""
    user = ""
    if os.geteuid() == 0:
        # Apache will not serve as root: its children run as nobody, who must read the root.
        user = "User nobody\nGroup nogroup\n"
    loads = "".join(f"LoadModule {name}_module {MODULES_DIR / file}\n" for name, file in MODULES)
    listens = "".join(f"Listen 127.0.0.1:{port}\n" for port in ports)
    return (
        f"ServerRoot {root}\nPidFile {root}/httpd.pid\nErrorLog {root}/error.log\n"
        f"LogLevel warn\nServerName 127.0.0.1\n{user}{loads}{listens}"
        f"Mutex file:{root} default\nDefaultRuntimeDir {root}\n"
        f"StartServers 1\nServerLimit 1\nThreadsPerChild {threads}\nMaxRequestWorkers {threads}\n"
        "KeepAlive On\nTimeout 10\n"
        "<Directory />\n    AllowOverride None\n</Directory>\n"
        f"DocumentRoot {root}/www\n<Directory {root}/www>\n    Require all granted\n"
        "    AllowOverride FileInfo AuthConfig\n    Options FollowSymLinks\n</Directory>\n"
        "TypesConfig /dev/null\n" + body
    )


class Apache(Launched):
    """One Apache with its files in ``root``; ``wrap`` is put before its command line
    (``taskset -c 1`` to pin it to a CPU); SIGTERM to its own pid stops its children too."""

    name = "apache2"
    stop_seconds = 10

    def __init__(self, root: Path, wrap: Sequence[str] = ()) -> None:
        assert APACHE is not None, "apache2 is not installed (Debian: apt-get install apache2)"
        self.binary = APACHE
        self.root = root
        self.wrap = tuple(wrap)
        root.mkdir(parents=True, exist_ok=True)
        (root / "www").mkdir(exist_ok=True)
        (root / "www" / "app.json").write_bytes(APP_BODY)
        # Readable by the children's user (a temporary directory is 0700).
        root.chmod(0o755)
        self.config = root / "httpd.conf"

    def write(self, name: str, text: str) -> Path:
        """A file under the root (an included policy, a .htaccess under ``www/``)."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(self.root).parents:
            (self.root / parent).chmod(0o755)
        path.write_text(text, "utf-8")
        path.chmod(0o644)
        return path

    def configure(self, ports: Sequence[int], body: str, threads: int = 25) -> None:
        self.config.write_text(main_config(self.root, ports, body, threads), "utf-8")

    def command(self, *extra: str) -> list[str]:
        return [self.binary, "-f", str(self.config), *extra]

    def check(self) -> subprocess.CompletedProcess[str]:
        """``apache2 -t``: the configuration is valid ("Syntax OK" in ``stderr``)."""
        return subprocess.run(
            self.command("-t"), capture_output=True, text=True, timeout=60, cwd=self.root
        )

    def log(self) -> str:
        path = self.root / "error.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def start(self, ports: Sequence[int]) -> None:
        """Start in the foreground and wait until every port accepts connections."""
        out = self.root / "stderr.log"
        with out.open("wb") as stream:
            self.launch(
                [*self.wrap, *self.command("-DFOREGROUND")],
                ports,
                15,
                lambda: f"{out.read_text()}\n{self.log()}",
                stdout=stream,
                stderr=stream,
                cwd=self.root,
            )


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: More header fields the application sends (the browser tests' exposure probes).
    extra: tuple[tuple[str, str], ...] = ()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status = 500 if self.path.startswith("/status/500") else 200
        body = b"" if self.command == "HEAD" else APP_BODY
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in self.extra:
            self.send_header(name, value)
        if self.path.startswith("/own-cors"):
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Expose-Headers", "X-Upstream")
        self.send_header("Content-Length", str(len(APP_BODY)))
        self.end_headers()
        self.wfile.write(body)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self.answer
        raise AttributeError(name)


class Upstream:
    """The application behind ``mod_proxy``: every method answered ``200 {}`` (``500 {}``
    under ``/status/500``) with ``app_headers`` too (but its own Content-Type and -Length), on
    a free 127.0.0.1 port, in a thread of this process."""

    def __init__(self, app_headers: Sequence[tuple[str, str]] = ()) -> None:
        extra = tuple(
            (name, value)
            for name, value in app_headers
            if name.lower() not in {"content-type", "content-length"}
        )
        handler = type("Handler", (_Handler,), {"extra": extra})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Upstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def proxy(self) -> str:
        """The directive that sends a virtual host's requests to it, the path as Apache
        routes it (no ``nocanon``)."""
        return f"    ProxyPass / http://127.0.0.1:{self.port}/\n"
