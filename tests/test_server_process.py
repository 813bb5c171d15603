"""The launchers' shared part: a server that exits or stays silent is an error that names it
and carries its log, and a silent one is stopped, never left running."""

from __future__ import annotations

import sys

import pytest

from tests.nginx_launcher import free_ports
from tests.server_process import Launched, ServerExited, ServerSilent


class Sleeper(Launched):
    name = "sleeper"


def test_a_server_that_exits_first_is_reported_with_its_log() -> None:
    server = Sleeper()
    with pytest.raises(ServerExited, match=r"^sleeper exited:\nthe log$"):
        server.launch([sys.executable, "-c", "pass"], free_ports(1), 5, lambda: "the log")
    assert server.process is None


def test_a_server_that_does_not_listen_is_stopped_and_reported() -> None:
    server = Sleeper()
    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    with pytest.raises(ServerSilent, match=r"^sleeper did not listen:\nquiet$"):
        server.launch(command, free_ports(1), 0.3, lambda: "quiet")
    assert server.process is None


def test_a_listening_server_is_stopped_by_its_own_pid() -> None:
    (port,) = free_ports(1)
    code = (
        f"import socket, time; s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); "
        "time.sleep(60)"
    )
    server = Sleeper()
    server.launch([sys.executable, "-c", code], [port], 10, lambda: "")
    process = server.process
    assert process is not None and process.poll() is None
    server.stop()
    assert server.process is None and process.poll() is not None
