"""Conformance: IB's official ``ibapi`` EClient/EWrapper drives every flow against the simulated gateway, on
each stack: gateways serving up to 176 and 200 (text) and 223 (protobuf, the highest this ibapi offers)."""

from __future__ import annotations

import itertools
import socket
import time
from decimal import Decimal

import pytest
from ibapi.contract import Contract
from ibapi.execution import ExecutionFilter
from ibapi.order import Order
from ibapi.order_cancel import OrderCancel

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.codec import encode_greeting, split_frames

from .conftest import STACKS
from .ibapp import es_front, eurusd, spy

pytestmark = pytest.mark.parametrize("gateway", STACKS, indirect=True)


def _order(
    action: str,
    qty: float,
    order_type: str = "MKT",
    lmt: float | None = None,
    aux: float | None = None,
    tif: str = "DAY",
) -> Order:
    o = Order()
    o.action, o.totalQuantity, o.orderType, o.tif = action, Decimal(str(qty)), order_type, tif
    if lmt is not None:
        o.lmtPrice = lmt
    if aux is not None:
        o.auxPrice = aux
    return o


def _quote(ib, contract: Contract, req_id: int) -> tuple[float, float]:
    ib.client.reqMktData(req_id, contract, "", False, False, [])
    bid = ib.wait_for("tickPrice", lambda a: a[0] == req_id and a[1] == 1)[-1][2]
    ask = ib.wait_for("tickPrice", lambda a: a[0] == req_id and a[1] == 2)[-1][2]
    return bid, ask


def test_handshake_answers_the_highest_common_version_and_a_connection_time(gateway: SimulatedGateway) -> None:
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
        sock.sendall(encode_greeting(100, 223))
        data = b""
        while not split_frames(data)[0]:
            data += sock.recv(4096)
    frames, rest = split_frames(data)
    assert rest == b"" and len(frames) == 1
    version, conn_time = frames[0]
    assert int(version) == min(gateway.server_version, 223) and conn_time.endswith("UTC")


def test_client_whose_versions_end_below_157_is_refused(gateway: SimulatedGateway) -> None:
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as sock:
        sock.sendall(encode_greeting(100, 156))
        assert sock.recv(4096) == b""


def test_start_api_sends_managed_accounts_and_next_valid_id(ib) -> None:
    assert ib.of("managedAccounts") == [("DU1234567",)]
    assert ib.of("nextValidId")[0][0] >= 1
    ib.wait_error(2158)
    assert {e[2] for e in ib.errors()} >= {2104, 2106, 2158}


def test_contract_details_for_stock_fx_and_future_are_realistic(gateway, ib) -> None:
    ib.client.reqContractDetails(1, spy())
    ib.client.reqContractDetails(2, eurusd())
    ib.client.reqContractDetails(3, es_front(gateway))
    for req_id in (1, 2, 3):
        ib.wait_for("contractDetailsEnd", lambda a, r=req_id: a[0] == r)
    details = {a[0]: a[1] for a in ib.of("contractDetails")}
    stk, fx, fut = details[1], details[2], details[3]
    assert (stk.contract.conId, stk.minTick, stk.contract.primaryExchange) == (756733, 0.01, "ARCA")
    assert [(t.tag, t.value) for t in stk.secIdList] == [("ISIN", "US78462F1030")]
    assert stk.timeZoneId == "US/Eastern" and ":0930-" in stk.liquidHours
    assert (fx.contract.localSymbol, fx.minTick, fx.contract.exchange) == ("EUR.USD", 0.00005, "IDEALPRO")
    assert fut.contract.multiplier == "50" and fut.minTick == 0.25 and fut.contract.localSymbol.startswith("ES")
    assert fut.contract.lastTradeDateOrContractMonth == es_front(gateway).lastTradeDateOrContractMonth


def test_unknown_contract_gets_error_200(ib) -> None:
    c = Contract()
    c.symbol, c.secType, c.exchange, c.currency = "NOPE", "STK", "SMART", "USD"
    ib.client.reqContractDetails(9, c)
    assert "No security definition" in ib.wait_error(200, req_id=9)[3]


