"""End to end: the node's risk limits in a node built by `nautilus_node.live.node` against the simulated IB
Gateway: a daily loss from a price jump (`set-price`) halts the node by itself; a position or open-orders limit
turns the order that would cross it into `OrderDenied` naming the limit; NautilusTrader's own limits from
`[risk]` reach its risk engine."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from nautilus_trader.model.enums import OrderStatus

from nautilus_node.simgateway import SimulatedGateway
from tests.operator.live import FEED, LiveNode, start_node, wait_for
from tests.operator.receivers import Receiver

pytestmark = pytest.mark.e2e

BUY_ONCE = {
    "path": "tests.status.strategies:BuyOnce",
    "config_path": "tests.status.strategies:BuyOnceConfig",
    "config": {"instrument_id": FEED, "order_id_tag": "101"},
}
RESTING = {
    "path": "tests.status.strategies:RestingOrders",
    "config_path": "tests.status.strategies:RestingOrdersConfig",
    "config": {"instrument_id": FEED, "order_id_tag": "102"},
}


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IB_MAX_CONNECTION_ATTEMPTS", "6")
    with SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.1) as gw:
        yield gw


def _net(gateway: SimulatedGateway) -> Decimal:
    return sum((p.quantity for p in gateway.broker.positions()), Decimal(0))


def _denial(node: LiveNode, client_order_id: str) -> str | None:
    order = next((o for o in node.node.kernel.cache.orders() if str(o.client_order_id) == client_order_id), None)
    if order is None or order.status != OrderStatus.DENIED:
        return None
    return order.last_event.reason


def _limit(node: LiveNode, name: str) -> dict:
    return next(use for use in node.status()["limits"] if use["name"] == name)


def _limit_alerts(bodies: list[dict]) -> list[dict]:
    return [b for b in bodies if b["key"].startswith("limit:")]


def test_a_price_jump_past_the_daily_loss_limit_halts_the_node_and_alerts_once(gateway, tmp_path):
    receiver = Receiver()
    sections = {
        "strategies": [BUY_ONCE],
        "risk": {"max_daily_loss": 200.0},
        "alerts": {"webhooks": [f"http://127.0.0.1:{receiver.port}/hook"], "grace_secs": 30.0},
    }
    node = start_node(gateway, tmp_path, sections)
    try:
        wait_for(node.running, 60, "the node running")
        wait_for(lambda: _net(gateway) == 10_000, 30, "the strategy's position open")
        before = wait_for(lambda: node.status()["limits"] and _limit(node, "max_daily_loss"), 5, "the loss limit")
        assert before["limit"] == 200.0 and not before["breached"] and before["used"] < 50

        gateway.faults.set_price("EUR.USD", 1.04)  # 10 000 EUR about 400 USD lower
        trading = wait_for(
            lambda: node.status()["trading"]["state"] == "HALTED" and node.status()["trading"], 5, "halt"
        )
        assert trading["by"] == "limit max_daily_loss"
        assert trading["reason"].startswith("max_daily_loss breached: ") and "over the limit 200" in trading["reason"]
        used = _limit(node, "max_daily_loss")
        assert used["breached"] and used["used"] > 200 and used["percent"] > 100
        assert _net(gateway) == 10_000  # on_breach = "halt": positions stay, no strategy may add to them
        assert node.metrics()[("nautilus_node_limit_used_ratio", (("instrument", ""), ("limit", "max_daily_loss")))] > 1
        [alert] = _limit_alerts(receiver.wait_for(lambda b: len(_limit_alerts(b)) == 1, 5))
        assert alert["title"] == "limit max_daily_loss breached" and alert["message"] == trading["reason"]

        # Resumed while the loss is still past the limit: each next quote breaches and halts again.
        since = trading["since"]
        for _ in range(10):
            assert node.api("POST", "/api/resume", {})[0] == 200
            again = wait_for(
                lambda previous=since: (t := node.status()["trading"])["since"] not in (None, previous) and t,
                5,
                "halted again",
            )
            assert again["state"] == "HALTED" and again["by"] == "limit max_daily_loss"
            since = again["since"]
        time.sleep(1.0)  # the webhook's worker has had time to deliver anything queued
        assert len(_limit_alerts(receiver.bodies)) == 1  # 10 more breaches within the minute: no more alerts
        suppressed = [a for a in node.status()["alerts"]["recent"] if a["outcome"] == "suppressed"]
        assert any(a["key"] == "limit:max_daily_loss:" for a in suppressed)
        metrics = node.metrics()
        assert metrics[("nautilus_node_alerts_suppressed_total", ())] >= 10
        assert (
            metrics[("nautilus_node_alerts_delivered_total", (("destination", "webhook#1"), ("outcome", "sent")))] >= 1
        )
    finally:
        node.stop()
        receiver.close()


def test_orders_that_would_cross_the_position_or_open_orders_limit_are_denied_naming_it(gateway, tmp_path):
    risk = {"max_position": {FEED: 15_000.0}, "max_open_orders": 3, "max_order_submit_rate": "50/00:00:01"}
    node = start_node(gateway, tmp_path, {"strategies": [BUY_ONCE, RESTING], "risk": risk})
    try:
        wait_for(node.running, 60, "the node running")
        wait_for(lambda: _net(gateway) == 10_000 and len(gateway.broker.open_orders()) == 2, 30, "position, orders")
        assert node.node.kernel.risk_engine.max_order_submit_rate() == (50, timedelta(seconds=1))

        code, answer = node.api("POST", "/api/orders", {"instrument_id": FEED, "side": "BUY", "quantity": "10000"})
        assert code == 201
        reason = wait_for(lambda: _denial(node, answer["client_order_id"]), 5, "the buy denied")
        assert reason.startswith(f"max_position 15000 for {FEED}: the order could make it 30000")
        # the resting BUY limit (10 000) counts: 10 000 held + 10 000 working + 10 000 new

        code, answer = node.api(
            "POST",
            "/api/orders",
            {
                "instrument_id": FEED,
                "side": "SELL",
                "quantity": "1000",
                "type": "LIMIT",
                "price": "1.50000",
                "time_in_force": "GTC",
            },
        )
        assert code == 201  # reducing the position, within the limit: the third working order
        wait_for(lambda: len(gateway.broker.open_orders()) == 3, 10, "the third order working at the gateway")
        code, answer = node.api(
            "POST",
            "/api/orders",
            {
                "instrument_id": FEED,
                "side": "SELL",
                "quantity": "1000",
                "type": "LIMIT",
                "price": "1.60000",
                "time_in_force": "GTC",
            },
        )
        reason = wait_for(lambda: _denial(node, answer["client_order_id"]), 5, "the fourth order denied")
        assert reason == "max_open_orders 3 reached (3 working)"
        assert len(gateway.broker.open_orders()) == 3
        assert node.status()["trading"]["state"] == "ACTIVE"  # a refused order halts nothing
        wait_for(lambda: _limit(node, "max_open_orders")["used"] == 3, 5, "three of three open orders in the status")
        assert _limit(node, "max_position") | {"percent": None} == {
            "name": "max_position",
            "instrument_id": FEED,
            "limit": 15_000.0,
            "used": 10_000.0,
            "percent": None,
            "breached": False,
        }
    finally:
        node.stop()
