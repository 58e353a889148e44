"""Historical ticks (reqHistoricalTicks): IB's request rules, stable seeded ticks, and the three answer
messages, read by IB's own ``ibapi`` decoder at every server version and over a real socket."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import ibapi.client
import pytest
from ibapi.client import EClient

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.bars import BarRequestError
from nautilus_node.simgateway.contracts import Universe, build_universe
from nautilus_node.simgateway.ticks import (
    MAX_TICKS,
    MidTick,
    QuoteTick,
    TradeTick,
    historical_ticks,
    in_regular_hours,
    tick_query,
    ticks_between,
)

from .ibapp import IBApp, eurusd, spy
from .test_gateway_versions import ALL_VERSIONS, client_requests, decoded

UNIVERSE = Universe(build_universe())
SPY = next(s for s in UNIVERSE if s.symbol == "SPY")
EURUSD = next(s for s in UNIVERSE if s.symbol == "EUR")
NOW = dt.datetime(2026, 11, 20, 20, 0, tzinfo=dt.UTC).timestamp()  # a Friday
START = "20261120 10:00:00 UTC"
START_SECS = int(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC).timestamp())


def query(spec=EURUSD, start=START, end="", count=1000, what="BID_ASK", use_rth=False, ignore_size=False):
    return tick_query(spec, start, end, count, what, use_rth, ignore_size, NOW)


def refused(**kwargs) -> tuple[int, str]:
    with pytest.raises(BarRequestError) as error:
        query(**kwargs)
    return error.value.code, str(error.value)


# --- request rules ---------------------------------------------------------------------------------------------
def test_a_request_needs_exactly_one_of_start_and_end() -> None:
    assert refused(start=START, end="20261120 11:00:00 UTC")[0] == 321
    code, text = refused(start="", end="")
    assert code == 321 and "Exactly one of start" in text
    assert query(start="", end="20261120 11:00:00 UTC").end == START_SECS + 3600


def test_what_to_show_must_be_trades_midpoint_or_bid_ask_and_fx_has_no_trades() -> None:
    assert refused(what="BID")[0] == 321
    code, text = refused(what="TRADES")
    assert code == 162 and text == (
        "Historical Market Data Service error message:No historical market data for EUR/CASH@IDEALPRO Last 0"
    )
    assert query(spec=SPY, what="TRADES").what == "TRADES"


def test_number_of_ticks_is_capped_at_1000_and_must_be_positive() -> None:
    assert query(count=5000).count == MAX_TICKS
    assert refused(count=0)[0] == 321
    assert refused(start="yesterday")[0] == 321


# --- the ticks -------------------------------------------------------------------------------------------------
def test_a_start_anchored_answer_has_the_ticks_from_start_and_completes_its_last_second() -> None:
    ticks = historical_ticks(EURUSD, query(count=100), 7, NOW)
    times = [t.time for t in ticks]
    assert times == sorted(times) and times[0] >= START_SECS
    assert len(ticks) >= 100
    assert all(t.time == times[99] for t in ticks[100:])
    following = list(ticks_between(EURUSD, "BID_ASK", times[99], times[99], 7))
    assert ticks[times.index(times[99]) :] == following


def test_an_end_anchored_answer_has_the_last_ticks_up_to_end() -> None:
    ticks = historical_ticks(EURUSD, query(start="", end=START, count=50), 7, NOW)
    assert len(ticks) >= 50 and ticks[-1].time <= START_SECS
    assert ticks == list(ticks_between(EURUSD, "BID_ASK", ticks[0].time, START_SECS, 7))


def test_the_same_span_gives_the_same_ticks_to_every_request() -> None:
    page = historical_ticks(EURUSD, query(), 7, NOW)
    middle = page[500].time
    later = historical_ticks(
        EURUSD, query(start=dt.datetime.fromtimestamp(middle, dt.UTC).strftime("%Y%m%d-%H:%M:%S")), 7, NOW
    )
    overlap = [t for t in page if t.time >= middle]
    assert later[: len(overlap)] == overlap
    assert historical_ticks(EURUSD, query(), 8, NOW) != page


def test_no_tick_comes_after_now() -> None:
    just_before = START_SECS + 90
    ticks = historical_ticks(EURUSD, query(), 7, just_before)
    assert ticks and all(t.time <= just_before for t in ticks) and len(ticks) < 1000


def test_quotes_are_on_the_tick_grid_with_bid_below_ask() -> None:
    ticks = historical_ticks(EURUSD, query(), 7, NOW)
    assert all(isinstance(t, QuoteTick) and t.bid < t.ask for t in ticks)
    assert all(abs(t.bid / EURUSD.min_tick - round(t.bid / EURUSD.min_tick)) < 1e-6 for t in ticks)
    assert min(t.bid for t in ticks) > 1.0 and max(t.ask for t in ticks) < 1.2


def test_ignore_size_drops_quotes_that_change_only_sizes() -> None:
    every = historical_ticks(EURUSD, query(), 7, NOW)
    priced = historical_ticks(EURUSD, query(ignore_size=True), 7, NOW)
    size_only = [b for a, b in itertools.pairwise(every) if (a.bid, a.ask) == (b.bid, b.ask)]
    assert size_only, "the sample has quotes that change only sizes"
    assert not [b for a, b in itertools.pairwise(priced) if (a.bid, a.ask) == (b.bid, b.ask)]


def test_midpoint_and_trade_ticks() -> None:
    mids = historical_ticks(EURUSD, query(what="MIDPOINT"), 7, NOW)
    assert mids and all(isinstance(t, MidTick) for t in mids)
    trades = historical_ticks(SPY, query(spec=SPY, what="TRADES"), 7, NOW)
    assert trades and all(isinstance(t, TradeTick) and t.exchange == "ARCA" and t.size >= 1 for t in trades)


def test_use_rth_keeps_a_stock_in_its_regular_session_and_fx_around_the_clock() -> None:
    eastern = ZoneInfo("America/New_York")
    ticks = historical_ticks(SPY, query(spec=SPY, what="TRADES", use_rth=True), 7, NOW)
    local = [dt.datetime.fromtimestamp(t.time, eastern) for t in ticks]
    assert local[0].strftime("%H:%M") >= "09:30" and all("09:30" <= t.strftime("%H:%M") < "16:00" for t in local)
    assert not in_regular_hours(SPY, dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC).timestamp())  # Saturday
    fx = historical_ticks(EURUSD, query(use_rth=True), 7, NOW)
    assert fx == historical_ticks(EURUSD, query(), 7, NOW)


# --- wire layouts ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_the_three_answers_decode_with_ibapi_at_each_version(version: int) -> None:
    quotes = [
        QuoteTick(1_700_000_000, 1.08, 1.08005, 2_000_000, 3_000_000),
        QuoteTick(1_700_000_001, 1.0801, 1.08015, 1, 2),
    ]
    [(name, (req_id, ticks, done))] = decoded(version, m.historical_ticks(5, "BID_ASK", quotes))
    assert (name, req_id, done, len(ticks)) == ("historicalTicksBidAsk", 5, True, 2)
    assert (ticks[1].time, ticks[1].priceBid, ticks[1].priceAsk, ticks[1].sizeBid, ticks[1].sizeAsk) == (
        1_700_000_001,
        1.0801,
        1.08015,
        Decimal(1),
        Decimal(2),
    )
    trades = [TradeTick(1_700_000_002, 580.25, 7, "ARCA")]
    [(name, (req_id, ticks, done))] = decoded(version, m.historical_ticks(6, "TRADES", trades))
    assert (name, req_id, done) == ("historicalTicksLast", 6, True)
    assert (ticks[0].time, ticks[0].price, ticks[0].size, ticks[0].exchange) == (
        1_700_000_002,
        580.25,
        Decimal(7),
        "ARCA",
    )
    [(name, (req_id, ticks, done))] = decoded(
        version, m.historical_ticks(7, "MIDPOINT", [MidTick(1_700_000_003, 1.080025)])
    )
    assert (name, req_id, done, ticks[0].time, ticks[0].price) == ("historicalTicks", 7, True, 1_700_000_003, 1.080025)
    [(name, (_, ticks, done))] = decoded(version, m.historical_ticks(8, "BID_ASK", [], done=False))
    assert (name, ticks, done) == ("historicalTicksBidAsk", [], False)


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_the_official_clients_request_parses_at_each_version(version: int) -> None:
    def send(client: EClient) -> None:
        client.reqHistoricalTicks(9, spy(), "", "20261120 15:00:00 US/Eastern", 250, "TRADES", 1, True, [])

    [(msg_id, fields)] = client_requests(version, send)
    req = rq.parse_historical_ticks(fields)
    assert msg_id == m.In.REQ_HISTORICAL_TICKS
    assert (
        req.req_id,
        req.contract.symbol,
        req.start,
        req.end,
        req.number_of_ticks,
        req.what_to_show,
        req.use_rth,
        req.ignore_size,
    ) == (9, "SPY", "", "20261120 15:00:00 US/Eastern", 250, "TRADES", True, True)


# --- over a real socket with IB's official client --------------------------------------------------------------
def _start_text(seconds_ago: float) -> str:
    return time.strftime("%Y%m%d %H:%M:%S UTC", time.gmtime(time.time() - seconds_ago))


def test_bid_ask_ticks_arrive_in_one_message_marked_done(ib: IBApp) -> None:
    ib.client.reqHistoricalTicks(60, eurusd(), _start_text(86400), "", 1000, "BID_ASK", 0, False, [])
    [(_, ticks, done)] = ib.wait_for("historicalTicksBidAsk", lambda a: a[0] == 60)
    assert done and len(ticks) >= 1000
    assert all(t.priceBid < t.priceAsk and t.sizeBid > 0 for t in ticks)
    assert [t.time for t in ticks] == sorted(t.time for t in ticks)


def test_trade_and_midpoint_ticks_arrive_in_their_own_messages(ib: IBApp) -> None:
    ib.client.reqHistoricalTicks(61, spy(), _start_text(7200), "", 10, "TRADES", 0, False, [])
    ib.client.reqHistoricalTicks(62, eurusd(), "", _start_text(3600), 10, "MIDPOINT", 0, False, [])
    [(_, trades, done)] = ib.wait_for("historicalTicksLast", lambda a: a[0] == 61)
    assert done and len(trades) >= 10 and {t.exchange for t in trades} == {"ARCA"}
    [(_, mids, done)] = ib.wait_for("historicalTicks", lambda a: a[0] == 62)
    assert done and len(mids) >= 10 and all(1.0 < t.price < 1.2 for t in mids)


def test_trade_ticks_for_fx_are_refused_with_162(ib: IBApp) -> None:
    ib.client.reqHistoricalTicks(63, eurusd(), _start_text(3600), "", 100, "TRADES", 0, False, [])
    assert "No historical market data for EUR/CASH@IDEALPRO" in ib.wait_error(162, req_id=63)[3]


def test_start_and_end_together_are_refused_with_321(ib: IBApp) -> None:
    ib.client.reqHistoricalTicks(64, eurusd(), _start_text(7200), _start_text(3600), 100, "BID_ASK", 0, False, [])
    ib.wait_error(321, req_id=64)
    assert not ib.of("historicalTicksBidAsk")


def test_an_identical_tick_request_within_15s_violates_historical_pacing(ib: IBApp) -> None:
    start = _start_text(3600)
    for req_id in (65, 66):
        ib.client.reqHistoricalTicks(req_id, eurusd(), start, "", 100, "BID_ASK", 0, False, [])
    assert "pacing violation" in ib.wait_error(162, req_id=66)[3]
    assert [a[0] for a in ib.of("historicalTicksBidAsk")] == [65]


@pytest.mark.parametrize("max_version", [157, 176, 200])
def test_an_official_client_of_each_version_reads_historical_ticks(
    monkeypatch: pytest.MonkeyPatch, gateway: SimulatedGateway, max_version: int
) -> None:
    monkeypatch.setattr(ibapi.client, "MAX_CLIENT_VER", max_version)
    ib = IBApp().connect(gateway.port, client_id=70)
    try:
        assert ib.client.serverVersion() == max_version
        ib.client.reqHistoricalTicks(71, spy(), _start_text(3600), "", 20, "TRADES", 0, False, [])
        [(_, ticks, done)] = ib.wait_for("historicalTicksLast", lambda a: a[0] == 71)
        assert done and len(ticks) >= 20
    finally:
        ib.disconnect()
