"""Disruptions as IB does them, seen by IB's official client over a real socket: a farm blip that leaves
bar subscriptions dead, set-price filling a resting order, a restart whose fill is reported on reconnect,
a client id still in use, one subscription killed, and 1100 holding order reports; each on the text stack
(176, 200) and the protobuf one (223)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from ibapi.execution import ExecutionFilter
from ibapi.order import Order

from nautilus_node.simgateway import SimulatedGateway

from .conftest import STACKS
from .ibapp import IBApp, eurusd, spy

pytestmark = pytest.mark.parametrize("gateway", STACKS, indirect=True)


def _limit(action: str, qty: int, price: float) -> Order:
    o = Order()
    o.action, o.totalQuantity, o.orderType, o.lmtPrice, o.tif = action, Decimal(qty), "LMT", price, "GTC"
    return o


def _bid(ib: IBApp, req_id: int = 90) -> float:
    ib.client.reqMktData(req_id, spy(), "", False, False, [])
    bid = ib.wait_for("tickPrice", lambda a: a[0] == req_id and a[1] == 1)[0][2]
    ib.client.cancelMktData(req_id)
    return bid


def _reconnect(port: int, client_id: int, timeout: float = 15.0) -> IBApp:
    """Connect once the gateway accepts again (after a restart's refusal window)."""
    deadline = time.monotonic() + timeout
    while True:
        app = IBApp()
        app.client.connect("127.0.0.1", port, client_id)
        if app.client.isConnected():
            return app.connect_started()
        if time.monotonic() > deadline:
            raise AssertionError(f"gateway on port {port} did not accept within {timeout}s")
        time.sleep(0.2)


def test_after_a_2103_2104_blip_quotes_resume_and_bar_subscriptions_stay_dead(gateway: SimulatedGateway, ib) -> None:
    ib.client.reqMktData(1, eurusd(), "", False, False, [])
    ib.client.reqRealTimeBars(2, eurusd(), 5, "MIDPOINT", False, [])
    ib.client.reqHistoricalData(3, eurusd(), "", "300 S", "5 secs", "MIDPOINT", 0, 2, True, [])
    ib.wait_for("historicalDataUpdate", lambda a: a[0] == 3)
    gateway.faults.farm_status(2103)
    ib.wait_error(2103)
    gateway.faults.farm_status(2104)
    ib.wait_error(2104)
    ticks_at_ok = len(ib.of("tickPrice"))
    updates_at_ok = len(ib.of("historicalDataUpdate"))
    bars_at_ok = len(ib.of("realtimeBar"))
    # requested again, under new ids, they flow: the bounded proof that the old ones had time to speak
    ib.client.reqRealTimeBars(4, eurusd(), 5, "MIDPOINT", False, [])
    ib.client.reqHistoricalData(5, eurusd(), "", "300 S", "5 secs", "MIDPOINT", 0, 2, True, [])
    ib.wait_for("historicalDataUpdate", lambda a: a[0] == 5, count=2)
    ib.wait_for("realtimeBar", lambda a: a[0] == 4, timeout=15)
    assert len(ib.of("tickPrice")) > ticks_at_ok  # quotes resumed by themselves
    assert [a for a in ib.of("historicalDataUpdate")[updates_at_ok:] if a[0] == 3] == []
    assert [a for a in ib.of("realtimeBar")[bars_at_ok:] if a[0] == 2] == []
    assert not ib.errors(10182) and not ib.errors(10225)  # silently, by default


def test_a_blip_with_bars_error_tells_each_dead_bar_subscription(gateway: SimulatedGateway, ib) -> None:
    ib.client.reqRealTimeBars(2, eurusd(), 5, "MIDPOINT", False, [])
    ib.client.reqHistoricalData(3, eurusd(), "", "300 S", "5 secs", "MIDPOINT", 0, 2, True, [])
    ib.wait_for("historicalDataEnd", lambda a: a[0] == 3)
    gateway.faults.farm_status(2103, bars_error=10225)
    assert "Please resubscribe real-time bars" in ib.wait_error(10225, req_id=2)[3]
    ib.wait_error(10225, req_id=3)
    gateway.faults.farm_status(2104)
    ib.client.reqHistoricalData(6, eurusd(), "", "300 S", "5 secs", "MIDPOINT", 0, 2, True, [])
    ib.client.reqHistoricalData(7, eurusd(), "", "300 S", "5 secs", "MIDPOINT", 0, 2, True, [])
    ib.wait_for("historicalDataEnd", lambda a: a[0] == 7)
    gateway.faults.farm_status(2105, bars_error=10182)
    assert "Failed to request live updates" in ib.wait_error(10182, req_id=6)[3]
    ib.wait_error(10182, req_id=7)


def test_set_price_below_a_resting_buy_limit_fills_it(gateway: SimulatedGateway, ib) -> None:
    limit = round(_bid(ib) - 5.0, 2)
    oid = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(oid, spy(), _limit("BUY", 10, limit))
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Submitted")
    gateway.faults.set_price("SPY", limit - 1.0)
    ex = ib.wait_for("execDetails", lambda a: a[2].orderId == oid)[0][2]
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Filled")
    assert ex.price == limit and ex.shares == Decimal(10)


def test_a_fill_during_a_restart_is_not_replayed_to_the_client_that_reconnects_but_req_executions_has_it(
    gateway: SimulatedGateway, ib
) -> None:
    """IB does not push the reports of a fill made while the client was away when it comes back (the order
    worked at IB; the client must ask: reqExecutions, reqOpenOrders)."""
    limit = round(_bid(ib) - 5.0, 2)
    oid = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(oid, spy(), _limit("BUY", 10, limit))
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Submitted")
    gateway.faults.restart(refuse_for=1.0, farms_after=1.5)
    ib.wait_for("connectionClosed")
    gateway.faults.set_price("SPY", limit - 1.0)  # fills while its client is away
    back = _reconnect(gateway.port, 1)
    try:
        back.client.reqContractDetails(11, spy())  # before the farms connect: never answered
        back.wait_error(2104, timeout=10)
        back.client.reqOpenOrders()
        back.wait_for("openOrderEnd")
        assert not [a for a in back.of("openOrder") if a[0] == oid], "a filled order is not open"
        back.client.reqExecutions(21, ExecutionFilter())
        ex = back.wait_for("execDetails", lambda a: a[0] == 21 and a[2].orderId == oid)[0][2]
        back.wait_for("commissionAndFeesReport", lambda a: a[0].execId == ex.execId)
        back.wait_for("execDetailsEnd", lambda a: a[0] == 21)
        assert ex.price == limit and ex.shares == Decimal(10)
        assert not [a for a in back.of("orderStatus") if a[0] == oid], "no orderStatus pushed for the old fill"
        assert not [a for a in back.of("execDetails") if a[0] == -1], "no execDetails pushed for the old fill"
        back.client.reqContractDetails(12, spy())
        back.wait_for("contractDetailsEnd", lambda a: a[0] == 12)
        assert not [a for a in back.of("contractDetails") if a[0] == 11]
    finally:
        back.disconnect()


def _start_outcome(app: IBApp, timeout: float = 5.0) -> str:
    """``accepted`` (nextValidId) or ``in use`` (326), whichever the gateway answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.of("nextValidId"):
            return "accepted"
        if app.errors(326):
            return "in use"
        time.sleep(0.05)
    raise AssertionError("the gateway answered startApi with neither nextValidId nor 326")


def test_a_client_id_stays_in_use_for_a_moment_after_its_socket_closed(gateway: SimulatedGateway) -> None:
    gateway.faults.hold_client_ids(4.0)
    first = IBApp().connect(gateway.port, 8)
    closed_at = time.monotonic()  # before the socket closes: the hold starts no earlier
    first.disconnect()
    outcomes: list[tuple[str, float]] = []
    while not outcomes or outcomes[-1][0] != "accepted":
        assert time.monotonic() - closed_at < 15, outcomes
        app = IBApp().connect(gateway.port, 8, wait=False)
        outcomes.append((_start_outcome(app), time.monotonic() - closed_at))
        if outcomes[-1][0] == "in use":
            assert "already in use" in app.errors(326)[0][3]
        app.disconnect()
        time.sleep(0.2)
    assert outcomes[0][0] == "in use"  # in use at first, free after the hold
    assert outcomes[-1][1] >= 4.0


def test_kill_subscription_stops_one_feed_with_the_given_error_and_its_id_can_be_reused(
    gateway: SimulatedGateway, ib
) -> None:
    ib.client.reqMktData(1, eurusd(), "", False, False, [])
    ib.client.reqMktData(2, spy(), "", False, False, [])
    ib.wait_for("tickPrice", lambda a: a[0] == 2, count=2)
    gateway.faults.kill_subscription("quotes", error=10197, symbol="SPY")
    assert "competing live session" in ib.wait_error(10197, req_id=2)[3]
    killed_at = len(ib.of("tickPrice"))
    ib.wait_for("tickPrice", lambda a: a[0] == 1, count=len([a for a in ib.of("tickPrice") if a[0] == 1]) + 8)
    assert [a for a in ib.of("tickPrice")[killed_at:] if a[0] == 2] == []
    ib.client.reqMktData(2, spy(), "", False, False, [])
    ib.wait_for("tickReqParams", lambda a: a[0] == 2, count=2)
    assert not ib.errors(322)


def test_1100_tells_new_sessions_holds_fill_reports_and_delivers_them_at_1102(gateway: SimulatedGateway, ib) -> None:
    limit = round(_bid(ib) - 5.0, 2)
    oid = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(oid, spy(), _limit("BUY", 10, limit))
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Submitted")
    gateway.faults.connectivity_lost()
    ib.wait_error(1100)
    late = IBApp().connect(gateway.port, 9)
    try:
        late.wait_error(1100)
    finally:
        late.disconnect()
    gateway.faults.set_price("SPY", limit - 1.0)
    deadline = time.monotonic() + 5
    while gateway.broker.order(1, oid).status != "Filled" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gateway.broker.order(1, oid).status == "Filled"  # it filled at IB...
    assert not ib.of("execDetails")  # ...and its report is held while IB is out of reach
    gateway.faults.connectivity_restored(data_kept=True)
    ib.wait_error(1102)
    ib.wait_for("execDetails", lambda a: a[2].orderId == oid)
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Filled")
