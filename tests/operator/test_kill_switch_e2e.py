"""End to end: the kill switch of a node built by `nautilus_node.live.node` against the simulated IB Gateway
over a real socket: halt with flatten, the next order denied, the halt kept across a restart, resume (the CLI's),
401 without the token; and the CLI's halt without flatten."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner

from nautilus_node.cli import main
from nautilus_node.simgateway import SimulatedGateway
from tests.operator.live import FEED, LiveNode, start_node, wait_for

pytestmark = pytest.mark.e2e

STRATEGIES = {
    "strategies": [
        {
            "path": "tests.status.strategies:RestingOrders",
            "config_path": "tests.status.strategies:RestingOrdersConfig",
            "config": {"instrument_id": FEED, "order_id_tag": "101"},
        },
        {
            "path": "tests.status.strategies:RestingOrders",
            "config_path": "tests.status.strategies:RestingOrdersConfig",
            "config": {"instrument_id": FEED, "order_id_tag": "102"},
        },
        {
            "path": "tests.status.strategies:BuyOnce",
            "config_path": "tests.status.strategies:BuyOnceConfig",
            "config": {"instrument_id": FEED, "order_id_tag": "103"},
        },
    ],
}


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IB_MAX_CONNECTION_ATTEMPTS", "6")
    with SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.1) as gw:
        yield gw


def _net_position(gateway: SimulatedGateway) -> Decimal:
    return sum((p.quantity for p in gateway.broker.positions()), Decimal(0))


def _order_events(node: LiveNode, kind: str) -> int:
    return node.status().get("order_events", {}).get(kind, 0)


def test_halt_flattens_at_the_gateway_denies_the_next_order_survives_a_restart_until_resumed(gateway, tmp_path):
    node = start_node(gateway, tmp_path, STRATEGIES)
    try:
        wait_for(node.running, 60, "the node running")
        wait_for(lambda: len(gateway.broker.open_orders()) == 4, 30, "four orders resting from two strategies")
        wait_for(lambda: _net_position(gateway) == 10_000, 30, "the strategy's position open at the gateway")
        assert node.status()["trading"] == {
            "state": "ACTIVE",
            "by": None,
            "reason": None,
            "since": None,
            "flatten": False,
        }

        assert node.api("POST", "/api/halt", {"flatten": True}, token=False)[0] == 401
        assert node.status()["trading"]["state"] == "ACTIVE"  # refused without the token: nothing done

        code, answer = node.api("POST", "/api/halt", {"flatten": True})
        assert code == 202, answer
        assert answer["cancelled_orders"] == 4 and answer["closing_positions"] == 1
        wait_for(lambda: not gateway.broker.open_orders() and _net_position(gateway) == 0, 5, "flat, no orders")
        trading = wait_for(
            lambda: node.status()["trading"]["state"] == "HALTED" and node.status()["trading"], 5, "HALTED"
        )
        assert trading["by"].startswith("api 127.0.0.1") and trading["flatten"] is True and trading["since"]
        assert (tmp_path / "status" / "halt.json").exists()
        metrics = node.metrics()
        assert metrics[("nautilus_node_trading_halted", ())] == 1
        assert metrics[("nautilus_node_trading_state", (("state", "HALTED"),))] == 1
        assert metrics[("nautilus_node_trading_state", (("state", "ACTIVE"),))] == 0

        denied = _order_events(node, "denied")
        code, _ = node.api("POST", "/api/orders", {"instrument_id": FEED, "side": "BUY", "quantity": "10000"})
        assert code == 201  # accepted by the desk, then denied by NautilusTrader's risk engine
        wait_for(lambda: _order_events(node, "denied") == denied + 1, 5, "the next order denied")
        assert _net_position(gateway) == 0
    finally:
        node.stop()

    again = start_node(gateway, tmp_path, {})
    try:
        wait_for(again.running, 60, "the restarted node running")
        assert again.status()["trading"]["state"] == "HALTED"
        code, _ = again.api("POST", "/api/orders", {"instrument_id": FEED, "side": "BUY", "quantity": "10000"})
        assert code == 201
        wait_for(lambda: _order_events(again, "denied") == 1, 5, "an order denied after the restart")

        assert again.api("POST", "/api/resume", {}, token=False)[0] == 401
        token_file = tmp_path / "status" / "control.token"
        resumed = CliRunner().invoke(main, ["resume", "--url", again.url, "--token-file", str(token_file)])
        assert resumed.exit_code == 0, resumed.output
        assert resumed.output == "trading ACTIVE: halt lifted\n"
        assert not (tmp_path / "status" / "halt.json").exists()
        code, _ = again.api("POST", "/api/orders", {"instrument_id": FEED, "side": "BUY", "quantity": "10000"})
        assert code == 201
        wait_for(lambda: _net_position(gateway) == 10_000, 10, "the order filled once resumed")
        wait_for(lambda: again.status()["trading"]["state"] == "ACTIVE", 5, "ACTIVE in the status")
    finally:
        again.stop()


def test_cli_halt_cancels_orders_on_every_instrument_keeps_positions_and_refuses_a_wrong_token(gateway, tmp_path):
    limits = {
        "path": "tests.operator.strategies:RestingLimits",
        "config_path": "tests.operator.strategies:RestingLimitsConfig",
        "config": {"limits": {FEED: "1.00000", "SPY.ARCA": "1.00"}, "quantity": 1000, "order_id_tag": "104"},
    }
    sections = {"strategies": [STRATEGIES["strategies"][2], limits], "instruments": {"load": [FEED, "SPY.ARCA"]}}
    node = start_node(gateway, tmp_path, sections)
    try:
        wait_for(node.running, 60, "the node running")
        wait_for(lambda: len(gateway.broker.open_orders()) == 2 and _net_position(gateway) == 10_000, 30, "orders")
        assert {o.request.spec.symbol for o in gateway.broker.open_orders()} == {"EUR", "SPY"}
        wrong = tmp_path / "wrong.token"
        wrong.write_text("not-the-token\n")
        refused = CliRunner().invoke(main, ["halt", "--url", node.url, "--token-file", str(wrong)])
        assert refused.exit_code == 1
        assert refused.output.startswith("error: ") and "HTTP 401" in refused.output
        assert refused.output.count("\n") == 1

        token_file = tmp_path / "status" / "control.token"
        halted = CliRunner().invoke(main, ["halt", "--url", node.url, "--token-file", str(token_file)])
        assert halted.exit_code == 0, halted.output
        assert halted.output.startswith("trading HALTED at ") and "2 open orders cancelled" in halted.output
        wait_for(lambda: not gateway.broker.open_orders(), 5, "the orders cancelled at the gateway")
        trading = wait_for(
            lambda: node.status()["trading"]["state"] == "HALTED" and node.status()["trading"], 5, "HALTED"
        )
        assert trading["by"].startswith("cli ") and trading["flatten"] is False
        assert _net_position(gateway) == 10_000  # without --flatten the position stays
    finally:
        node.stop()


def test_cli_halt_without_a_token_file_is_one_line_exit_2(tmp_path, monkeypatch):
    monkeypatch.delenv("NAUTILUS_NODE_CONTROL_TOKEN", raising=False)
    missing = tmp_path / "none" / "control.token"
    result = CliRunner().invoke(main, ["halt", "--url", "http://127.0.0.1:9", "--token-file", str(missing)])
    assert result.exit_code == 2
    hint = "(is the node running? see --token-file or NAUTILUS_NODE_CONTROL_TOKEN)"
    assert result.output == f"error: {missing}: no control token {hint}\n"
