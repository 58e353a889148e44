"""The sans-IO handlers as plain function calls: requests written by IB's EClient, replies read by IB's
Decoder, no socket, on a clock the test sets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ibapi.execution import ExecutionFilter
from ibapi.order import Order as IbOrder
from ibapi.order_cancel import OrderCancel

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway.control import apply_action
from nautilus_node.simgateway.handlers import handle
from nautilus_node.simgateway.handlers.market_data import end_subscription, live_subscriptions, on_market
from nautilus_node.simgateway.handlers.orders import report
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


def test_a_session_started_while_ib_is_out_of_reach_is_told_1100_and_no_farm_is_ok() -> None:
    gw = SansIOGateway()
    gw.faults.connectivity_lost()
    calls = callbacks(gw.call(SessionState(), lambda c: c.startApi()))
    assert _names(calls)[:2] == ["managedAccounts", "nextValidId"]
    assert [code for _, code in _errors(calls)] == [1100]


def test_before_the_farms_connect_data_requests_go_unanswered_and_orders_do_not() -> None:
    gw = SansIOGateway()
    gw.faults.awaiting_farms = True
    session = gw.connect()
    assert [code for _, code in _errors(callbacks(gw.call(SessionState(), lambda c: c.startApi(), 2)))] == []
    assert gw.call(session, lambda c: c.reqContractDetails(4, spy())).messages == []
    assert gw.call(session, lambda c: c.reqMktData(5, spy(), "", False, False, [])).messages == []
    assert _names(callbacks(gw.call(session, lambda c: c.reqOpenOrders()))) == ["openOrderEnd"]


def test_a_fill_made_while_its_client_was_away_is_not_replayed_at_start_api_but_is_in_req_executions() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    order = IbOrder()
    order.action, order.orderType, order.totalQuantity = "BUY", "MKT", Decimal(3)
    gw.call(session, lambda c: c.reqMktData(1, spy(), "", False, False, []))
    gw.call(session, lambda c: c.placeOrder(1, spy(), order))  # fills; the server finds client id 1 away
    del gw.state.client_ids[1]  # its socket closed
    back = SessionState()
    calls = callbacks(gw.call(back, lambda c: c.startApi()))
    assert not {"orderStatus", "execDetails", "commissionAndFeesReport"} & set(_names(calls))
    calls = callbacks(gw.call(back, lambda c: c.reqExecutions(7, ExecutionFilter())))
    assert [a[2].orderId for n, a in calls if n == "execDetails"] == [1]
    assert "commissionAndFeesReport" in _names(calls) and _names(calls)[-1] != "openOrder"


def test_an_ended_bar_subscription_is_told_its_error_and_its_id_is_free_again() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    gw.call(session, lambda c: c.reqRealTimeBars(6, eurusd(), 5, "MIDPOINT", False, []))
    [(kind, req_id)] = live_subscriptions(session, ("realtime-bars", "keepuptodate-bars"), "EUR.USD")
    reply = end_subscription(session, kind, req_id, 10225, "Bust event occurred", gw.now)
    assert reply.errors() == [(6, 10225, "Bust event occurred")] and session.subs.realtime_bars == {}
    assert gw.call(session, lambda c: c.reqRealTimeBars(6, eurusd(), 5, "MIDPOINT", False, [])).errors() == []


def test_a_request_id_still_live_is_refused_with_322_whatever_the_subscription_kind() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    gw.call(session, lambda c: c.reqRealTimeBars(3, eurusd(), 5, "MIDPOINT", False, []))
    assert gw.call(session, lambda c: c.reqTickByTickData(3, eurusd(), "BidAsk", 0, False)).errors()[0][:2] == (3, 322)
    assert gw.call(session, lambda c: c.reqMktData(3, eurusd(), "", False, False, [])).errors()[0][:2] == (3, 322)
    assert gw.call(session, lambda c: c.reqRealTimeBars(3, eurusd(), 5, "MIDPOINT", False, [])).errors()[0][:2] == (
        3,
        322,
    )


def test_at_most_50_keep_up_to_date_requests_are_open_at_once() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    replies = []
    for req_id in range(51):
        gw.now += 3.0  # clear of the burst rule
        replies.append(
            gw.call(
                session,
                lambda c, r=req_id: c.reqHistoricalData(r, eurusd(), "", "60 S", "5 secs", "MIDPOINT", 0, 2, True, []),
            )
        )
    assert all(r.errors() == [] for r in replies[:50])
    [(req_id, code, text)] = replies[50].errors()
    assert (req_id, code) == (50, 162) and "simultaneous" in text


def test_market_data_type_is_per_session_and_delayed_ticks_carry_delayed_tick_types() -> None:
    gw = SansIOGateway()
    gw.state.realtime_entitled = False
    delayed, realtime = gw.connect(1), gw.connect(2)
    gw.call(delayed, lambda c: c.reqMarketDataType(3))
    got = callbacks(gw.call(delayed, lambda c: c.reqMktData(1, eurusd(), "", False, False, [])))
    assert ("marketDataType", (1, 3)) in got and _errors(got) == [(1, 10167)]
    assert {a[1] for n, a in got if n == "tickPrice"} == {66, 67}
    refused = callbacks(gw.call(realtime, lambda c: c.reqMktData(1, eurusd(), "", False, False, [])))
    assert _errors(refused) == [(1, 354)] and "tickPrice" not in _names(refused)
    pushed = on_market(delayed, delayed.subs.market_data[1], Quote(1.1, 1.10005, 1, 1, gw.now), None)
    assert {f[3] for f in pushed if f[0] == m.Out.TICK_PRICE} == {66, 67}


def _status_sequence(messages: list[m.Fields]) -> list[str]:
    return [str(f[2]) for f in messages if f[0] == m.Out.ORDER_STATUS]


def test_an_order_is_shown_presubmitted_then_submitted_and_a_cancel_pending_then_cancelled() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    order = IbOrder()
    order.action, order.orderType, order.totalQuantity, order.lmtPrice = "BUY", "LMT", Decimal(1), 1.0
    [placed] = gw.call(session, lambda c: c.placeOrder(1, spy(), order)).effects
    reported = [msg for e in placed.events for msg in report(session, gw.state, e)]
    assert _status_sequence(reported) == ["PreSubmitted", "Submitted"]
    cancel = gw.call(session, lambda c: c.cancelOrder(1, OrderCancel()))
    [cancelled] = cancel.effects
    reported = cancel.messages + [msg for e in cancelled.events for msg in report(session, gw.state, e)]
    assert _status_sequence(reported) == ["PendingCancel", "Cancelled"]


def test_a_fill_reports_the_final_order_status_twice_as_ib_does() -> None:
    gw = SansIOGateway()
    session = gw.connect()
    gw.call(session, lambda c: c.reqMktData(1, spy(), "", False, False, []))
    order = IbOrder()
    order.action, order.orderType, order.totalQuantity = "BUY", "MKT", Decimal(1)
    [placed] = gw.call(session, lambda c: c.placeOrder(2, spy(), order)).effects
    reported = [msg for e in placed.events for msg in report(session, gw.state, e)]
    assert _status_sequence(reported) == ["PreSubmitted", "Submitted", "Filled", "Filled"]


def test_fault_actions_take_positional_arguments_and_named_options_as_the_cli_sends_them() -> None:
    gw = SansIOGateway()
    apply_action(gw.faults, "restart", ["2", "--farms-after", "3"])
    apply_action(gw.faults, "kill-subscription", ["quotes", "--error", "10197", "--symbol", "SPY"])
    assert gw.server.calls[0] == ("restart", (2.0, 3.0))
    assert gw.server.calls[1] == ("end_subscriptions", (("quotes",), 10197, True, "SPY"))
    with pytest.raises(ValueError, match="unknown option '--farms'"):
        apply_action(gw.faults, "restart", ["2", "--farms", "3"])
    with pytest.raises(ValueError, match="no contract named 'NOPE'"):
        apply_action(gw.faults, "set-price", ["NOPE", "1"])
