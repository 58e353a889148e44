"""Bad bytes on both stacks over a real socket: a malformed protobuf body or text fields (error 320), an
unknown message id (320), a request in the form its version does not send (320), a frame too short for its
binary id or larger than IB's limit (the socket closed), a client vanishing mid-frame; each logged with the
client id, none disturbing the gateway or its other sessions."""

from __future__ import annotations

import logging
import socket
import struct
import time

import pytest

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.codec import MAX_FRAME, encode_binary_id_frame, encode_frame, encode_protobuf_frame

from .ibapp import spy
from .rawclient import RawClient

STACK_VERSIONS = [pytest.param(200, id="text-200"), pytest.param(223, id="protobuf-223")]


@pytest.fixture
def healthy(gateway: SimulatedGateway):
    """Another session, on the protobuf stack, that must keep being served."""
    client = RawClient(gateway.port, 223)
    client.send(lambda c: c.startApi(), client_id=90)
    client.wait_for("nextValidId")
    yield client
    client.close()


def _started(gateway: SimulatedGateway, version: int, client_id: int = 5) -> RawClient:
    client = RawClient(gateway.port, version)
    assert client.version == version
    client.send(lambda c: c.startApi(), client_id=client_id)
    client.wait_for("nextValidId")
    return client


def _still_served(client: RawClient) -> None:
    client.seen.clear()
    client.send(lambda c: c.reqCurrentTime())
    client.wait_for("currentTime")


def _frame(version: int, msg_id: int, *fields: object) -> bytes:
    return (encode_binary_id_frame if version >= 201 else encode_frame)((msg_id, *fields))


@pytest.mark.parametrize("version", STACK_VERSIONS)
def test_malformed_requests_and_unknown_ids_get_320_logged_with_the_client_id(
    gateway: SimulatedGateway, healthy: RawClient, version: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nautilus_node.simgateway")
    client = _started(gateway, version)
    if version >= 201:
        client.send_bytes(encode_protobuf_frame(9, b"\x08\x01\x12\xff\x01"))  # contract data, a bad length
        client.send_bytes(encode_protobuf_frame(777, b"\x08\x01"))  # no such message
        client.send_bytes(_frame(version, 9, 8, 5, 0, "SPY"))  # text where a 223 client sends protobuf
    else:
        client.send_bytes(_frame(version, 9, 8, "notanumber"))
        client.send_bytes(_frame(version, 777, 1))
        client.send_bytes(encode_frame((20, "x")))  # reqHistoricalData cut short
    for cause in ("ContractDataRequest" if version >= 201 else "not an integer", "Unknown message id"):
        client.wait_for("error", lambda a, cause=cause: a[2] == 320 and cause in a[3])
    client.wait_for("error", lambda a: a[2] == 320 and ("Unsupported message format" in a[3] or "'20'" in a[3]))
    _still_served(client)
    _still_served(healthy)
    assert any("client id 5" in r.getMessage() and "malformed" in r.getMessage() for r in caplog.records)
    assert any("client id 5" in r.getMessage() and "unknown message id" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("version", STACK_VERSIONS)
def test_a_frame_larger_than_ibs_limit_closes_only_that_socket(
    gateway: SimulatedGateway, healthy: RawClient, version: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nautilus_node.simgateway")
    client = _started(gateway, version, client_id=6)
    client.send_bytes(struct.pack(">I", MAX_FRAME + 1) + b"\x00\x00\x00\x31")
    assert client.closed_by_gateway()
    client.close()
    _still_served(healthy)
    assert any("client id 6" in r.getMessage() and "outside" in r.getMessage() for r in caplog.records)


def test_a_binary_id_frame_shorter_than_its_id_closes_only_that_socket(
    gateway: SimulatedGateway, healthy: RawClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nautilus_node.simgateway")
    client = _started(gateway, 223, client_id=7)
    client.send_bytes(struct.pack(">I", 2) + b"\x00\x31")
    assert client.closed_by_gateway()
    client.close()
    _still_served(healthy)
    assert any("client id 7" in r.getMessage() and "no 4-byte message id" in r.getMessage() for r in caplog.records)


def _wait_until_held(gateway: SimulatedGateway, client_id: int, timeout: float = 5.0) -> None:
    """Until the gateway's session of `client_id` holds part of a frame (read, not yet whole)."""
    deadline = time.monotonic() + timeout
    while not any(s.client_id == client_id and s.protocol.buffered for s in list(gateway._server.sessions)):
        assert time.monotonic() < deadline, f"the gateway did not read the part frame within {timeout} s"
        time.sleep(0.01)


@pytest.mark.parametrize("version", STACK_VERSIONS)
@pytest.mark.parametrize("goes", ["closes", "resets"])
def test_a_client_vanishing_mid_frame_is_logged_and_the_gateway_serves_on(
    gateway: SimulatedGateway, healthy: RawClient, version: int, goes: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Half a frame, then the client is gone: by a FIN (`closes`) or, with replies unread, by a reset."""
    caplog.set_level(logging.INFO, logger="nautilus_node.simgateway")
    client = _started(gateway, version, client_id=8)
    whole = encode_protobuf_frame(9, b"\x08\x05") if version >= 201 else _frame(version, 9, 8, 5)
    client.send_bytes(whole[:-1])
    _wait_until_held(gateway, client_id=8)  # a reset drops bytes the gateway has not read yet
    if goes == "closes":
        client.sock.shutdown(socket.SHUT_WR)
    else:
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()
    deadline = time.monotonic() + 5
    while not any("client id 8" in r.getMessage() and "vanished mid-message" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the half frame was not logged within 5 s"
        time.sleep(0.05)
    healthy.seen.clear()
    healthy.send(lambda c: c.reqContractDetails(3, spy()))
    healthy.wait_for("contractDetailsEnd")
