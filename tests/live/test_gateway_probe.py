"""The gateway probe speaks the handshake through the codec: a real gateway answers it, anything else does not."""

from __future__ import annotations

import socket
import threading

import pytest

from nautilus_node.live.gateway_probe import GatewayUnavailable, handshake_request, probe_api
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.codec import Handshake, ServerProtocol
from nautilus_node.simgateway.versions import NAUTILUS_VERSION


def test_the_probe_greeting_is_what_the_gateway_codec_reads_as_a_handshake() -> None:
    assert ServerProtocol().receive(handshake_request()) == [Handshake(min_version=100, max_version=223, options="")]


@pytest.mark.parametrize(("served", "answered"), [(226, NAUTILUS_VERSION), (213, 213), (200, 200), (176, 176)])
def test_the_simulated_gateway_answers_the_probe_with_the_version_a_nautilus_session_gets(
    served: int, answered: int
) -> None:
    with SimulatedGateway(host="127.0.0.1", port=0, server_version=served) as gateway:
        reply = probe_api("127.0.0.1", gateway.port, timeout=10)
    assert reply.server_version == answered
    assert reply.connection_time


class OneReplyListener:
    """Accepts one connection, reads the greeting and answers with fixed bytes, then hangs up."""

    def __init__(self, reply: bytes) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._reply = reply
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        connection, _ = self._server.accept()
        with connection:
            connection.recv(4096)
            connection.sendall(self._reply)

    def close(self) -> None:
        self._server.close()
        self._thread.join(timeout=5)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "answered the handshake with a frame of 1213486160 bytes"),
        (b"\x00\x00\x00\x05hello", "not a TWS API reply"),  # a frame whose field is not NUL-terminated
        (b"\x00\x00\x00\x04abc\x00", "not a TWS API reply"),  # a frame, but no version and time
        (b"\x00\x00", "closed the connection during the API handshake"),
        (b"\x00\x00\x00\x1a226\x0020261207 12:00:00 UTC\x00", "server version 226, outside the offered v100..223"),
    ],
)
def test_a_listener_that_is_not_an_ib_api_is_reported_with_what_it_sent(reply: bytes, reason: str) -> None:
    listener = OneReplyListener(reply)
    try:
        with pytest.raises(GatewayUnavailable, match=reason):
            probe_api("127.0.0.1", listener.port, timeout=5)
    finally:
        listener.close()
