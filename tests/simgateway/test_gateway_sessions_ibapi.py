"""Per-session state as IB keeps it, seen by IB's official client over a real socket: the market data type of
the session that asked for it, and error 322 for a request id still live."""

from __future__ import annotations

from nautilus_node.simgateway import SimulatedGateway

from .ibapp import IBApp, eurusd


def test_a_delayed_session_gets_delayed_ticks_while_a_real_time_one_without_entitlement_gets_354() -> None:
    with SimulatedGateway(port=0, tick_interval=0.1, realtime_entitled=False) as gateway:
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


def test_a_tick_by_tick_request_reusing_a_live_id_is_refused_with_322(ib) -> None:
    ib.client.reqTickByTickData(4, eurusd(), "BidAsk", 0, False)
    ib.wait_for("tickByTickBidAsk", lambda a: a[0] == 4)
    ib.client.reqTickByTickData(4, eurusd(), "MidPoint", 0, False)
    assert "Duplicate ticker id 4" in ib.wait_error(322, req_id=4)[3]
    assert not ib.of("tickByTickMidPoint")
