"""A node killed with -9 and started again adopts its working order and position and places nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nautilus_node.simgateway import SimulatedGateway
from tests.resilience.harness import assert_no_order_duplicated, wait_until

pytestmark = pytest.mark.e2e

STRATEGY = "tests.resilience.adopting_strategy"


def write_config(path: Path, gateway: SimulatedGateway, status_file: Path) -> None:
    path.write_text(
        f"""
[node]
trader_id = "KILL-001"
log_level = "ERROR"
log_directory = "{path.parent / "logs"}"

[gateway]
port = {gateway.port}
account = "{gateway.account}"
client_id = 31

[instruments]
load = ["EUR/USD.IDEALPRO"]

[[strategies]]
path = "{STRATEGY}:BuyAndRest"
config_path = "{STRATEGY}:BuyAndRestConfig"
[strategies.config]
external_order_claims = ["EUR/USD.IDEALPRO"]

[status]
port = 0
file = "{status_file}"
market_hours = "always"
""",
        encoding="utf-8",
    )


def status(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def start(config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "nautilus_node", "run", str(config)],
        cwd=Path(__file__).parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_node_killed_and_restarted_adopts_its_orders_and_places_nothing_twice(tmp_path: Path):
    with SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.1) as gateway:
        config, status_file = tmp_path / "node.toml", tmp_path / "status.json"
        write_config(config, gateway, status_file)
        first = start(config)
        try:
            wait_until(lambda: len(gateway.broker.executions()) == 1, 60, "the first node's market order filled")
            wait_until(lambda: len(gateway.broker.open_orders()) == 1, 10, "the first node's resting order")
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        status_file.unlink(missing_ok=True)
        second = start(config)
        try:

            def adopted() -> bool:
                snapshot = status(status_file)
                orders = [o for o in snapshot.get("orders", []) if o["strategy_id"] == "BuyAndRest-000"]
                positions = [p for p in snapshot.get("positions", []) if p["strategy_id"] == "BuyAndRest-000"]
                return len(orders) == 1 and len(positions) == 1 and snapshot["node"]["state"] == "running"

            wait_until(adopted, 60, "the second node to adopt the order and the position")
            snapshot = status(status_file)
            [order] = [o for o in snapshot["orders"] if o["strategy_id"] == "BuyAndRest-000"]
            assert order["type"] == "LIMIT" and order["status"] == "ACCEPTED"
            [position] = [p for p in snapshot["positions"] if p["strategy_id"] == "BuyAndRest-000"]
            assert position["quantity"] == "20000"
            # The strategy decides on its first quote: once quotes have reached it, it has decided.
            wait_until(
                lambda: any(f["count"] > 0 for f in status(status_file).get("feeds", [])), 20, "quotes at the node"
            )
            assert len(gateway.broker._book.orders) == 2, "the second node placed an order again"
            assert len(gateway.broker.executions()) == 1
            assert_no_order_duplicated(gateway)
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(second.pid, signal.SIGKILL)
                second.wait(10)
