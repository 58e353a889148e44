"""The sans-IO handlers as plain function calls: requests written by IB's EClient, replies read by IB's
Decoder, no socket, on a clock the test sets."""

from __future__ import annotations

from decimal import Decimal

from ibapi.order import Order as IbOrder

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway.handlers import handle
from nautilus_node.simgateway.handlers.market_data import on_market
from nautilus_node.simgateway.handlers.reply import CloseConnection, OrderEvents
from nautilus_node.simgateway.market import Quote, Trade
from nautilus_node.simgateway.state import SessionState

from .ibapp import eurusd, spy
from .sansio import SansIOGateway, callbacks


def _names(calls: list[tuple[str, tuple]]) -> list[str]:
    return [name for name, _ in calls]


def _errors(calls: list[tuple[str, tuple]]) -> list[tuple[int, int]]:
    return [(args[0], args[2]) for name, args in calls if name == "error"]


def test_start_api_names_the_account_the_next_id_and_the_farms() -> None:
    gw = SansIOGateway()
    session = SessionState()
    calls = callbacks(gw.call(session, lambda c: c.startApi()))
    assert _names(calls)[:2] == ["managedAccounts", "nextValidId"]
    assert calls[0][1] == ("DU1234567",)
    assert [code for _, code in _errors(calls)] == [2104, 2106, 2158]
    assert session.client_id == 1 and gw.state.client_ids[1] is session


def test_a_client_id_held_by_another_session_is_refused_with_326_and_the_socket_closed() -> None:
    gw = SansIOGateway()
    gw.connect(5)
    reply = gw.call(SessionState(), lambda c: c.startApi(), client_id=5)
    assert _errors(callbacks(reply)) == [(-1, 326)]
    assert reply.effects == [CloseConnection()]


def test_a_request_before_start_api_is_refused_with_321() -> None:
    gw = SansIOGateway()
    reply = gw.call(SessionState(), lambda c: c.reqCurrentTime())
    assert _errors(callbacks(reply)) == [(-1, 321)]


def test_an_unknown_message_id_is_error_320() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    reply = handle(999, ("1",), session, gw.state)
    assert reply.errors() == [(-1, 320, "Error reading request.-'999' : cause - Unknown message id")]


def test_current_time_is_the_gateways_clock() -> None:
    gw = SansIOGateway(now=1_900_000_000.0)
    session = gw.connect()
    assert callbacks(gw.call(session, lambda c: c.reqCurrentTime())) == [("currentTime", (1_900_000_000,))]


def test_market_data_answers_type_params_and_the_quote_then_refuses_the_same_id_with_322() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    calls = callbacks(gw.call(session, lambda c: c.reqMktData(7, eurusd(), "", False, False, [])))
    assert _names(calls)[:2] == ["marketDataType", "tickReqParams"]
    assert {args[1] for name, args in calls if name == "tickPrice"} == {1, 2}  # bid and ask
    assert 7 in session.subs.market_data
    again = callbacks(gw.call(session, lambda c: c.reqMktData(7, eurusd(), "", False, False, [])))
    assert _errors(again) == [(7, 322)]


def test_an_unknown_contract_is_error_200() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    nothing = eurusd()
    nothing.symbol = "XXX"
    assert _errors(callbacks(gw.call(session, lambda c: c.reqMktData(8, nothing, "", False, False, [])))) == [(8, 200)]


def test_a_new_quote_pushes_ticks_to_the_subscription_and_a_trade_its_last_price() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    gw.call(session, lambda c: c.reqMktData(9, spy(), "", False, False, []))
    spec = session.subs.market_data[9]
    pushed = on_market(session, spec, Quote(100.0, 100.02, 5, 6, gw.now), Trade(100.01, 3, gw.now))
    prices = [(f[2], f[3], f[4]) for f in pushed if f[0] == m.Out.TICK_PRICE]
    assert prices == [(9, m.BID, 100.0), (9, m.ASK, 100.02), (9, m.LAST, 100.01)]


def test_an_order_is_accepted_as_order_events_for_the_server_to_route() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    order = IbOrder()
    order.action, order.orderType, order.totalQuantity, order.lmtPrice = "BUY", "LMT", Decimal(10), 1.0
    reply = gw.call(session, lambda c: c.placeOrder(1, spy(), order))
    [effect] = reply.effects
    assert isinstance(effect, OrderEvents) and reply.messages == []
    assert [e.order.status for e in effect.events] == ["Submitted"]
    assert gw.state.broker.order(1, 1).status == "Submitted"


def test_a_rejection_fault_refuses_the_next_order_with_201() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    gw.faults.reject_next_order("Margin")
    order = IbOrder()
    order.action, order.orderType, order.totalQuantity = "BUY", "MKT", Decimal(1)
    reply = gw.call(session, lambda c: c.placeOrder(2, spy(), order))
    assert reply.errors() == [(2, 201, "Order rejected - reason:Margin")] and reply.effects == []


def test_an_identical_historical_request_within_15_seconds_is_refused_with_ibs_162_text() -> None:
    gw = SansIOGateway()
    session = gw.connect()

    def request(c) -> None:
        c.reqHistoricalData(3, spy(), "", "1800 S", "1 min", "TRADES", 1, 2, False, [])

    assert "historicalDataEnd" in _names(callbacks(gw.call(session, request)))
    gw.now += 14.9
    [(req_id, code, text)] = gw.call(session, request).errors()
    assert (req_id, code) == (3, 162)
    assert text.startswith("Historical Market Data Service error message:Historical data request pacing violation")
    gw.now += 0.2
    assert gw.call(session, request).errors() == []


def test_the_sixth_request_for_one_contract_within_two_seconds_breaks_the_burst_rule() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    durations = ["60 S", "120 S", "180 S", "240 S", "300 S", "360 S"]
    replies = []
    for i, duration in enumerate(durations):
        gw.now += 0.3
        replies.append(
            gw.call(
                session,
                lambda c, d=duration, i=i: c.reqHistoricalData(i, spy(), "", d, "1 min", "TRADES", 1, 2, False, []),
            )
        )
    assert [r.errors() for r in replies[:5]] == [[]] * 5
    assert [code for _, code, _ in replies[5].errors()] == [162]
