"""Server-version negotiation: the gateway speaks each client's version (157..226) on every message; the text
layouts of 157..200 are checked field by field here, the protobuf forms in test_gateway_protobuf.py.

Three layers:
- sans-IO: every version-dependent message the gateway encodes is decoded by IB's own ``ibapi`` Decoder
  at every server version 157..200, which must consume exactly its fields and yield the right values;
  the requests IB's own ``EClient`` writes at every version parse to the same values.
- real sockets: IB's official ``EClient`` with its announced range narrowed to several maxima (text ones, and
  protobuf ones from 201 to 223, where text and protobuf messages mix group by group) drives
  contract details, quotes, a filled order, positions, account summary, historical bars and an error.
  The narrowing patches ``ibapi.client.MAX_CLIENT_VER`` (the upper bound EClient.connect puts in its
  ``v%d..%d`` greeting) in these tests only, through pytest's monkeypatch.
- refusal: a range that ends below 157 is refused cleanly while other clients keep being served.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from decimal import Decimal

import ibapi.client
import pytest
from ibapi import comm
from ibapi.client import EClient
from ibapi.common import UNSET_DECIMAL
from ibapi.contract import Contract
from ibapi.decoder import Decoder
from ibapi.execution import ExecutionFilter
from ibapi.order import Order as IbOrder
from ibapi.order_cancel import OrderCancel
from ibapi.wrapper import EWrapper

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import place_order as po
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.bars import Bar
from nautilus_node.simgateway.broker import Broker, Fill, OrderRequest
from nautilus_node.simgateway.codec import Handshake, encode_frame, encode_greeting, negotiate_version, split_frames
from nautilus_node.simgateway.contracts import Universe, build_universe
from nautilus_node.simgateway.market import Quote
from nautilus_node.simgateway.versions import MIN_VERSION, TEXT_MAX_VERSION, Feature, wire

from .ibapp import IBApp, RecordingWrapper, es_front, spy

ALL_VERSIONS = range(MIN_VERSION, TEXT_MAX_VERSION + 1)
CLIENT_MAXIMA = [157, 163, 176, 178, 187, 200, 201, 203, 205, 207, 208, 212, 213, 223]  # text, then protobuf
UNIVERSE = Universe(build_universe())
SPY = next(s for s in UNIVERSE if s.symbol == "SPY")
ES = next(s for s in UNIVERSE if s.sec_type == "FUT")


# --- sans-IO: what the gateway writes, read by ibapi's Decoder at each version ------------------------------
def decoded(version: int, fields: m.Fields) -> list[tuple[str, tuple]]:
    """Encode ``fields`` as the gateway does and decode them as an ibapi client at ``version`` does.

    Asserts the decoder consumed every field (a leftover or missing field means a wrong layout)."""
    _, text, rest = comm.read_msg(encode_frame(fields))
    assert rest == b""
    msg_id, *raw = comm.read_fields(text)
    msg_id = int(msg_id)
    wrapper = RecordingWrapper()
    wrapper.calls, wrapper.cond = [], threading.Condition()
    decoder = Decoder(wrapper, version)
    info = decoder.msgId2handleInfo[msg_id]
    if info.processMeth is not None:
        it = iter(raw)
        info.processMeth(decoder, it)
        assert next(it, None) is None, f"message {msg_id} has fields left over at version {version}"
    else:
        decoder.interpret(raw, msg_id)
    assert wrapper.calls, f"message {msg_id} was dropped by the decoder at version {version}"
    return wrapper.calls


def _filled_order():
    broker = Broker("DU1234567")
    request = OrderRequest(
        order_id=11, client_id=1, spec=SPY, action="BUY", quantity=Decimal(100), order_type="MKT", order_ref="probe:11"
    )
    fill = next(e for e in broker.place(request, Quote(99.99, 100.01, 10, 10, 0.0), 0.0) if isinstance(e, Fill))
    return fill.order, fill.execution


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_contract_details_decode_with_the_fields_of_each_version(version: int) -> None:
    v = wire(version)
    [(name, (req_id, details))] = decoded(version, m.contract_data(3, ES, "CME", v))
    assert (name, req_id, details.contract.conId, details.contract.symbol) == ("contractDetails", 3, ES.con_id, "ES")
    assert (details.minTick, details.contract.multiplier, details.contract.primaryExchange) == (
        ES.min_tick,
        ES.multiplier,
        ES.primary_exchange,
    )
    assert details.contract.lastTradeDateOrContractMonth == ES.last_trade_date
    assert details.contract.lastTradeDate == (ES.last_trade_date if v.has(Feature.LAST_TRADE_DATE) else "")
    assert [(t.tag, t.value) for t in details.secIdList or []] == list(ES.sec_ids.items())
    assert (details.timeZoneId, details.liquidHours, details.marketRuleIds) == (
        ES.time_zone_id,
        ES.liquid_hours,
        ES.market_rule_ids,
    )
    expected_sizes = (ES.min_size, ES.size_increment) if v.has(Feature.SIZE_RULES) else (UNSET_DECIMAL,) * 2
    assert (details.minSize, details.sizeIncrement) == expected_sizes


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_error_decodes_with_time_and_reject_json_only_where_the_version_has_them(version: int) -> None:
    v = wire(version)
    [(name, args)] = decoded(version, m.error(9, 201, "Order rejected - reason:x", 1_700_000_000_123, '{"a":1}', v))
    time_ms = 1_700_000_000_123 if v.has(Feature.ERROR_TIME) else 0
    json = '{"a":1}' if v.has(Feature.ADVANCED_ORDER_REJECT) else ""
    assert (name, args) == ("error", (9, time_ms, 201, "Order rejected - reason:x", json))


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_order_messages_of_a_fill_decode_at_each_version(version: int) -> None:
    v = wire(version)
    order, ex = _filled_order()
    [(_, (order_id, contract, ib_order, state))] = decoded(version, m.open_order(order, "DU1234567", v))
    assert (order_id, contract.conId, ib_order.totalQuantity, ib_order.orderRef, ib_order.account) == (
        11,
        SPY.con_id,
        Decimal(100),
        "probe:11",
        "DU1234567",
    )
    assert ib_order.permId == order.perm_id and state.status == "Filled"
    [(_, status)] = decoded(version, m.order_status(order))
    assert status[:5] == (11, "Filled", Decimal(100), Decimal(0), ex.price)
    [(_, (req_id, contract, execution))] = decoded(version, m.exec_details(-1, ex, v))
    assert (req_id, contract.conId, execution.execId, execution.side, execution.shares, execution.price) == (
        -1,
        SPY.con_id,
        ex.exec_id,
        "BOT",
        Decimal(100),
        ex.price,
    )
    assert execution.orderRef == "probe:11" and execution.lastLiquidity == 2
    [(_, (report,))] = decoded(version, m.commission_report(ex))
    assert (report.execId, report.commissionAndFees, report.currency) == (ex.exec_id, ex.commission, "USD")


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_historical_bars_end_inside_the_data_before_196_and_in_their_own_message_after(version: int) -> None:
    v = wire(version)
    bars = [Bar(1_700_000_040 + 60 * i, 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i, 10 * i, 1.25 + i, i) for i in range(3)]
    messages = m.historical_data(4, bars, 60, 2, "20231114 22:13:00 UTC", "20231114 22:16:00 UTC", v)
    assert len(messages) == (2 if v.has(Feature.HISTORICAL_DATA_END) else 1)
    calls = [call for message in messages for call in decoded(version, message)]
    assert [(n, a[0], a[1].date, a[1].close, a[1].volume) for n, a in calls[:3]] == [
        ("historicalData", 4, str(b.start), b.close, Decimal(b.volume)) for b in bars
    ]
    assert calls[3:] == [("historicalDataEnd", (4, "20231114 22:13:00 UTC", "20231114 22:16:00 UTC"))]


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_messages_without_version_dependent_fields_decode_at_each_version(version: int) -> None:
    checks = [
        (m.tick_price(1, m.BID, 1.0805, 1_000_000, 1), ("tickPrice", 1, m.BID, 1.0805)),
        (m.tick_size(1, m.ASK_SIZE, Decimal(900_000)), ("tickSize", 1, m.ASK_SIZE, Decimal(900_000))),
        (
            m.account_summary(5, "DU1", "NetLiquidation", "1000000.00", "USD"),
            ("accountSummary", 5, "DU1", "NetLiquidation", "1000000.00"),
        ),
        (m.pnl(6, 1.5, 2.5, -1.0), ("pnl", 6, 1.5, 2.5, -1.0)),
        (m.tick_by_tick_bid_ask(7, 1_700_000_000, 1.08, 1.0801, 5, 6), ("tickByTickBidAsk", 7, 1_700_000_000, 1.08)),
        (m.realtime_bar(8, Bar(1_700_000_000, 1.0, 1.2, 0.9, 1.1)), ("realtimeBar", 8, 1_700_000_000, 1.0)),
        (m.historical_data_update(9, Bar(1_700_000_000, 1.0, 1.2, 0.9, 1.1, 5), 60, 2), ("historicalDataUpdate", 9)),
    ]
    for fields, (name, *head) in checks:
        first_name, args = decoded(version, fields)[0]
        assert (first_name, *args[: len(head)]) == (name, *head)
    [(_, (account, contract, qty, avg_cost))] = decoded(version, m.position("DU1", _broker_position()))
    assert (account, contract.conId, qty, avg_cost) == ("DU1", SPY.con_id, Decimal(100), 100.01)


def _broker_position():
    broker = Broker("DU1")
    request = OrderRequest(order_id=1, client_id=1, spec=SPY, action="BUY", quantity=Decimal(100), order_type="MKT")
    broker.place(request, Quote(99.99, 100.01, 10, 10, 0.0), 0.0)
    return broker.position(SPY.con_id)


# --- sans-IO: what IB's EClient writes at each version, read by the gateway ---------------------------------
class SentBytes:
    """Stands in for EClient's socket connection and keeps what it writes, so requests can be built at any
    server version without a peer (the real-socket tests below cover the same requests end to end)."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def isConnected(self) -> bool:
        return True

    def sendMsg(self, msg: bytes) -> None:
        self.frames.append(msg)


