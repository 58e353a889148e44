"""Which conditions alert and when, through a real `Alerter` to a real local receiver: a lasting condition only
after its grace and once, its end once as "recovered"; an order denied at once, with its reason."""

from __future__ import annotations

import msgspec
import pytest
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.model.events import OrderDenied
from nautilus_trader.model.identifiers import ClientOrderId, InstrumentId, StrategyId, TraderId

from nautilus_node.status.alert_rules import AlertRules
from nautilus_node.status.alerts import Alerter, destinations
from nautilus_node.status.snapshot import Gateway, Health
from tests.operator.receivers import Receiver
from tests.status.conftest import sample_snapshot


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def alerter(receiver):
    made = Alerter(destinations([], [f"http://127.0.0.1:{receiver.port}/"], 5.0), dedup_secs=0)
    yield made
    made.close()


@pytest.fixture
def rules(alerter):
    return AlertRules(alerter, grace_secs=10.0, now_iso=lambda: "2026-12-07T12:00:00.000Z")


def _down(snapshot):  # type: ignore[no-untyped-def]
    gateway = msgspec.structs.replace(snapshot.gateway, state="disconnected")
    return msgspec.structs.replace(snapshot, gateway=gateway, health=Health(healthy=False, reasons=["gateway down"]))


def test_a_lasting_condition_alerts_once_after_its_grace_and_recovers_once(rules, alerter, receiver):
    healthy = sample_snapshot()
    assert isinstance(healthy.gateway, Gateway) and healthy.health.healthy
    rules.on_snapshot(healthy, 0.0)
    for t in (1.0, 5.0, 9.9):  # within the grace: nothing
        rules.on_snapshot(_down(healthy), t)
    assert alerter.view().raised == 0
    rules.on_snapshot(_down(healthy), 11.0)
    rules.on_snapshot(_down(healthy), 12.0)
    rules.on_snapshot(_down(healthy), 30.0)
    assert alerter.view().raised == 2  # one each, not one per snapshot
    bodies = receiver.wait_for(lambda b: len(b) == 2, 5)
    assert sorted(b["key"] for b in bodies) == ["gateway_disconnected", "unhealthy"]
    gateway = next(b for b in bodies if b["key"] == "gateway_disconnected")
    assert gateway["message"] == ("IB Gateway 127.0.0.1:4002 disconnected since 2026-11-25T12:00:01.000Z (for 10 s)")
    rules.on_snapshot(healthy, 31.0)
    rules.on_snapshot(healthy, 32.0)
    bodies = receiver.wait_for(lambda b: len(b) == 4, 5)
    recovered = sorted(b["title"] for b in bodies if b["kind"] == "recovered")
    assert recovered == ["recovered: gateway disconnected", "recovered: node unhealthy"]


def test_a_required_feed_gone_stale_alerts_as_dead_after_the_grace(rules, receiver):
    snapshot = sample_snapshot()
    [feed] = snapshot.feeds
    stale = msgspec.structs.replace(snapshot, feeds=[msgspec.structs.replace(feed, state="stale", reason="no quote")])
    rules.on_snapshot(stale, 0.0)
    rules.on_snapshot(stale, 10.0)
    [body] = receiver.wait_for(lambda b: len(b) == 1, 5)
    assert body["key"] == "feed_dead:EUR/USD.IDEALPRO:quotes" and body["message"] == "stale: no quote (for 10 s)"


def test_an_order_denied_alerts_at_once_with_its_reason(rules, alerter, receiver):
    denied = OrderDenied(
        TraderId("NODE-001"),
        StrategyId("ManualOrders-002"),
        InstrumentId.from_str("EUR/USD.IDEALPRO"),
        ClientOrderId("O-1"),
        "max_open_orders 3 reached (3 working)",
        UUID4(),
        0,
    )
    rules.on_order_event("denied", denied)
    rules.on_order_event("accepted", denied)  # only rejections and denials alert
    assert alerter.view().raised == 1
    [body] = receiver.wait_for(lambda b: len(b) == 1, 5)
    assert body["title"] == "order denied"
    assert body["message"] == "O-1 of ManualOrders-002 denied: max_open_orders 3 reached (3 working)"
