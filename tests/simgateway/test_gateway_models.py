"""The pure parts as plain function calls: contracts, broker, bars, pacing, and the catalog replay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.test_kit.providers import TestInstrumentProvider

from nautilus_node.ib.pacing import HistoricalRequest, PacingRules
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.bars import BarBuilder, BarRequestError, historical_bars, parse_duration, parse_end_time
from nautilus_node.simgateway.broker import Broker, OrderError, OrderRequest
from nautilus_node.simgateway.contracts import ContractQuery, Universe, build_universe, quarterly_expiries
from nautilus_node.simgateway.market import CatalogReplay, Market, Quote
from nautilus_node.simgateway.pacing import HistoricalPacing, MessageRateLimiter

from .ibapp import IBApp, eurusd

UNIVERSE = Universe(build_universe(dt.date(2025, 11, 25)))
SPY = UNIVERSE.by_con_id(756733)
EUR = UNIVERSE.by_local_symbol("EUR.USD")


def _order(
    order_id: int,
    action: str,
    qty: int,
    order_type: str = "MKT",
    lmt: float | None = None,
    aux: float | None = None,
    tif: str = "DAY",
    spec=SPY,
) -> OrderRequest:
    return OrderRequest(order_id, 1, spec, action, Decimal(qty), order_type, lmt, aux, tif)


def test_futures_expiries_are_third_fridays_of_the_quarter() -> None:
    assert quarterly_expiries(dt.date(2025, 11, 25), 2) == [dt.date(2025, 12, 19), dt.date(2026, 3, 20)]
    assert UNIVERSE.by_local_symbol("ESZ5").last_trade_date == "20251219"


def test_contract_matching_by_con_id_symbol_and_local_symbol() -> None:
    assert UNIVERSE.match(ContractQuery(con_id=756733)) == [SPY]
    assert UNIVERSE.match(ContractQuery(symbol="SPY", sec_type="STK", exchange="SMART")) == [SPY]
    assert UNIVERSE.match(ContractQuery(local_symbol="EUR.USD", sec_type="CASH")) == [EUR]
    assert len(UNIVERSE.match(ContractQuery(symbol="ES", sec_type="FUT"))) == 4  # a year of quarterly months
    assert UNIVERSE.match(ContractQuery(symbol="SPY", sec_type="STK", exchange="IDEALPRO")) == []


@pytest.mark.parametrize(
    ("spec", "qty", "bid", "ask", "commission"),
    [
        (SPY, 100, 499.99, 500.0, 1.0),  # 100 x 0.005 = 0.50, raised to the USD 1 minimum
        (SPY, 1000, 499.99, 500.0, 5.0),
        (SPY, 10, 0.49, 0.5, 0.05),  # capped at 1% of trade value
        (EUR, 20000, 1.0799, 1.08, 2.0),  # IDEALPRO: the USD 2 minimum
        (EUR, 1_000_000, 1.0799, 1.08, 21.6),  # 0.2 bp of 1,080,000
        (UNIVERSE.by_local_symbol("ESZ5"), 2, 5000.0, 5000.25, 4.5),  # USD 2.25 per contract
    ],
)
def test_fills_pay_ib_fixed_commissions(spec, qty: int, bid: float, ask: float, commission: float) -> None:
    fill = Broker("DU1").place(_order(1, "BUY", qty, spec=spec), Quote(bid, ask, 10, 10, 0.0), 0.0)[-1]
    assert fill.execution.commission == pytest.approx(commission)


def test_partial_fills_of_one_order_pay_the_ib_minimum_once() -> None:
    # The broker fills whole orders today; its fill step is driven directly to split one order in two.
    broker = Broker("DU1")
    broker.place(_order(1, "BUY", 300, "LMT", lmt=24.0), Quote(24.99, 25.0, 10, 10, 0.0), 0.0)
    order = broker._book.orders[(1, 1)]
    first = broker._fill(order, Decimal(100), 25.0, 0.0)
    second = broker._fill(order, Decimal(200), 25.0, 0.0)
    # 300 shares x 0.005 = 1.50 for the order: the first 100 pay the 1.00 minimum, the other 200 the rest.
    assert (first.execution.commission, second.execution.commission) == (1.0, 0.5)


def test_market_buy_fills_at_ask_and_moves_cash_position_and_margin() -> None:
    broker = Broker("DU1")
    quote = Quote(99.99, 100.01, 10, 10, 0.0)
    events = broker.place(_order(1, "BUY", 100), quote, 0.0)
    fill = events[-1]
    assert fill.execution.price == 100.01 and fill.order.status == "Filled"
    values = broker.account_values()
    assert float(values["TotalCashValue"][0]) == pytest.approx(1_000_000 - 10_001 - 1.0)
    assert float(values["FullInitMarginReq"][0]) == pytest.approx(100 * 100.0 * 0.25)
    assert broker.positions()[0].quantity == Decimal(100)


def test_round_trip_realises_pnl_and_average_cost_follows_adds() -> None:
    broker = Broker("DU1")
    broker.place(_order(1, "BUY", 100), Quote(99.0, 100.0, 1, 1, 0), 0)
    broker.place(_order(2, "BUY", 100), Quote(101.0, 102.0, 1, 1, 0), 0)
    assert broker.position(SPY.con_id).avg_price == pytest.approx(101.0)
    fill = broker.place(_order(3, "SELL", 200), Quote(103.0, 104.0, 1, 1, 0), 0)[-1]
    assert fill.execution.realized_pnl == pytest.approx(200 * 2.0 - 1.0)
    assert broker.positions() == []


def test_resting_limit_fills_at_its_price_when_crossed_and_stop_triggers_on_touch() -> None:
    broker = Broker("DU1")
    broker.place(_order(1, "BUY", 10, "LMT", lmt=99.0, tif="GTC"), Quote(99.5, 99.6, 1, 1, 0), 0)
    broker.place(_order(2, "SELL", 10, "STP", aux=98.0), Quote(99.5, 99.6, 1, 1, 0), 0)
    assert len(broker.open_orders()) == 2
    events = broker.on_quote(SPY, Quote(98.8, 98.9, 1, 1, 1), 1)
    assert [e.execution.price for e in events] == [99.0]
    events = broker.on_quote(SPY, Quote(97.9, 98.0, 1, 1, 2), 2)
    assert [e.execution.price for e in events] == [97.9]


def test_modify_cancel_and_bad_orders_raise_ib_errors() -> None:
    broker = Broker("DU1")
    quote = Quote(99.5, 99.6, 1, 1, 0)
    broker.place(_order(1, "BUY", 10, "LMT", lmt=90.0, tif="GTC"), quote, 0)
    broker.place(_order(1, "BUY", 20, "LMT", lmt=91.0, tif="GTC"), quote, 0)
    assert broker.open_orders()[0].request.quantity == Decimal(20)
    assert broker.cancel(1, 1)[0].order.status == "Cancelled"
    for request, code in [
        (_order(2, "BUY", 0), 434),
        (_order(3, "BUY", 1, "REL"), 387),
        (_order(4, "BUY", 1, "LMT", lmt=90.001), 110),
        (_order(5, "BUY", 1, tif="OPG"), 201),
        (_order(1, "BUY", 1, "LMT", lmt=90.0), 104),
    ]:
        with pytest.raises(OrderError) as exc:
            broker.place(request, quote, 0)
        assert exc.value.code == code
    with pytest.raises(OrderError) as exc:
        broker.cancel(1, 99)
    assert exc.value.code == 10147


def test_history_is_aligned_bounded_and_shaped_by_what_to_show() -> None:
    end = dt.datetime(2025, 11, 25, 15, 0, 30, tzinfo=dt.UTC).timestamp()
    bars = historical_bars(SPY, end, 3600, 60, "TRADES", 580.0, seed=7)
    assert len(bars) == 60 and all(b.start % 60 == 0 for b in bars) and bars[-1].start < end
    assert all(b.volume > 0 and b.low <= b.open <= b.high for b in bars)
    bid_ask = historical_bars(EUR, end, 3600, 300, "BID_ASK", 1.08, seed=7)
    assert all(b.low < b.high for b in bid_ask)
    assert historical_bars(SPY, end, 3600, 60, "TRADES", 580.0, seed=7) == bars
    with pytest.raises(BarRequestError) as exc:
        historical_bars(EUR, end, 3600, 60, "TRADES", 1.08, seed=7)
    assert exc.value.code == 162
    with pytest.raises(BarRequestError):
        historical_bars(SPY, end, 86400 * 365, 1, "TRADES", 580.0, seed=7)


def test_ib_time_and_duration_texts() -> None:
    assert parse_duration("2 D") == 172800 and parse_duration("1800 S") == 1800
    expected = dt.datetime(2025, 11, 25, 14, 0, tzinfo=dt.UTC).timestamp()
    assert parse_end_time("20251125 14:00:00 UTC", 0) == expected
    assert parse_end_time("20251125-14:00:00", 0) == expected
    assert parse_end_time("20251125 09:00:00 US/Eastern", 0) == expected
    with pytest.raises(BarRequestError):
        parse_duration("2 X")


def test_bar_builder_closes_a_bar_when_its_time_is_over() -> None:
    builder = BarBuilder(EUR, 5, "MIDPOINT")
    assert builder.on_quote(1.08, 1.0801, 100.0) is None
    builder.on_quote(1.0802, 1.0803, 102.0)
    bar = builder.roll(105.0)
    assert bar is not None and bar.start == 100 and bar.open == 1.08005 and bar.high == 1.08025


def test_rate_limit_and_historical_pacing() -> None:
    limiter = MessageRateLimiter(50)
    results = [limiter.admit(0.001 * i) for i in range(51)]
    assert results[:50] == [None] * 50 and results[50] == 51
    assert limiter.admit(2.0) is None
    pacing = HistoricalPacing(PacingRules(identical_secs=15, window_requests=3, window_secs=600))
    a, b, c = (HistoricalRequest(name, "MIDPOINT", name) for name in "abc")
    assert pacing.check(a, 0, live=False) is None
    assert "identical" in pacing.check(a, 1, live=False)
    assert pacing.check(a, 16, live=False) is None
    assert pacing.check(b, 17, live=True) is None
    assert "too many" in pacing.check(c, 18, live=False)


def test_random_walk_is_seeded_and_keeps_bid_below_ask() -> None:
    walks = [
        [market.advance(EUR, float(i))[0] for i in range(500)]
        for market in (Market(UNIVERSE, seed=3), Market(UNIVERSE, seed=3), Market(UNIVERSE, seed=4))
    ]
    walk_a, walk_b, other = walks
    assert walk_a == walk_b and walk_a != other
    assert all(q.bid < q.ask and round(q.bid / EUR.min_tick) * EUR.min_tick == pytest.approx(q.bid) for q in walk_a)


def _write_catalog(path: Path, bids: list[float]) -> None:
    instrument = TestInstrumentProvider.default_fx_ccy("EUR/USD", venue=Venue("IDEALPRO"))
    start = dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC).timestamp()
    ticks = [
        QuoteTick(
            instrument.id,
            Price(bid, 5),
            Price(bid + 0.0001, 5),
            Quantity.from_int(1_000_000),
            Quantity.from_int(2_000_000),
            int((start + i) * 1e9),
            int((start + i) * 1e9),
        )
        for i, bid in enumerate(bids)
    ]
    catalog = ParquetDataCatalog(str(path))
    catalog.write_data([instrument])
    catalog.write_data(ticks)


def test_catalog_replay_serves_the_real_quotes(tmp_path: Path) -> None:
    bids = [round(1.08 + 0.00005 * (i % 17), 5) for i in range(120)]
    _write_catalog(tmp_path, bids)
    assert len(CatalogReplay(tmp_path, speed=20)) == 120
    with SimulatedGateway(port=0, replay_catalog=tmp_path, replay_speed=20, tick_interval=0.1) as gw:
        app = IBApp().connect(gw.port, 1)
        app.client.reqMktData(1, eurusd(), "", False, False, [])
        prices = app.wait_for("tickPrice", lambda a: a[1] == 1, count=10)
        app.disconnect()
    seen = {p[2] for p in prices}
    assert seen <= set(bids) and len(seen) >= 3


def test_replay_of_a_catalog_without_eurusd_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no QuoteTick data"):
        CatalogReplay(tmp_path)