def client_requests(version: int, send) -> list[tuple[int, tuple[str, ...]]]:
    client = EClient(EWrapper())
    sent = SentBytes()
    client.conn, client.serverVersion_ = sent, version
    client.setConnState(EClient.CONNECTED)
    send(client)
    frames, rest = split_frames(b"".join(sent.frames))
    assert rest == b""
    return [(int(f[0]), f[1:]) for f in frames]


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_requests_from_the_official_client_parse_the_same_at_each_version(version: int) -> None:
    order = IbOrder()
    order.action, order.totalQuantity, order.orderType, order.tif = "SELL", Decimal(7), "LMT", "GTC"
    order.lmtPrice = 580.5
    order.orderRef, order.outsideRth = "ref:42", True

    def send(client: EClient) -> None:
        client.placeOrder(42, spy(), order)
        client.cancelOrder(42, OrderCancel())
        client.reqMktData(5, spy(), "", False, False, [])
        client.reqHistoricalData(6, spy(), "", "1800 S", "1 min", "TRADES", 1, 2, True, [])
        client.reqContractDetails(7, spy())
        client.reqExecutions(8, ExecutionFilter())
        client.reqGlobalCancel(OrderCancel())

    place, cancel, mkt, hist, details, execs, global_cancel = client_requests(version, send)
    placed = po.parse_place_order(place[1], wire(version))
    assert (placed.order_id, placed.action, placed.quantity, placed.order_type, placed.lmt_price, placed.tif) == (
        42,
        "SELL",
        Decimal(7),
        "LMT",
        580.5,
        "GTC",
    )
    assert placed.order_ref == "ref:42" and placed.outside_rth and placed.contract.primary_exchange == "ARCA"
    assert rq.parse_cancel_order(cancel[1], wire(version)) == 42
    assert (rq.parse_market_data(mkt[1]).req_id, rq.parse_market_data(mkt[1]).contract.symbol) == (5, "SPY")
    history = rq.parse_historical_data(hist[1])
    assert (history.req_id, history.bar_size, history.duration, history.use_rth, history.keep_up_to_date) == (
        6,
        "1 min",
        "1800 S",
        True,
        True,
    )
    assert rq.parse_contract_details(details[1]).req_id == 7
    assert rq.parse_executions(execs[1]).req_id == 8
    assert global_cancel[0] == m.In.REQ_GLOBAL_CANCEL


