"""Is an IB API really there? A readiness probe that performs the TWS API handshake, not a TCP connect.

IB Gateway behind a relay (socat in the usual Docker image) accepts TCP connections while the gateway itself
is down, so only an answered handshake (`API\\0` + version range → server version and time) counts. The probe
offers the range NautilusTrader's IB client offers, so the answer is the version its session will run; the
answer is a text frame at every version, also from 201 on, where the session's messages get binary ids.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from ibapi.server_versions import MAX_CLIENT_VER, MIN_CLIENT_VER

from nautilus_node.simgateway.codec import ProtocolError, encode_greeting, split_frames

CLIENT_MIN_VERSION = MIN_CLIENT_VER  # 100
CLIENT_MAX_VERSION = MAX_CLIENT_VER  # 223 with NautilusTrader 1.231's ibapi 10.45
MAX_REPLY_BYTES = 4096  # a handshake reply is two short fields; more is not an IB API


class GatewayUnavailable(Exception):
    """No IB API answered at the address; the message says what was seen."""


@dataclass(frozen=True)
class HandshakeReply:
    """What the gateway said in answer to the handshake."""

    server_version: int
    connection_time: str


def handshake_request() -> bytes:
    """The bytes a client sends to open a TWS API session (the codec's greeting for our version range)."""
    return encode_greeting(CLIENT_MIN_VERSION, CLIENT_MAX_VERSION)


def probe_api(host: str, port: int, timeout: float) -> HandshakeReply:
    """Perform the API handshake at host:port within `timeout` seconds, then hang up."""
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(handshake_request())
            fields = _read_reply(sock, deadline)
    except ConnectionRefusedError:
        raise GatewayUnavailable("connection refused (nothing listening)") from None
    except TimeoutError:
        raise GatewayUnavailable(f"no answer to the API handshake within {timeout:.1f} s") from None
    except OSError as exc:
        raise GatewayUnavailable(exc.strerror or str(exc)) from None
    try:
        reply = HandshakeReply(server_version=int(fields[0]), connection_time=fields[1])
    except (IndexError, ValueError):
        raise GatewayUnavailable("answered the handshake with something that is not a TWS API reply") from None
    if not CLIENT_MIN_VERSION <= reply.server_version <= CLIENT_MAX_VERSION:
        raise GatewayUnavailable(
            f"answered with server version {reply.server_version}, outside the offered "
            f"v{CLIENT_MIN_VERSION}..{CLIENT_MAX_VERSION}"
        )
    return reply


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


def _read_reply(sock: socket.socket, deadline: float) -> tuple[str, ...]:
    """The fields of the first frame the gateway sends, read through the codec's framing."""
    data = b""
    while True:
        try:
            frames, data = split_frames(data)
        except ProtocolError:
            raise GatewayUnavailable("answered the handshake with something that is not a TWS API reply") from None
        if frames:
            return frames[0]
        if len(data) >= 4 and (length := int.from_bytes(data[:4], "big")) > MAX_REPLY_BYTES:
            raise GatewayUnavailable(f"answered the handshake with a frame of {length} bytes")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        chunk = sock.recv(MAX_REPLY_BYTES)
        if not chunk:
            raise GatewayUnavailable("closed the connection during the API handshake")
        data += chunk
