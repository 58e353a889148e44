"""Feeds: found on the real message bus, counted per event, judged fresh, waiting, stale, degraded, or closed by
their instrument's own trading hours (IB's text in the instrument's info, in a real NautilusTrader cache)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import MessageBus, TestClock
from nautilus_trader.model.identifiers import TraderId
from nautilus_trader.model.instruments import CurrencyPair

from nautilus_node.ib.hours import FX
from nautilus_node.ib.market_state import MarketClock
from nautilus_node.status.feeds import FeedMonitor, required_feed_topic
from tests.status.conftest import START_NS, eurusd, quotes

NY = ZoneInfo("America/New_York")
TOPIC = "data.quotes.SIM.EUR/USD"
SECOND = 1_000_000_000


def _bus() -> MessageBus:
    return MessageBus(TraderId("NODE-001"), TestClock())


def _states(monitor: FeedMonitor, now_ns: int, *, md: str | None = None) -> dict:
    return {feed.topic: feed for feed in monitor.views(now_ns, md, None)}


def _ny_ns(local: str) -> int:
    return int(datetime.fromisoformat(local).replace(tzinfo=NY).timestamp() * SECOND)


def _fx_monitor(bus: MessageBus, at_ns: int, market_hours: str = "instruments") -> FeedMonitor:
    """A monitor whose EUR/USD carries IDEALPRO's hours as IB states them at `at_ns`, in a real cache."""
    fields = CurrencyPair.to_dict(eurusd())
    fields["info"] = {"tradingHours": FX.text(at_ns / SECOND), "timeZoneId": "US/Eastern"}
    cache = Cache()
    cache.add_instrument(CurrencyPair.from_dict(fields))
    market = MarketClock(cache, market_hours)
    return FeedMonitor(bus, stale_after_secs=10, required_feeds=["EUR/USD.SIM"], market_of=market.state)


def test_monitor_follows_topics_other_components_subscribed_and_ignores_patterns_and_other_kinds():
    bus = _bus()
    bus.subscribe(topic=TOPIC, handler=lambda _: None)
    bus.subscribe(topic="data.quotes.*", handler=lambda _: None)
    bus.subscribe(topic="data.instrument.SIM.EUR/USD", handler=lambda _: None)
    bus.subscribe(topic="data.bars.EUR/USD.SIM-1-MINUTE-BID-EXTERNAL", handler=lambda _: None)
    monitor = FeedMonitor(bus, stale_after_secs=10, required_feeds=[])
    monitor.discover(START_NS)
    feeds = _states(monitor, START_NS)
    assert sorted(feeds) == ["data.bars.EUR/USD.SIM-1-MINUTE-BID-EXTERNAL", TOPIC]
    assert feeds[TOPIC].name == "EUR/USD.SIM" and feeds[TOPIC].data_type == "quotes"
    assert feeds["data.bars.EUR/USD.SIM-1-MINUTE-BID-EXTERNAL"].name == "EUR/USD.SIM-1-MINUTE-BID-EXTERNAL"