def test_negotiation_picks_the_highest_common_version_down_to_157() -> None:
    def negotiate(low: int, high: int) -> int | None:
        return negotiate_version(Handshake(low, high, ""), MIN_VERSION, TEXT_MAX_VERSION)

    assert [negotiate(100, 223), negotiate(157, 178), negotiate(100, 157)] == [200, 178, 157]
    assert negotiate(100, 156) is None and negotiate(201, 223) is None


# --- real sockets: the official client with a narrowed range -------------------------------------------------
def _connect_at(
    monkeypatch: pytest.MonkeyPatch, gateway: SimulatedGateway, max_version: int, client_id: int = 1
) -> IBApp:
    monkeypatch.setattr(ibapi.client, "MAX_CLIENT_VER", max_version)
    return IBApp().connect(gateway.port, client_id)


@pytest.mark.parametrize("max_version", CLIENT_MAXIMA)
def test_official_client_at_each_version_trades_and_reads_everything(
    monkeypatch: pytest.MonkeyPatch, gateway: SimulatedGateway, max_version: int
) -> None:
    v = wire(max_version)
    ib = _connect_at(monkeypatch, gateway, max_version)
    try:
        assert ib.client.serverVersion() == max_version
        ib.client.reqContractDetails(1, spy())
        ib.client.reqContractDetails(2, es_front(gateway))
        ib.wait_for("contractDetailsEnd", lambda a: a[0] == 2)
        details = {a[0]: a[1] for a in ib.of("contractDetails")}
        assert (details[1].contract.conId, details[1].minTick, details[1].contract.primaryExchange) == (
            756733,
            0.01,
            "ARCA",
        )
        assert [(t.tag, t.value) for t in details[1].secIdList] == [("ISIN", "US78462F1030")]
        assert details[1].minSize == (Decimal(1) if v.has(Feature.SIZE_RULES) else UNSET_DECIMAL)
        fut = es_front(gateway).lastTradeDateOrContractMonth
        assert details[2].contract.lastTradeDate == (fut if v.has(Feature.LAST_TRADE_DATE) else "")

        ib.client.reqMktData(3, spy(), "", False, False, [])
        bid = ib.wait_for("tickPrice", lambda a: a[0] == 3 and a[1] == 1)[0][2]
        ask = ib.wait_for("tickPrice", lambda a: a[0] == 3 and a[1] == 2)[0][2]
        assert 0 < bid < ask
        assert ib.wait_for("tickSize", lambda a: a[0] == 3 and a[1] == 0)[0][2] > 0

        ib.client.reqAccountSummary(4, "All", "NetLiquidation,TotalCashValue")
        ib.wait_for("accountSummaryEnd", lambda a: a[0] == 4)
        assert {a[2]: a[3] for a in ib.of("accountSummary")}["NetLiquidation"] == "1000000.00"

        order_id = ib.of("nextValidId")[-1][0]
        order = IbOrder()
        order.action, order.totalQuantity, order.orderType, order.orderRef = "BUY", Decimal(100), "MKT", "v:1"
        ib.client.placeOrder(order_id, spy(), order)
        ex = ib.wait_for("execDetails", lambda a: a[2].orderId == order_id)[0][2]
        report = ib.wait_for("commissionAndFeesReport", lambda a: a[0].execId == ex.execId)[0][0]
        status = ib.wait_for("orderStatus", lambda a: a[0] == order_id and a[1] == "Filled")[0]
        opened = ib.wait_for("openOrder", lambda a: a[0] == order_id)[0][2]
        fill = gateway.broker.executions()[0]
        assert (ex.side, ex.shares, ex.price, ex.orderRef, ex.acctNumber) == (
            "BOT",
            Decimal(100),
            fill.price,
            "v:1",
            "DU1234567",
        )
        assert (report.commissionAndFees, status[2], status[4]) == (1.0, Decimal(100), fill.price)
        assert (opened.orderRef, opened.account, opened.totalQuantity, opened.permId > 0) == (
            "v:1",
            "DU1234567",
            Decimal(100),
            True,
        )

        resting = IbOrder()
        resting.action, resting.totalQuantity, resting.orderType, resting.tif = "BUY", Decimal(5), "LMT", "GTC"
        resting.lmtPrice = round(bid - 5, 2)
        ib.client.placeOrder(order_id + 1, spy(), resting)
        ib.wait_for("orderStatus", lambda a: a[0] == order_id + 1 and a[1] == "Submitted")
        ib.client.cancelOrder(order_id + 1, OrderCancel())
        ib.wait_for("orderStatus", lambda a: a[0] == order_id + 1 and a[1] == "Cancelled")

        ib.client.reqPositions()
        ib.wait_for("positionEnd")
        [(account, contract, qty, avg_cost)] = ib.of("position")
        assert (account, contract.conId, qty) == ("DU1234567", 756733, Decimal(100)) and avg_cost > 0

        ib.client.reqHistoricalData(5, spy(), "", "1800 S", "1 min", "TRADES", 0, 2, False, [])
        ib.wait_for("historicalDataEnd", lambda a: a[0] == 5)
        minutes = [a[1] for a in ib.of("historicalData") if a[0] == 5]
        assert 25 <= len(minutes) <= 31 and all(int(b.date) % 60 == 0 and b.low <= b.high for b in minutes)
        [(_, start, end)] = ib.of("historicalDataEnd")
        assert start.endswith(" UTC") and end.endswith(" UTC") and start < end

        unknown = Contract()
        unknown.symbol, unknown.secType, unknown.exchange, unknown.currency = "NOPE", "STK", "SMART", "USD"
        ib.client.reqContractDetails(6, unknown)
        _, error_time, _, text, _ = ib.wait_error(200, req_id=6)
        assert text.startswith("No security definition")
        if v.has(Feature.ERROR_TIME):
            assert abs(error_time / 1000 - time.time()) < 60
        else:
            assert error_time == 0
    finally:
        ib.disconnect()