def test_market_data_streams_bid_below_ask_on_tick_size(ib) -> None:
    ib.client.reqMktData(4, eurusd(), "", False, False, [])
    prices = ib.wait_for("tickPrice", lambda a: a[0] == 4, count=20, timeout=15)
    bids = [p[2] for p in prices if p[1] == 1]
    asks = [p[2] for p in prices if p[1] == 2]
    assert len(bids) >= 5 and all(b < a for b, a in zip(bids, asks, strict=False))
    assert all(round(p / 0.00005) * 0.00005 == p or abs(round(p / 0.00005) * 0.00005 - p) < 1e-9 for p in bids)
    sizes = ib.wait_for("tickSize", lambda a: a[0] == 4 and a[1] in (0, 3), count=4)
    assert all(s[2] > 0 for s in sizes)


def test_cancel_market_data_stops_ticks_and_unknown_cancel_gets_error_300(ib) -> None:
    ib.client.reqMktData(5, spy(), "", False, False, [])
    ib.wait_for("tickPrice", lambda a: a[0] == 5, count=4)
    ib.client.cancelMktData(5)
    time.sleep(0.5)
    seen = len(ib.of("tickPrice"))
    time.sleep(1.0)
    assert len(ib.of("tickPrice")) == seen
    ib.client.cancelMktData(5)
    ib.wait_error(300, req_id=5)


def test_tick_by_tick_bid_ask_and_all_last(ib) -> None:
    ib.client.reqTickByTickData(6, spy(), "BidAsk", 0, False)
    ib.client.reqTickByTickData(7, spy(), "AllLast", 0, False)
    ticks = ib.wait_for("tickByTickBidAsk", lambda a: a[0] == 6, count=3)
    assert all(t[2] < t[3] for t in ticks)
    last = ib.wait_for("tickByTickAllLast", lambda a: a[0] == 7)[0]
    assert last[1] == 2 and last[3] > 0 and last[6] == "ARCA"


def test_five_second_real_time_bars_arrive_aligned(ib) -> None:
    ib.client.reqRealTimeBars(8, eurusd(), 5, "MIDPOINT", False, [])
    bar = ib.wait_for("realtimeBar", lambda a: a[0] == 8, timeout=15)[0]
    _, start, open_, high, low, close, volume, *_ = bar
    assert start % 5 == 0 and low <= min(open_, close) <= max(open_, close) <= high and volume == -1


def test_historical_bars_in_several_sizes_and_kinds(gateway, ib) -> None:
    cases = [
        (10, "1 min", "1800 S", "TRADES", spy()),
        (11, "5 mins", "1 D", "MIDPOINT", eurusd()),
        (12, "1 hour", "2 D", "BID_ASK", eurusd()),
        (13, "1 day", "1 M", "TRADES", es_front(gateway)),
    ]
    for req_id, size, duration, what, contract in cases:
        ib.client.reqHistoricalData(req_id, contract, "", duration, size, what, 0, 2, False, [])
    for req_id, *_ in cases:
        ib.wait_for("historicalDataEnd", lambda a, r=req_id: a[0] == r)
    minute = [a[1] for a in ib.of("historicalData") if a[0] == 10]
    assert 25 <= len(minute) <= 31
    starts = [int(b.date) for b in minute]
    assert all(b - a == 60 for a, b in itertools.pairwise(starts))
    assert all(b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close) and b.volume > 0 for b in minute)
    midpoint = [a[1] for a in ib.of("historicalData") if a[0] == 11]
    assert len(midpoint) >= 280 and all(b.volume == -1 for b in midpoint)
    daily = [a[1] for a in ib.of("historicalData") if a[0] == 13]
    assert 18 <= len(daily) <= 23 and all(len(b.date) == 8 for b in daily)


def test_trades_history_for_forex_is_refused_with_162(ib) -> None:
    ib.client.reqHistoricalData(14, eurusd(), "", "1 D", "1 hour", "TRADES", 0, 2, False, [])
    ib.wait_error(162, req_id=14)


def test_historical_bars_keep_up_to_date(ib) -> None:
    ib.client.reqHistoricalData(15, eurusd(), "", "300 S", "5 secs", "MIDPOINT", 0, 2, True, [])
    ib.wait_for("historicalDataEnd", lambda a: a[0] == 15)
    updates = ib.wait_for("historicalDataUpdate", lambda a: a[0] == 15, count=3, timeout=15)
    assert all(int(u[1].date) % 5 == 0 for u in updates)
    ib.client.cancelHistoricalData(15)


def test_identical_historical_request_within_15s_violates_pacing(ib) -> None:
    for _ in range(2):
        ib.client.reqHistoricalData(16, spy(), "", "1800 S", "1 min", "TRADES", 1, 2, False, [])
    assert "pacing violation" in ib.wait_error(162, req_id=16)[3]