def test_published_quotes_are_counted_with_their_time_and_rate_then_go_stale_after_the_threshold():
    bus = _bus()
    monitor = FeedMonitor(bus, stale_after_secs=10, required_feeds=["EUR/USD.SIM"])
    monitor.discover(START_NS)
    _states(monitor, START_NS)
    for tick in quotes(eurusd().id, 20, step_ns=SECOND // 4):  # 4 a second for 5 s
        bus.publish(TOPIC, tick)
    last_ns = START_NS + 19 * SECOND // 4
    fresh = _states(monitor, START_NS + 5 * SECOND)[TOPIC]
    assert (fresh.state, fresh.count, fresh.required) == ("fresh", 20, True)
    assert fresh.rate_per_sec == pytest.approx(4.0)
    assert fresh.last_event_at == "2023-11-14T22:13:24.750Z"
    still = _states(monitor, last_ns + 10 * SECOND)[TOPIC]
    assert still.state == "fresh"
    stale = _states(monitor, last_ns + 11 * SECOND)[TOPIC]
    assert (stale.state, stale.reason) == ("stale", "no data for 11 s (threshold 10 s)")
    assert stale.rate_per_sec == 0.0


def test_a_required_feed_that_never_delivers_waits_then_goes_stale():
    monitor = FeedMonitor(_bus(), stale_after_secs=10, required_feeds=["EUR/USD.SIM"])
    monitor.discover(START_NS)
    assert _states(monitor, START_NS + 5 * SECOND)[TOPIC].state == "waiting"
    stale = _states(monitor, START_NS + 12 * SECOND)[TOPIC]
    assert (stale.state, stale.last_event_at) == ("stale", None)
    assert stale.reason == "no data since observed 12 s ago (threshold 10 s)"


def test_a_broken_market_data_farm_degrades_a_flowing_feed():
    bus = _bus()
    monitor = FeedMonitor(bus, stale_after_secs=10, required_feeds=["EUR/USD.SIM"])
    monitor.discover(START_NS)
    bus.publish(TOPIC, quotes(eurusd().id, 1)[0])
    degraded = _states(monitor, START_NS + SECOND, md="market data farm broken (IB 2103)")[TOPIC]
    assert (degraded.state, degraded.reason) == ("degraded", "market data farm broken (IB 2103)")


def test_in_fxs_daily_break_a_quiet_feed_is_closed_until_the_reopen_then_stale_only_after_a_grace():
    bus = _bus()
    before = _ny_ns("2030-01-02 16:59:00")
    monitor = _fx_monitor(bus, before)
    monitor.discover(before)
    bus.publish(TOPIC, quotes(eurusd().id, 1, start_ns=before)[0])
    assert _states(monitor, before + SECOND)[TOPIC].state == "fresh"
    in_break = _states(monitor, _ny_ns("2030-01-02 17:05:00"))[TOPIC]
    assert (in_break.state, in_break.reason) == ("closed", "closed for the break until 2030-01-02T22:15:00.000Z")
    assert in_break.opens_at == "2030-01-02T22:15:00.000Z"
    assert _states(monitor, _ny_ns("2030-01-02 17:15:09"))[TOPIC].state == "fresh"  # within 10 s of the open
    stale = _states(monitor, _ny_ns("2030-01-02 17:15:11"))[TOPIC]
    assert (stale.state, stale.reason) == ("stale", "no data for 11 s since the session opened (threshold 10 s)")


def test_over_the_weekend_a_feed_is_closed_until_sundays_open_and_always_overrides_the_hours():
    bus = _bus()
    saturday = _ny_ns("2030-01-05 12:00:00")
    monitor = _fx_monitor(bus, saturday)
    monitor.discover(saturday)
    closed = _states(monitor, saturday + 60 * SECOND)[TOPIC]
    assert (closed.state, closed.reason) == ("closed", "closed until 2030-01-06T22:15:00.000Z")
    always = _fx_monitor(bus, saturday, market_hours="always")
    always.discover(saturday)
    assert _states(always, saturday + 60 * SECOND)[TOPIC].state == "stale"


def test_an_instrument_without_hours_or_past_the_days_its_hours_list_is_judged_as_open():
    bus = _bus()
    listed = _ny_ns("2030-01-05 12:00:00")
    monitor = _fx_monitor(bus, listed)
    later = listed + 30 * 86400 * SECOND  # a month on: the text (7 days) says nothing
    monitor.discover(later)
    assert _states(monitor, later + 60 * SECOND)[TOPIC].state == "stale"


def test_closing_the_monitor_removes_only_its_own_handlers():
    bus = _bus()
    bus.subscribe(topic=TOPIC, handler=print)
    monitor = FeedMonitor(bus, stale_after_secs=10, required_feeds=["EUR/USD.SIM"])
    monitor.discover(START_NS)
    assert len(bus.subscriptions(TOPIC)) == 2
    monitor.close()
    assert [sub.handler for sub in bus.subscriptions(TOPIC)] == [print]


def test_required_feeds_name_quotes_by_instrument_id_and_bars_by_bar_type():
    assert required_feed_topic("EUR/USD.IDEALPRO") == "data.quotes.IDEALPRO.EUR/USD"
    bar_type = "EUR/USD.IDEALPRO-5-SECOND-BID-EXTERNAL"
    assert required_feed_topic(bar_type) == f"data.bars.{bar_type}"
    with pytest.raises(ValueError, match=r"required_feeds: 'EURUSD' is neither an instrument id nor a bar type"):
        required_feed_topic("EURUSD")


def test_a_bar_feed_may_wait_two_bar_intervals_before_it_is_stale():
    bus = _bus()
    minute = "data.bars.EUR/USD.SIM-1-MINUTE-BID-EXTERNAL"
    second = "data.bars.EUR/USD.SIM-1-SECOND-BID-INTERNAL"
    for topic in (minute, second, TOPIC):
        bus.subscribe(topic=topic, handler=lambda _: None)
    monitor = FeedMonitor(bus, stale_after_secs=10, required_feeds=[])
    monitor.discover(START_NS)
    at_30_s = _states(monitor, START_NS + 30 * SECOND)
    assert at_30_s[minute].state == "waiting"  # a 1-minute bar feed is not stale 30 s in
    assert at_30_s[second].state == "stale" and at_30_s[TOPIC].state == "stale"  # the configured 10 s
    at_130_s = _states(monitor, START_NS + 130 * SECOND)
    assert at_130_s[minute].state == "stale" and "(threshold 120 s)" in at_130_s[minute].reason