def _raw_session(port: int, low: int, high: int, client_id: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(encode_greeting(low, high) + encode_frame((m.In.START_API, 2, client_id, "")))
    return sock


def _read_until(sock: socket.socket, wanted: int) -> list[tuple[str, ...]]:
    data, frames = b"", []
    while not any(f[0] == str(wanted) for f in frames):
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before message {wanted}"
        data += chunk
        more, data = split_frames(data)
        frames += more
    return frames


def test_current_time_in_millis_is_served_from_197_and_unsupported_before(gateway: SimulatedGateway) -> None:
    with _raw_session(gateway.port, 100, 187, 8) as old, _raw_session(gateway.port, 100, 200, 9) as new:
        for sock in (old, new):
            _read_until(sock, m.Out.NEXT_VALID_ID)
            sock.sendall(encode_frame((m.In.REQ_CURRENT_TIME_IN_MILLIS,)) + encode_frame((m.In.REQ_CURRENT_TIME, 1)))
        refused = [f for f in _read_until(old, m.Out.CURRENT_TIME) if f[0] == "4" and f[3] == "321"]
        millis = [f for f in _read_until(new, m.Out.CURRENT_TIME_IN_MILLIS) if f[0] == "109"]
    assert refused and refused[0][1:3] == ("2", "-1") and "not supported" in refused[0][4]
    assert abs(int(millis[0][1]) / 1000 - time.time()) < 60


# --- refusal ---------------------------------------------------------------------------------------------------
def test_range_below_157_is_refused_while_other_clients_keep_being_served(
    monkeypatch: pytest.MonkeyPatch, gateway: SimulatedGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="nautilus_node.simgateway.session")
    served = _connect_at(monkeypatch, gateway, 178, client_id=1)
    refused = IBApp()
    try:
        monkeypatch.setattr(ibapi.client, "MAX_CLIENT_VER", 156)
        refused.connect(gateway.port, 2, wait=False)
        assert not refused.client.isConnected() and refused.client.serverVersion() is None
        assert any(
            "offers server versions v100..156" in r.getMessage() and "serves v157..226" in r.getMessage()
            for r in caplog.records
        )
        served.client.reqCurrentTime()
        assert abs(served.wait_for("currentTime")[0][0] - time.time()) < 60
        monkeypatch.setattr(ibapi.client, "MAX_CLIENT_VER", 200)
        later = IBApp().connect(gateway.port, 3)
        assert later.client.serverVersion() == 200
        later.disconnect()
    finally:
        refused.disconnect()
        served.disconnect()


@pytest.mark.parametrize("gateway", [200], indirect=True)
def test_range_starting_above_200_is_refused_by_a_text_only_gateway_without_a_reply(gateway: SimulatedGateway) -> None:
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
        sock.sendall(encode_greeting(201, 223))
        assert sock.recv(4096) == b""