def test_market_order_fills_at_the_opposite_quote_with_commission(gateway, ib) -> None:
    bid, _ = _quote(ib, spy(), 20)
    order_id = ib.of("nextValidId")[-1][0]
    o = _order("BUY", 100)
    o.orderRef = "probe:1"
    ib.client.placeOrder(order_id, spy(), o)
    ex = ib.wait_for("execDetails", lambda a: a[2].orderId == order_id)[0][2]
    report = ib.wait_for("commissionAndFeesReport", lambda a: a[0].execId == ex.execId)[0][0]
    status = ib.wait_for("orderStatus", lambda a: a[0] == order_id and a[1] == "Filled")[0]
    opened = ib.of("openOrder")[0]
    assert opened[2].orderRef == "probe:1" and opened[2].account == "DU1234567" and opened[2].permId > 0
    assert ex.side == "BOT" and ex.shares == Decimal(100) and ex.orderRef == "probe:1"
    assert ex.price == gateway.broker.executions()[0].price and ex.price >= bid
    assert report.commissionAndFees == 1.0 and status[4] == ex.price


def test_limit_order_rests_then_fills_when_crossed(gateway, ib) -> None:
    bid, _ = _quote(ib, eurusd(), 21)
    order_id = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(order_id, eurusd(), _order("BUY", 20000, "LMT", lmt=round(bid + 0.002, 5), tif="GTC"))
    ib.wait_for("orderStatus", lambda a: a[0] == order_id and a[1] == "Filled")
    resting_id = order_id + 1
    ib.client.placeOrder(resting_id, eurusd(), _order("SELL", 20000, "LMT", lmt=round(bid + 0.05, 5), tif="GTC"))
    ib.wait_for("orderStatus", lambda a: a[0] == resting_id and a[1] == "Submitted")
    assert [o.order_id for o in gateway.broker.open_orders()] == [resting_id]


def test_stop_and_stop_limit_trigger_only_when_touched(gateway, ib) -> None:
    bid, ask = _quote(ib, spy(), 22)
    base = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(base, spy(), _order("BUY", 10, "STP", aux=round(ask + 50, 2)))
    ib.client.placeOrder(base + 1, spy(), _order("BUY", 10, "STP", aux=round(ask - 1, 2)))
    ib.client.placeOrder(base + 2, spy(), _order("SELL", 10, "STP LMT", lmt=round(bid - 2, 2), aux=round(bid + 1, 2)))
    ib.wait_for("orderStatus", lambda a: a[0] == base + 1 and a[1] == "Filled")
    ib.wait_for("orderStatus", lambda a: a[0] == base + 2 and a[1] == "Filled")
    assert [o.order_id for o in gateway.broker.open_orders()] == [base]


def test_ioc_and_fok_cancel_when_not_marketable(gateway, ib) -> None:
    bid, _ = _quote(ib, spy(), 23)
    base = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(base, spy(), _order("BUY", 10, "LMT", lmt=round(bid - 5, 2), tif="IOC"))
    ib.client.placeOrder(base + 1, spy(), _order("BUY", 10, "LMT", lmt=round(bid - 5, 2), tif="FOK"))
    ib.client.placeOrder(base + 2, spy(), _order("BUY", 10, "MKT", tif="IOC"))
    for oid, status in ((base, "Cancelled"), (base + 1, "Cancelled"), (base + 2, "Filled")):
        ib.wait_for("orderStatus", lambda a, o=oid, s=status: a[0] == o and a[1] == s)
    assert gateway.broker.open_orders() == []


def test_modify_changes_a_working_order_and_cancel_ends_it(gateway, ib) -> None:
    bid, _ = _quote(ib, spy(), 24)
    oid = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(oid, spy(), _order("BUY", 10, "LMT", lmt=round(bid - 5, 2), tif="GTC"))
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Submitted")
    ib.client.placeOrder(oid, spy(), _order("BUY", 25, "LMT", lmt=round(bid - 6, 2), tif="GTC"))
    ib.wait_for("openOrder", lambda a: a[0] == oid and a[2].totalQuantity == Decimal(25))
    assert gateway.broker.open_orders()[0].request.lmt_price == round(bid - 6, 2)
    ib.client.cancelOrder(oid, OrderCancel())
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Cancelled")
    ib.wait_error(202, req_id=oid)
    ib.client.cancelOrder(oid, OrderCancel())
    ib.wait_error(10148, req_id=oid)


