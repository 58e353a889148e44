"""Health: healthy only when the gateway is connected, required feeds are fresh and strategies run."""

from __future__ import annotations

import msgspec

from nautilus_node.status.health import assess, current_health
from nautilus_node.status.snapshot import Feed, Strategy, parse_iso
from tests.status.conftest import sample_snapshot


def _assess(snapshot):
    return assess(snapshot.node, snapshot.gateway, snapshot.feeds, snapshot.strategies)


def test_connected_running_and_fresh_is_healthy():
    health = _assess(sample_snapshot())
    assert health.healthy and health.reasons == []


def test_a_disconnected_gateway_is_unhealthy_and_says_since_when():
    snapshot = sample_snapshot()
    gateway = msgspec.structs.replace(snapshot.gateway, state="reconnecting", since="2026-11-25T12:59:58.000Z")
    health = _assess(msgspec.structs.replace(snapshot, gateway=gateway))
    assert not health.healthy
    assert health.reasons == ["gateway 127.0.0.1:4002 reconnecting since 2026-11-25T12:59:58.000Z"]


def test_a_stale_required_feed_is_unhealthy_but_a_stale_optional_one_is_not():
    snapshot = sample_snapshot()
    stale = msgspec.structs.replace(snapshot.feeds[0], state="stale", reason="no data for 31 s (threshold 30 s)")
    optional = Feed(
        topic="data.quotes.IDEALPRO.GBP/USD",
        name="GBP/USD.IDEALPRO",
        data_type="quotes",
        required=False,
        state="stale",
        count=0,
        rate_per_sec=0.0,
        last_event_at=None,
        age_secs=None,
        reason="no data",
    )
    assert _assess(msgspec.structs.replace(snapshot, feeds=[snapshot.feeds[0], optional])).healthy
    health = _assess(msgspec.structs.replace(snapshot, feeds=[stale]))
    assert health.reasons == ["required feed EUR/USD.IDEALPRO (quotes) stale: no data for 31 s (threshold 30 s)"]


def test_a_closed_market_does_not_make_a_quiet_required_feed_unhealthy():
    snapshot = sample_snapshot()
    closed = msgspec.structs.replace(snapshot.feeds[0], state="closed", reason="market closed")
    assert _assess(msgspec.structs.replace(snapshot, feeds=[closed])).healthy


def test_a_strategy_that_never_started_is_unhealthy_with_its_reason():
    snapshot = sample_snapshot()
    never = Strategy(
        strategy_id="EMACross-000", state="NEVER_STARTED", reason="startup reconciliation did not complete"
    )
    node = msgspec.structs.replace(snapshot.node, state="startup_incomplete")
    health = _assess(msgspec.structs.replace(snapshot, strategies=[never], node=node))
    assert health.reasons == [
        "node startup incomplete",
        "strategy EMACross-000 never started (startup reconciliation did not complete)",
    ]


def test_an_out_of_date_snapshot_is_unhealthy_even_if_it_said_healthy():
    snapshot = sample_snapshot()
    generated = parse_iso(snapshot.generated_at)
    assert current_health(snapshot, generated + 4.0).healthy
    late = current_health(snapshot, generated + 60.0)
    assert not late.healthy
    assert late.reasons == ["status snapshot is 60 s old: the node is not updating it"]
