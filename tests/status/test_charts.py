"""Chart points: one per quote feed per interval, every bar, the fills, equity, and feed state changes only."""

from __future__ import annotations

import msgspec
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.objects import Price, Quantity

from nautilus_node.status.charts import MAX_POINTS, ChartHistory, ChartRecorder, ChartUpdate, FeedMark, PricePoint
from nautilus_node.status.snapshot import Pnl, Subscription
from tests.status.conftest import START_NS, eurusd, quotes, sample_snapshot

SECOND = 1_000_000_000


def _bar(ts_ns: int, close: float) -> Bar:
    bar_type = BarType.from_str("EUR/USD.SIM-1-SECOND-MID-INTERNAL")
    px = Price(close, 5)
    return Bar(bar_type, px, px, px, px, Quantity.from_int(1), ts_ns, ts_ns)


def test_an_update_holds_the_newest_quote_mid_every_bar_the_fills_equity_and_changed_feed_states():
    recorder = ChartRecorder()
    feed = sample_snapshot().feeds[0]
    [quote] = quotes(eurusd().id, 1)
    update = recorder.update(
        START_NS,
        [quote],
        [_bar(START_NS, 1.1), _bar(START_NS + SECOND, 1.2)],
        [feed],
        Pnl(currency="USD", equity=1e6, unrealized=2.5),
    )
    mid = (quote.bid_price.as_double() + quote.ask_price.as_double()) / 2
    assert update.prices == {"EUR/USD.SIM": [PricePoint(time=START_NS / 1e9, value=mid)]}
    assert [c.close for c in update.candles["EUR/USD.SIM"]] == [1.1, 1.2]
    assert [(e.equity, e.unrealized) for e in update.equity] == [(1e6, 2.5)] and update.currency == "USD"
    assert update.feed_states == {"EUR/USD.IDEALPRO quotes": [FeedMark(time=START_NS / 1e9, state="fresh")]}
    again = recorder.update(START_NS + SECOND, [], [], [feed], None)
    assert again.feed_states == {} and again.prices == {} and again.equity == []  # nothing changed, nothing sent


def test_the_history_keeps_a_bounded_number_of_points_per_instrument():
    history = ChartHistory()
    for i in range(MAX_POINTS + 10):
        history.add(ChartUpdate(prices={"X.Y": [PricePoint(time=float(i), value=1.0)]}))
    kept = history.snapshot().prices["X.Y"]
    assert len(kept) == MAX_POINTS and kept[0].time == 10.0


def test_gateway_subscriptions_join_the_strip_with_recovering_shown_as_such():
    recorder = ChartRecorder()
    live = Subscription(name="EUR.USD", kind="quotes", state="live", since=None, tries=0, text="live")
    recovering = msgspec.structs.replace(live, state="recovering", tries=1, text="recovering since …")
    key = "EUR.USD IB quotes subscription"
    assert recorder.update(START_NS, [], [], [], None, [live]).feed_states == {key: [FeedMark(START_NS / 1e9, "fresh")]}
    later = START_NS + SECOND
    assert recorder.update(later, [], [], [], None, [recovering]).feed_states == {
        key: [FeedMark(later / 1e9, "recovering")]
    }
