"""Each fault as a client sees it, and robustness against bad input on the socket."""

from __future__ import annotations

import socket
import struct
import time
from decimal import Decimal

import pytest
from ibapi.order import Order

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.codec import encode_frame, encode_greeting, split_frames
from nautilus_node.simgateway.control import send_control

from .ibapp import IBApp, eurusd, spy


def _raw_client(port: int) -> socket.socket:
    """A client on the text stack (it offers up to 200); test_gateway_bad_bytes.py covers both stacks."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(encode_greeting(100, 200))
    _read_frames(sock, 1)
    return sock


def _read_frames(sock: socket.socket, count: int, timeout: float = 5.0) -> list[tuple[str, ...]]:
    data, frames = b"", []
    deadline = time.monotonic() + timeout
    while len(frames) < count and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        frames, _ = split_frames(data)
    return frames


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


def test_drop_connections_closes_clients_and_state_survives_reconnect(gateway: SimulatedGateway, ib) -> None:
    o = Order()
    o.action, o.totalQuantity, o.orderType = "BUY", Decimal(10), "MKT"
    ib.client.placeOrder(ib.of("nextValidId")[0][0], spy(), o)
    ib.wait_for("execDetails")
    gateway.faults.drop_connections()
    ib.wait_for("connectionClosed")
    again = IBApp().connect(gateway.port, 1)
    again.client.reqPositions()
    again.wait_for("positionEnd")
    assert [a[2] for a in again.of("position")] == [Decimal(10)]
    again.disconnect()


def test_restart_refuses_connections_then_accepts_with_state_kept(gateway: SimulatedGateway, ib) -> None:
    o = Order()
    o.action, o.totalQuantity, o.orderType, o.lmtPrice, o.tif = "BUY", Decimal(5), "LMT", 1.0, "GTC"
    oid = ib.of("nextValidId")[0][0]
    ib.client.placeOrder(oid, spy(), o)
    ib.wait_for("orderStatus", lambda a: a[1] == "Submitted")
    gateway.faults.restart(refuse_for=1.5)
    ib.wait_for("connectionClosed")
    time.sleep(0.2)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", gateway.port), timeout=2)
    time.sleep(1.8)
    again = IBApp().connect(gateway.port, 1)
    again.client.reqOpenOrders()
    again.wait_for("openOrderEnd")
    assert [a[0] for a in again.of("openOrder")] == [oid]
    again.disconnect()


def test_connectivity_lost_stops_data_and_restored_data_kept_resumes(gateway: SimulatedGateway, ib) -> None:
    ib.client.reqMktData(1, eurusd(), "", False, False, [])
    ib.wait_for("tickPrice", count=4)
    gateway.faults.connectivity_lost()
    ib.wait_error(1100)
    time.sleep(0.3)
    seen = len(ib.of("tickPrice"))
    time.sleep(0.8)
    assert len(ib.of("tickPrice")) == seen
    gateway.faults.connectivity_restored(data_kept=True)
    ib.wait_error(1102)
    ib.wait_for("tickPrice", count=seen + 4)


def test_restored_with_data_lost_sends_1101_and_drops_subscriptions(gateway: SimulatedGateway, ib) -> None:
    ib.client.reqMktData(1, eurusd(), "", False, False, [])
    ib.wait_for("tickPrice", count=2)
    gateway.faults.connectivity_lost()
    gateway.faults.connectivity_restored(data_kept=False)
    ib.wait_error(1101)
    seen = len(ib.of("tickPrice"))
    time.sleep(0.8)
    assert len(ib.of("tickPrice")) == seen


def test_farm_blips_are_broadcast_and_market_farm_break_pauses_quotes(gateway: SimulatedGateway, ib) -> None:
    ib.client.reqMktData(1, eurusd(), "", False, False, [])
    ib.wait_for("tickPrice", count=2)
    gateway.faults.farm_status(2103)
    ib.wait_error(2103)
    time.sleep(0.3)
    seen = len(ib.of("tickPrice"))
    time.sleep(0.6)
    assert len(ib.of("tickPrice")) == seen
    gateway.faults.farm_status(2104)
    gateway.faults.farm_status(2105)
    ib.client.reqHistoricalData(2, eurusd(), "", "1 D", "1 hour", "MIDPOINT", 0, 2, False, [])
    ib.wait_error(162, req_id=2)
    gateway.faults.farm_status(2106)
    ib.wait_error(2106)
    ib.wait_for("tickPrice", count=seen + 2)
    with pytest.raises(ValueError):
        gateway.faults.farm_status(2110)


def test_stalled_feed_goes_quiet_while_others_tick(gateway: SimulatedGateway, ib) -> None:
    ib.client.reqMktData(1, eurusd(), "", False, False, [])
    ib.client.reqMktData(2, spy(), "", False, False, [])
    ib.wait_for("tickPrice", lambda a: a[0] == 1, count=2)
    gateway.faults.stall_feed("EUR.USD")
    time.sleep(0.3)
    eur = len([a for a in ib.of("tickPrice") if a[0] == 1])
    spy_before = len([a for a in ib.of("tickPrice") if a[0] == 2])
    time.sleep(0.8)
    assert len([a for a in ib.of("tickPrice") if a[0] == 1]) == eur
    assert len([a for a in ib.of("tickPrice") if a[0] == 2]) > spy_before
    gateway.faults.resume_feed("EUR.USD")
    ib.wait_for("tickPrice", lambda a: a[0] == 1, count=eur + 2)


def test_delayed_responses_arrive_late(gateway: SimulatedGateway, ib) -> None:
    gateway.faults.delay_responses(0.6)
    started = time.monotonic()
    ib.client.reqCurrentTime()
    ib.wait_for("currentTime")
    assert time.monotonic() - started >= 0.5
    gateway.faults.delay_responses(0)


def test_control_command_applies_faults_and_rejects_bad_input() -> None:
    with SimulatedGateway(port=0, control_port=0) as gw:
        app = IBApp().connect(gw.port, 3)
        assert send_control(gw.control_port, "farm_status", ["2105"]) == {"ok": True}
        app.wait_error(2105)
        assert send_control(gw.control_port, "reject-next-order", ["no margin"]) == {"ok": True}
        assert gw.faults.take_order_rejection() == "no margin"
        bad = send_control(gw.control_port, "explode", [])
        assert bad["ok"] is False and "unknown action" in bad["error"]
        assert send_control(gw.control_port, "delay_responses", ["soon"])["ok"] is False
        app.disconnect()


def test_garbage_handshake_closes_only_that_client(gateway: SimulatedGateway, ib) -> None:
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
        assert _closed(sock)
    ib.client.reqCurrentTime()
    ib.wait_for("currentTime")


def test_absurd_length_closes_only_that_client(gateway: SimulatedGateway, ib) -> None:
    sock = _raw_client(gateway.port)
    sock.sendall(struct.pack(">I", 0x7FFFFFFF) + b"71\0")
    assert _closed(sock)
    sock.close()
    ib.client.reqCurrentTime()
    ib.wait_for("currentTime")


def test_malformed_fields_and_unknown_id_get_errors_and_connection_lives(gateway: SimulatedGateway) -> None:
    sock = _raw_client(gateway.port)
    sock.sendall(encode_frame((71, 2, 5, "")))
    _read_frames(sock, 5)
    sock.sendall(encode_frame((9, 8, "notanumber")))
    sock.sendall(encode_frame((777, 1)))
    sock.sendall(encode_frame((49, 1)))
    frames = _read_frames(sock, 3)
    assert [f[0] for f in frames] == ["4", "4", "49"]
    assert frames[0][2] == "320" and frames[1][2] == "320" and "Unknown message id" in frames[1][3]
    sock.close()


def test_client_vanishing_mid_message_leaves_server_serving(gateway: SimulatedGateway, ib) -> None:
    sock = _raw_client(gateway.port)
    frame = encode_frame((71, 2, 9, ""))
    sock.sendall(frame[:5])
    sock.close()
    time.sleep(0.2)
    ib.client.reqCurrentTime()
    ib.wait_for("currentTime")
    assert gateway.connected_clients == 1


def test_external_fill_moves_the_position_for_subscribers_with_no_order_report_to_them() -> None:
    with SimulatedGateway(port=0, control_port=0) as gw:
        app = IBApp().connect(gw.port, 3)
        app.client.reqPositions()
        app.wait_for("positionEnd")
        assert send_control(gw.control_port, "external-fill", ["EUR.USD", "-2500"]) == {"ok": True}
        [(_, contract, quantity, _)] = app.wait_for("position", lambda a: a[2] != 0)
        assert (contract.localSymbol, quantity) == ("EUR.USD", Decimal(-2500))
        assert app.of("orderStatus") == [] and app.of("execDetails") == []  # another client's order
        assert [p.quantity for p in gw.broker.positions()] == [Decimal(-2500)]
        bad = send_control(gw.control_port, "external-fill", ["EUR.USD", "lots"])
        assert bad["ok"] is False and "quantity must be a number" in bad["error"]
        assert send_control(gw.control_port, "external-fill", ["NOPE", "1"])["ok"] is False
        app.disconnect()
