"""Status from the resilient client's report: subscription texts, the reconnect line, health reasons."""

from __future__ import annotations

from types import SimpleNamespace

from nautilus_node.live.resilient_client import ConnectionStatus, SubscriptionStatus
from nautilus_node.status.resilience import resilience_lines, resilience_view, unhealthy_subscriptions
from nautilus_node.status.snapshot import Feed, parse_iso

T0 = 1_800_000_000_000_000_000


def feed(name: str, required: bool) -> Feed:
    return Feed(
        topic=f"data.quotes.{name}", name=name, data_type="quotes", required=required, state="fresh", count=1,
        rate_per_sec=1.0, last_event_at=None, age_secs=None,
    )  # fmt: skip


def client(*subscriptions: SubscriptionStatus, attempts: int = 0, down_ns: int | None = None) -> SimpleNamespace:
    status = ConnectionStatus(
        attempts=attempts,
        next_attempt_ns=down_ns + 2_000_000_000 if down_ns else None,
        reconnects=2,
        disconnected_since_ns=down_ns,
        subscriptions=list(subscriptions),
    )
    return SimpleNamespace(connection_status=lambda: status)


def sub(name: str, state: str, since_ns: int | None, tries: int = 0) -> SubscriptionStatus:
    return SubscriptionStatus(name, "quotes", state, since_ns, tries, "silent", None)


def test_each_subscription_reads_live_recovering_since_or_dead_after_its_tries():
    view = resilience_view(
        client(sub("A live", "live", T0), sub("B rec", "recovering", T0, 1), sub("C dead", "dead", T0, 5))
    )
    assert [s.text for s in view.subscriptions] == [
        "live",
        "recovering since 2027-01-15T08:00:00.000Z",
        "dead after 5 tries",
    ]


def test_the_plain_client_has_no_resilience_view():
    assert resilience_view(object()) is None


def test_reconnect_attempts_and_the_next_attempt_are_shown_while_disconnected():
    lines = resilience_lines(resilience_view(client(attempts=3, down_ns=T0)))
    assert lines[0].strip() == (
        "reconnect attempt 3 (disconnected since 2027-01-15T08:00:00.000Z), next at 2027-01-15T08:00:02.000Z"
    )
    assert resilience_lines(resilience_view(client()))[0].strip() == "reconnects 2"


def test_a_required_feed_recovering_beyond_its_staleness_limit_or_dead_is_a_health_reason():
    view = resilience_view(
        client(
            sub("EUR/USD.IDEALPRO market_data", "recovering", T0),
            sub("SPY.ARCA BidAsk", "dead", T0, 3),
        )
    )
    feeds = [feed("EUR/USD.IDEALPRO", True), feed("SPY.ARCA", False)]
    assert unhealthy_subscriptions(view, feeds, 10.0, T0 + 9_000_000_000) == []
    [reason] = unhealthy_subscriptions(view, feeds, 10.0, T0 + 11_000_000_000)
    assert reason.startswith("required feed EUR/USD.IDEALPRO market_data recovering since")
    feeds[1] = feed("SPY.ARCA", True)
    reasons = unhealthy_subscriptions(view, feeds, 10.0, T0 + 1)
    assert reasons == ["required feed SPY.ARCA BidAsk dead after 3 tries"]
    assert parse_iso(view.subscriptions[0].since) == T0 / 1e9