def test_global_cancel_cancels_every_working_order(gateway, ib_factory) -> None:
    first, second = ib_factory(1), ib_factory(2)
    bid, _ = _quote(first, spy(), 25)
    for app in (first, second):
        oid = app.of("nextValidId")[-1][0] + 100
        app.client.placeOrder(oid, spy(), _order("BUY", 5, "LMT", lmt=round(bid - 5, 2), tif="GTC"))
        app.wait_for("orderStatus", lambda a, o=oid: a[0] == o and a[1] == "Submitted")
    first.client.reqGlobalCancel(OrderCancel())
    for app in (first, second):
        app.wait_for("orderStatus", lambda a: a[1] == "Cancelled")
    assert gateway.broker.open_orders() == []


def test_positions_account_summary_and_executions_reflect_fills(gateway, ib) -> None:
    _quote(ib, spy(), 26)
    ib.client.reqAccountSummary(30, "All", "NetLiquidation,TotalCashValue,FullInitMarginReq,AccountType")
    ib.wait_for("accountSummaryEnd", lambda a: a[0] == 30)
    before = {a[2]: a[3] for a in ib.of("accountSummary")}
    assert before["NetLiquidation"] == "1000000.00" and before["FullInitMarginReq"] == "0.00"
    oid = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(oid, spy(), _order("BUY", 200))
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Filled")
    after = ib.wait_for("accountSummary", lambda a: a[2] == "FullInitMarginReq" and a[3] != "0.00")[0]
    assert float(after[3]) > 0
    ib.client.reqPositions()
    ib.wait_for("positionEnd")
    ((_, contract, qty, avg_cost),) = ib.of("position")
    assert contract.conId == 756733 and qty == Decimal(200) and avg_cost > 0
    ib.client.reqExecutions(31, ExecutionFilter())
    ib.wait_for("execDetailsEnd", lambda a: a[0] == 31)
    assert len([a for a in ib.of("execDetails") if a[0] == 31]) == 1
    cash = float(gateway.broker.account_values()["TotalCashValue"][0])
    assert cash == 1_000_000 - 200 * gateway.broker.executions()[0].price - 1.0


def test_account_updates_and_pnl(gateway, ib) -> None:
    ib.client.reqAccountUpdates(True, "DU1234567")
    ib.wait_for("accountDownloadEnd")
    keys = {a[0] for a in ib.of("updateAccountValue")}
    assert {"NetLiquidation", "TotalCashValue", "BuyingPower"} <= keys
    ib.client.reqPnL(40, "DU1234567", "")
    ib.wait_for("pnl", lambda a: a[0] == 40)


def test_current_time_and_open_orders_end(ib) -> None:
    ib.client.reqCurrentTime()
    assert abs(ib.wait_for("currentTime")[0][0] - time.time()) < 5
    ib.client.reqOpenOrders()
    ib.wait_for("openOrderEnd")
    ib.client.reqAllOpenOrders()
    ib.wait_for("openOrderEnd", count=2)


def test_rejections_carry_ib_codes(gateway, ib) -> None:
    oid = ib.of("nextValidId")[-1][0]
    gateway.faults.reject_next_order("Insufficient margin")
    ib.client.placeOrder(oid, spy(), _order("BUY", 10))
    assert ib.wait_error(201, req_id=oid)[3] == "Order rejected - reason:Insufficient margin"
    ib.client.placeOrder(oid + 1, spy(), _order("BUY", 10, "LMT", lmt=100.001))
    ib.wait_error(110, req_id=oid + 1)
    ib.client.placeOrder(oid + 2, spy(), _order("BUY", 10, "REL", aux=1.0))
    ib.wait_error(387, req_id=oid + 2)
    unknown = Contract()
    unknown.symbol, unknown.secType, unknown.exchange, unknown.currency = "ZZZ", "STK", "SMART", "USD"
    ib.client.placeOrder(oid + 3, unknown, _order("BUY", 10))
    ib.wait_error(200, req_id=oid + 3)


def test_unsupported_request_gets_an_error_not_silence(ib) -> None:
    ib.client.reqMktDepth(50, spy(), 5, False, [])
    ib.wait_error(321, req_id=50)


def test_duplicate_client_id_gets_326(gateway, ib_factory) -> None:
    ib_factory(7)
    second = ib_factory(7, wait=False)
    second.wait_error(326)
    assert gateway.broker.account == "DU1234567"


def test_message_rate_above_limit_gets_error_100(ib) -> None:
    for _ in range(80):
        ib.client.reqCurrentTime()
    assert "max=50" in ib.wait_error(100)[3]
