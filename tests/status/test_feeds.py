"""Feeds: found on the real message bus, counted per event, judged fresh, waiting, stale, degraded or closed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nautilus_trader.common.component import MessageBus, TestClock
from nautilus_trader.model.identifiers import TraderId

from nautilus_node.status.feeds import FeedMonitor, fx_market_open, required_feed_topic
from tests.status.conftest import START_NS, eurusd, quotes

NY = ZoneInfo("America/New_York")
TOPIC = "data.quotes.SIM.EUR/USD"
SECOND = 1_000_000_000


def _bus() -> MessageBus:
    return MessageBus(TraderId("NODE-001"), TestClock())


def _states(monitor: FeedMonitor, now_ns: int, *, is_open: bool = True, md: str | None = None) -> dict:
    return {feed.topic: feed for feed in monitor.views(now_ns, is_open, md, None)}


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


def test_a_broken_market_data_farm_degrades_a_flowing_feed_and_a_closed_market_excuses_a_quiet_one():
    bus = _bus()
    monitor = FeedMonitor(bus, stale_after_secs=10, required_feeds=["EUR/USD.SIM"])
    monitor.discover(START_NS)
    bus.publish(TOPIC, quotes(eurusd().id, 1)[0])
    degraded = _states(monitor, START_NS + SECOND, md="market data farm broken (IB 2103)")[TOPIC]
    assert (degraded.state, degraded.reason) == ("degraded", "market data farm broken (IB 2103)")
    closed = _states(monitor, START_NS + 3600 * SECOND, is_open=False)[TOPIC]
    assert closed.state == "closed"


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


@pytest.mark.parametrize(
    ("local", "is_open"),
    [
        ("2026-11-27 16:59", True),  # Friday before the close
        ("2026-11-27 17:00", False),  # Friday close
        ("2026-11-28 12:00", False),  # Saturday
        ("2026-11-29 16:59", False),  # Sunday before the open
        ("2026-11-29 17:00", True),  # Sunday open
        ("2026-07-01 03:00", True),  # a summer Wednesday night
    ],
)
def test_fx_market_hours_run_from_sunday_to_friday_five_pm_new_york(local: str, is_open: bool):
    moment = datetime.fromisoformat(local).replace(tzinfo=NY)
    assert fx_market_open(moment) is is_open


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
