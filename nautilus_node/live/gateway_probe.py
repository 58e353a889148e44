"""Is an IB API really there? A readiness probe that performs the TWS API handshake, not a TCP connect.

IB Gateway behind a relay (socat in the usual Docker image) accepts TCP connections while the gateway itself
is down, so only an answered handshake (`API\\0` + version range → server version and time) counts.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

CLIENT_VERSION_RANGE = b"v100..200"


class GatewayUnavailable(Exception):
    """No IB API answered at the address; the message says what was seen."""


@dataclass(frozen=True)
class HandshakeReply:
    """What the gateway said in answer to the handshake."""

    server_version: int
    connection_time: str


def handshake_request() -> bytes:
    """The bytes a client sends to open a TWS API session."""
    return b"API\0" + struct.pack(">I", len(CLIENT_VERSION_RANGE)) + CLIENT_VERSION_RANGE


def probe_api(host: str, port: int, timeout: float) -> HandshakeReply:
    """Perform the API handshake at host:port within `timeout` seconds, then hang up."""
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(handshake_request())
            header = _read_exactly(sock, 4, deadline)
            (length,) = struct.unpack(">I", header)
            if not 0 < length < 4096:
                raise GatewayUnavailable(f"answered the handshake with a frame of {length} bytes")
            fields = _read_exactly(sock, length, deadline).split(b"\0")
    except ConnectionRefusedError:
        raise GatewayUnavailable("connection refused (nothing listening)") from None
    except TimeoutError:
        raise GatewayUnavailable(f"no answer to the API handshake within {timeout:.1f} s") from None
    except OSError as exc:
        raise GatewayUnavailable(exc.strerror or str(exc)) from None
    try:
        return HandshakeReply(server_version=int(fields[0]), connection_time=fields[1].decode(errors="replace"))
    except (IndexError, ValueError):
        raise GatewayUnavailable("answered the handshake with something that is not a TWS API reply") from None


def wait_for_api(
    host: str,
    port: int,
    wait_secs: float,
    attempt_timeout: float,
    on_wait: Callable[[float, str], None],
) -> HandshakeReply:
    """Probe until the API answers or `wait_secs` pass; `on_wait(seconds_left, reason)` shows progress."""
    deadline = time.monotonic() + wait_secs
    while True:
        try:
            return probe_api(host, port, min(attempt_timeout, max(deadline - time.monotonic(), 0.1)))
        except GatewayUnavailable as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            on_wait(left, str(exc))
            time.sleep(min(1.0, left))


def _read_exactly(sock: socket.socket, size: int, deadline: float) -> bytes:
    data = b""
    while len(data) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise GatewayUnavailable("closed the connection during the API handshake")
        data += chunk
    return data
