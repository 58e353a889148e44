"""Per-session state and order states as IB keeps them, seen by IB's official client over a real socket: the
market data type of the session that asked for it, error 322 for a request id still live, and the order
state sequence; each on the text stack (176, 200) and the protobuf one (223)."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from ibapi.order import Order
from ibapi.order_cancel import OrderCancel

from nautilus_node.simgateway import SimulatedGateway

from .conftest import STACKS
from .ibapp import IBApp, eurusd, spy

over_stacks = pytest.mark.parametrize("gateway", STACKS, indirect=True)
at_each_version = pytest.mark.parametrize("version", STACKS)


@at_each_version
def test_a_delayed_session_gets_delayed_ticks_while_a_real_time_one_without_entitlement_gets_354(version: int) -> None:
    with SimulatedGateway(port=0, tick_interval=0.1, realtime_entitled=False, server_version=version) as gateway:
        delayed, realtime = IBApp().connect(gateway.port, 1), IBApp().connect(gateway.port, 2)
        try:
            delayed.client.reqMarketDataType(3)
            delayed.client.reqMktData(1, eurusd(), "", False, False, [])
            realtime.client.reqMktData(1, eurusd(), "", False, False, [])
            assert "Displaying delayed market data" in delayed.wait_error(10167, req_id=1)[3]
            ticks = delayed.wait_for("tickPrice", lambda a: a[0] == 1, count=6)
            assert realtime.wait_error(354, req_id=1)[3] == "Requested market data is not subscribed."
        finally:
            delayed.disconnect()
            realtime.disconnect()
    assert delayed.of("marketDataType") == [(1, 3)]
    assert {t[1] for t in ticks} == {66, 67} and not realtime.of("tickPrice")


@over_stacks
def test_a_tick_by_tick_request_reusing_a_live_id_is_refused_with_322(ib) -> None:
    ib.client.reqTickByTickData(4, eurusd(), "BidAsk", 0, False)
    ib.wait_for("tickByTickBidAsk", lambda a: a[0] == 4)
    ib.client.reqTickByTickData(4, eurusd(), "MidPoint", 0, False)
    assert "Duplicate ticker id 4" in ib.wait_error(322, req_id=4)[3]
    assert not ib.of("tickByTickMidPoint")


@over_stacks
def test_ibapi_sees_an_order_presubmitted_submitted_then_pending_cancel_and_cancelled(ib) -> None:
    order = Order()
    order.action, order.orderType, order.totalQuantity, order.lmtPrice = "BUY", "LMT", Decimal(1), 1.0
    oid = ib.of("nextValidId")[0][0]
    ib.client.placeOrder(oid, spy(), order)
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Submitted")
    ib.client.cancelOrder(oid, OrderCancel())
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Cancelled")
    assert [a[1] for a in ib.of("orderStatus") if a[0] == oid] == [
        "PreSubmitted",
        "Submitted",
        "PendingCancel",
        "Cancelled",
    ]


@at_each_version
def test_ibapi_sees_a_large_market_order_fill_in_parts_each_with_its_commission(version: int) -> None:
    with SimulatedGateway(port=0, tick_interval=0.1, partial_fills=True, server_version=version) as gateway:
        ib = IBApp().connect(gateway.port, 1)
        try:
            order = Order()
            order.action, order.orderType, order.totalQuantity = "BUY", "MKT", Decimal(200)
            oid = ib.of("nextValidId")[0][0]
            ib.client.placeOrder(oid, spy(), order)
            ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Filled")
            parts = [a[2] for a in ib.of("execDetails") if a[2].orderId == oid]
            ib.wait_for("commissionAndFeesReport", count=len(parts))
        finally:
            ib.disconnect()
    prices = [p.price for p in parts]
    assert len(parts) >= 7 and sum(p.shares for p in parts) == Decimal(200)  # SPY shows at most 30 a level
    assert prices == sorted(prices) and len(set(prices)) == len(prices)


@over_stacks
def test_the_gateway_log_names_each_error_it_answered(ib, caplog) -> None:
    caplog.set_level(logging.INFO, logger="nautilus_node.simgateway.session")
    unknown = eurusd()
    unknown.symbol = "XXX"
    ib.client.reqMktData(7, unknown, "", False, False, [])
    ib.wait_error(200, req_id=7)
    assert any("(id 7): answered error 200 No security definition" in r.getMessage() for r in caplog.records)
