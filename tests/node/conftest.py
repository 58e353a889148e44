"""Helpers for driving the command line as a user does: a subprocess, its output and exit code."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def cli_environment(env: dict[str, str] | None = None, free_status_port: bool = True) -> dict[str, str]:
    """This process's environment without IB or node overrides, then `env`.

    With `free_status_port`, a node's status server takes a free port (`NAUTILUS_NODE_STATUS_PORT=0`), so a
    node already running on this machine (status on 8001) does not get in the way.
    """
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("IB_", "TWS_", "NAUTILUS_NODE_"))}
    if free_status_port:
        environ["NAUTILUS_NODE_STATUS_PORT"] = "0"
    environ.update(env or {})
    return environ


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    cwd: Path = PROJECT_ROOT,
    free_status_port: bool = True,
) -> subprocess.CompletedProcess:
    """Run `python -m nautilus_node ARGS` in `cwd` (the project root) in `cli_environment(env)`."""
    return subprocess.run(
        [sys.executable, "-m", "nautilus_node", *args],
        cwd=cwd,
        env=cli_environment(env, free_status_port),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for_output(process: subprocess.Popen, marker: str, timeout: float = 60) -> None:
    """Read the process's stdout until a line contains `marker`."""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    for line in process.stdout:
        if marker in line:
            return
        if time.monotonic() > deadline:
            break
    pytest.fail(f"{marker!r} never appeared in the output")


def free_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a config file into a temporary folder and return its path."""

    def write(text: str, name: str = "node.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


class Listener:
    """A TCP listener on 127.0.0.1 that accepts connections and, optionally, answers only the API handshake.

    It stands in for a broken gateway: a relay whose gateway is down (`answer_handshake=False`) or a gateway
    that opens the API but never sends the accounts and order ids a client waits for.
    """

    def __init__(self, answer_handshake: bool) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._answer = answer_handshake
        self._connections: list[socket.socket] = []
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self._connections.append(connection)
            if self._answer:
                threading.Thread(target=self._handshake, args=(connection,), daemon=True).start()

    @staticmethod
    def _handshake(connection: socket.socket) -> None:
        try:
            connection.recv(4096)
            reply = b"200\0" + b"20261125 12:00:00 UTC\0"
            connection.sendall(struct.pack(">I", len(reply)) + reply)
            while connection.recv(4096):
                pass
        except OSError:
            return

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread, which ends
        self._server.close()
        for connection in self._connections:
            connection.close()


@pytest.fixture
def silent_listener():
    """Accepts TCP connections and never says a word."""
    listener = Listener(answer_handshake=False)
    yield listener
    listener.close()


@pytest.fixture
def handshake_only_listener():
    """Answers the API handshake, then never sends managed accounts or a next valid id."""
    listener = Listener(answer_handshake=True)
    yield listener
    listener.close()
