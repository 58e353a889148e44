"""End to end: alerts of a node built by `nautilus_node.live.node` against the simulated IB Gateway, to a real
local receiver (a plain webhook) beside an apprise destination that hangs: the gateway gone past the grace (its
process killed with -9 and started again on its state file, or refusing connections for a while) sends one
"gateway disconnected" alert and, once it is back, one "recovered"."""

from __future__ import annotations

import time

import pytest

from nautilus_node.simgateway import SimulatedGateway
from tests.operator.live import FEED, start_node, wait_for
from tests.operator.receivers import Hanging, Receiver, unused_port
from tests.resilience.test_gateway_kill import GatewayProcess

pytestmark = pytest.mark.e2e

GRACE_SECS = 2.0
QUOTES = {
    "path": "tests.status.strategies:BuyOnce",
    "config_path": "tests.status.strategies:BuyOnceConfig",
    "config": {"instrument_id": FEED, "buy": False},
}


def _gateway_alerts(bodies: list[dict]) -> list[dict]:
    return [b for b in bodies if b.get("key") == "gateway_disconnected"]


def test_the_gateway_gone_past_the_grace_alerts_once_and_recovers_once(monkeypatch, tmp_path):
    monkeypatch.setenv("IB_MAX_CONNECTION_ATTEMPTS", "20")
    receiver, hanging = Receiver(), Hanging()
    alerts = {
        "urls": [f"json://127.0.0.1:{hanging.port}/?rto=60"],
        "webhooks": [f"http://127.0.0.1:{receiver.port}/hook"],
        "grace_secs": GRACE_SECS,
    }
    with SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.1) as gateway:
        sections = {"alerts": alerts, "status": _status(tmp_path), "strategies": [QUOTES]}
        node = start_node(gateway, tmp_path, sections)
        try:
            wait_for(lambda: node.status().get("health", {}).get("healthy"), 60, "a healthy node")
            gone_at = time.monotonic()
            gateway.faults.restart(refuse_for=GRACE_SECS + 4)
            [alert] = _gateway_alerts(receiver.wait_for(lambda b: len(_gateway_alerts(b)) == 1, 15))
            assert time.monotonic() - gone_at >= GRACE_SECS  # not before the grace
            assert alert["kind"] == "alert" and alert["title"] == "gateway disconnected"
            assert alert["message"].startswith(f"IB Gateway 127.0.0.1:{gateway.port} ")

            bodies = receiver.wait_for(lambda b: len(_gateway_alerts(b)) == 2, 60)
            assert [b["kind"] for b in _gateway_alerts(bodies)] == ["alert", "recovered"]
            wait_for(lambda: node.status().get("health", {}).get("healthy"), 60, "healthy again")
            time.sleep(1.0)
            assert len(_gateway_alerts(receiver.bodies)) == 2  # one each, not one per snapshot
            destinations = {d["name"]: d for d in node.status()["alerts"]["destinations"]}
            assert destinations["webhook#1"]["sent"] >= 2 and destinations["apprise#1"]["sent"] == 0
        finally:
            node.stop()
            receiver.close()
            hanging.close()


def _status(tmp_path) -> dict:
    return {"port": 0, "file": str(tmp_path / "status" / "status.json"), "required_feeds": [FEED]}


def test_the_gateway_process_killed_alerts_once_after_the_grace_and_recovers_once(monkeypatch, tmp_path):
    monkeypatch.setenv("IB_MAX_CONNECTION_ATTEMPTS", "20")
    receiver, hanging = Receiver(), Hanging()
    alerts = {
        "urls": [f"json://127.0.0.1:{hanging.port}/?rto=60"],
        "webhooks": [f"http://127.0.0.1:{receiver.port}/hook"],
        "grace_secs": GRACE_SECS,
    }
    gateway = GatewayProcess(unused_port(), unused_port(), tmp_path / "gateway-state.pickle")
    gateway.start()
    node = start_node(gateway, tmp_path, {"alerts": alerts, "status": _status(tmp_path), "strategies": [QUOTES]})  # type: ignore[arg-type]
    try:
        wait_for(lambda: node.status().get("health", {}).get("healthy"), 60, "a healthy node")
        gateway.kill()
        killed_at = time.monotonic()
        [alert] = _gateway_alerts(receiver.wait_for(lambda b: len(_gateway_alerts(b)) == 1, 15))
        assert time.monotonic() - killed_at >= GRACE_SECS
        assert alert["kind"] == "alert" and alert["title"] == "gateway disconnected"
        time.sleep(2.0)  # gone for longer: still the one alert
        assert len(_gateway_alerts(receiver.bodies)) == 1
        gateway.start()
        bodies = receiver.wait_for(lambda b: len(_gateway_alerts(b)) == 2, 60)
        assert [b["kind"] for b in _gateway_alerts(bodies)] == ["alert", "recovered"]
    finally:
        node.stop()
        if gateway.process is not None and gateway.process.poll() is None:
            gateway.kill()
        receiver.close()
        hanging.close()
