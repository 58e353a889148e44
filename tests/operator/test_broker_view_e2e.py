"""End to end: the broker's view of positions in a node built by `nautilus_node.live.node` against the simulated
IB Gateway: IB's net position beside each strategy's, and a fill from another client of the account (the
gateway's `external-fill` fault) flagged as a mismatch with an alert at a real local receiver within 5 s."""

from __future__ import annotations

import time

import pytest

from nautilus_node.simgateway import SimulatedGateway
from tests.operator.live import FEED, start_node, wait_for
from tests.operator.receivers import Receiver

pytestmark = pytest.mark.e2e

BUY_ONCE = {
    "path": "tests.status.strategies:BuyOnce",
    "config_path": "tests.status.strategies:BuyOnceConfig",
    "config": {"instrument_id": FEED, "order_id_tag": "101"},
}


def _row(status: dict) -> dict | None:
    return next((row for row in status.get("broker_positions", []) if row["instrument_id"] == FEED), None)


def test_a_fill_from_another_client_shows_as_a_mismatch_and_alerts_within_5_s(monkeypatch, tmp_path):
    monkeypatch.setenv("IB_MAX_CONNECTION_ATTEMPTS", "6")
    receiver = Receiver()
    alerts = {"webhooks": [f"http://127.0.0.1:{receiver.port}/hook"]}
    with SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.1) as gateway:
        node = start_node(gateway, tmp_path, {"strategies": [BUY_ONCE], "alerts": alerts})
        try:
            wait_for(node.running, 60, "the node running")
            agreed = wait_for(lambda: (r := _row(node.status())) and r["broker"] == 10_000 and r, 30, "IB's position")
            assert agreed == {
                "instrument_id": FEED,
                "broker": 10_000.0,
                "node": 10_000.0,
                "strategies": {"BuyOnce-101": 10_000.0},
                "mismatch": False,
                "since": None,
            }

            filled_at = time.monotonic()
            gateway.faults.external_fill("EUR.USD", "-4000")
            row = wait_for(lambda: (r := _row(node.status())) and r["mismatch"] and r, 5, "the mismatch flagged")
            assert time.monotonic() - filled_at <= 5
            assert (row["broker"], row["node"], row["strategies"]["BuyOnce-101"]) == (6_000.0, 10_000.0, 10_000.0)
            [alert] = receiver.wait_for(lambda b: any(x["key"].startswith("position_mismatch") for x in b), 5)[-1:]
            assert time.monotonic() - filled_at <= 5
            assert alert["key"] == f"position_mismatch:{FEED}" and alert["kind"] == "alert"
            assert alert["message"].startswith(f"IB holds 6000 of {FEED}, the strategies 10000")
            assert node.metrics()[("nautilus_node_position_mismatch", (("instrument", FEED),))] == 1
        finally:
            node.stop()
            receiver.close()
