"""What judging each feed by its instrument's own hours costs a status snapshot: the feed monitor's views over
feeds whose instruments carry IB's hours text, against the same monitor with `market_hours = "always"` (the
baseline, no calendar), in the same run."""

from __future__ import annotations

import time

import pytest
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import MessageBus, TestClock
from nautilus_trader.model.identifiers import InstrumentId, TraderId
from nautilus_trader.model.instruments import CurrencyPair

from nautilus_node.ib.hours import FX
from nautilus_node.ib.market_state import MarketClock
from nautilus_node.status.feeds import FeedMonitor
from tests.benchmarks.goals import check_absolute_goal
from tests.status.conftest import eurusd

pytestmark = pytest.mark.benchmark

FEEDS = 50
SNAPSHOTS = 400
WEDNESDAY_NOON_NS = 1_893_603_600_000_000_000  # 2030-01-02 17:00 UTC: FX open
MAX_RATIO = 3.0
GOAL_US_PER_FEED = 20.0


def _monitor(market_hours: str) -> FeedMonitor:
    cache, bus = Cache(), MessageBus(TraderId("NODE-001"), TestClock())
    fields = CurrencyPair.to_dict(eurusd())
    hours = {"tradingHours": FX.text(WEDNESDAY_NOON_NS / 1e9), "timeZoneId": "US/Eastern"}
    for index in range(FEEDS):
        instrument = CurrencyPair.from_dict(
            {**fields, "id": f"C{index:02d}/USD.SIM", "raw_symbol": f"C{index:02d}/USD", "info": hours}
        )
        cache.add_instrument(instrument)
        bus.subscribe(topic=f"data.quotes.SIM.{instrument.id.symbol}", handler=lambda _: None)
    monitor = FeedMonitor(bus, 10.0, [], MarketClock(cache, market_hours).state)
    monitor.discover(WEDNESDAY_NOON_NS)
    assert cache.instrument(InstrumentId.from_str("C00/USD.SIM")).info == hours
    return monitor


def _us_per_feed(monitor: FeedMonitor) -> float:
    started = time.perf_counter()
    for step in range(SNAPSHOTS):
        monitor.views(WEDNESDAY_NOON_NS + step * 1_000_000_000, None, None)
    return (time.perf_counter() - started) / (SNAPSHOTS * FEEDS) * 1e6


def test_judging_feeds_by_their_instruments_hours_costs_a_snapshot_little():
    always, instruments = _monitor("always"), _monitor("instruments")
    _us_per_feed(always), _us_per_feed(instruments)  # warm
    rounds = [(_us_per_feed(always), _us_per_feed(instruments)) for _ in range(7)]  # interleaved: same load
    baseline, judged = min(r[0] for r in rounds), min(r[1] for r in rounds)
    ratio = judged / baseline
    print(
        f"\nfeed views: {judged:.2f} µs/feed by instrument hours vs {baseline:.2f} µs/feed always open "
        f"(baseline); ratio {ratio:.2f} (limit {MAX_RATIO})"
    )
    later = WEDNESDAY_NOON_NS + SNAPSHOTS * 1_000_000_000
    assert {f.state for f in instruments.views(later, None, None)} == {"stale"}  # open by its hours: judged
    assert ratio <= MAX_RATIO
    check_absolute_goal(judged <= GOAL_US_PER_FEED, f"{judged:.2f} µs per feed judged (goal {GOAL_US_PER_FEED})")
