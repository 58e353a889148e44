"""The liveness book alone: silence, back-off, dead after its tries, live again on data."""

from __future__ import annotations

import pytest

from nautilus_node.live.liveness import LivenessBook, LivenessPolicy
from nautilus_node.live.resilient_client import subscription_kind, subscription_label

S = 1_000_000_000


def book(max_tries: int = 3) -> LivenessBook:
    return LivenessBook(LivenessPolicy(quote_silence_secs=2, max_tries=max_tries, backoff_max_secs=60))


def test_a_subscription_with_data_is_never_due():
    b = book()
    b.track("q", "quotes", 2.0, 0)
    for second in range(1, 10):
        b.seen("q", second * S)
        assert b.due(second * S) == []
    assert b.watches()[0].state == "live"


def test_silence_beyond_the_expected_interval_makes_it_due_once_then_with_back_off():
    b = book()
    b.track("q", "quotes", 2.0, 0)
    assert b.due(2 * S) == []
    assert b.due(2 * S + 1) == ["q"]
    watch = b.watches()[0]
    assert (watch.state, watch.tries, watch.cause) == ("recovering", 1, "silent")
    assert b.due(3 * S) == []  # back-off: 2 s after the first try
    assert b.due(4 * S + 1) == ["q"]
    assert b.due(6 * S + 1) == []  # then 4 s
    assert b.due(8 * S + 1) == ["q"]
    assert b.watches()[0].tries == 3


def test_after_its_tries_it_is_dead_until_data_comes():
    b = book(max_tries=2)
    b.track("q", "quotes", 2.0, 0)
    b.due(3 * S)
    b.due(6 * S)
    assert b.due(100 * S) == []
    watch = b.watches()[0]
    assert (watch.state, watch.tries) == ("dead", 2)
    assert b.due(1000 * S) == []
    b.seen("q", 1001 * S)
    assert (watch.state, watch.tries, watch.recovering_since_ns) == ("live", 0, None)


def test_a_pause_restarts_the_silence_count():
    b = book()
    b.track("q", "quotes", 2.0, 0)
    b.pause(10 * S)
    assert b.due(11 * S) == []
    assert b.due(12 * S + 1) == ["q"]


def test_a_known_cause_marks_it_recovering_and_resets_a_dead_one():
    b = book(max_tries=1)
    b.track("q", "quotes", 2.0, 0)
    b.due(3 * S)
    b.due(10 * S)
    assert b.watches()[0].state == "dead"
    b.recovering("q", "reconnect", 20 * S)
    watch = b.watches()[0]
    assert (watch.state, watch.tries, watch.cause, watch.recovering_since_ns) == ("recovering", 0, "reconnect", 20 * S)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        (("EUR/USD.IDEALPRO", "market_data"), "quotes"),
        (("SPY.ARCA", "BidAsk"), "ticks"),
        (("SPY.ARCA", "AllLast"), "ticks"),
        ("EUR/USD.IDEALPRO-5-SECOND-MID-EXTERNAL", "bars"),
        ("EUR/USD.IDEALPRO-1-MINUTE-MID-EXTERNAL", "live_bars"),
        (("EUR/USD.IDEALPRO", "order_book"), "other"),
    ],
)
def test_subscription_kinds(name, kind):
    assert subscription_kind(name) == kind


def test_subscription_labels():
    assert subscription_label(("EUR/USD.IDEALPRO", "market_data")) == "EUR/USD.IDEALPRO market_data"
    assert subscription_label("EUR/USD.IDEALPRO-5-SECOND-MID-EXTERNAL") == "EUR/USD.IDEALPRO-5-SECOND-MID-EXTERNAL"


def test_a_pause_of_named_subscriptions_leaves_the_others_counting():
    b = book()
    b.track("fx", "quotes", 2.0, 0)
    b.track("stock", "quotes", 2.0, 0)
    for second in range(1, 10):  # the stock's market is closed: paused every check
        b.pause(second * S, ["stock", "unknown"])
    assert b.due(9 * S) == ["fx"]
    assert b.due(11 * S) == ["fx"]  # its second try; the stock is not due yet
    assert b.due(11 * S + 1) == ["stock"]  # its full interval after the last pause
