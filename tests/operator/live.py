"""A node built by `nautilus_node.live.node` (the real IB adapter, the status actor, `ManualOrders`) running on a
thread of its own against the simulated IB Gateway, with HTTP helpers for its status and control API."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from nautilus_trader.common.config import ImportableActorConfig
from nautilus_trader.live.node import TradingNode
from prometheus_client.parser import text_string_to_metric_families

from nautilus_node.live.node import build_node_config, create_node, dispose_node
from nautilus_node.settings import parse_settings
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.status.actor import StatusActor

FEED = "EUR/USD.IDEALPRO"


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """The first truthy value of `condition()` within `timeout` seconds, else an AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class LiveNode:
    node: TradingNode
    actor: StatusActor
    thread: threading.Thread
    url: str
    token: str

    def status(self) -> dict:
        try:
            with urllib.request.urlopen(f"{self.url}/status", timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError:
            return {}

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """`/metrics` parsed: (sample name, sorted labels) -> value."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as response:
            text = response.read().decode()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def api(self, method: str, path: str, body: dict | None = None, token: bool = True) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def running(self) -> bool:
        return self.status().get("node", {}).get("state") == "running"

    def stop(self) -> None:
        loop = self.node.get_event_loop()
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(self.node.stop)
        self.thread.join(30)
        dispose_node(self.node)


def start_node(gateway: SimulatedGateway, tmp_path: Path, sections: dict[str, Any]) -> LiveNode:
    """Build the node for `sections` (merged into a config for `gateway`) and run it on a thread."""
    raw: dict[str, Any] = {
        "node": {"log_level": "ERROR", "log_directory": str(tmp_path / "logs")},
        "gateway": {"host": "127.0.0.1", "port": gateway.port, "client_id": 7, "account": gateway.account},
        "instruments": {"load": [FEED]},
        "status": {"port": 0, "file": str(tmp_path / "status" / "status.json")},
        **sections,
    }
    config = build_node_config(parse_settings(raw, source="test"))
    [status] = config.actors
    always = ImportableActorConfig(
        actor_path=status.actor_path,
        config_path=status.config_path,
        config={**status.config, "market_hours": "always"},
    )
    node = create_node(msgspec.structs.replace(config, actors=[always]), asyncio.new_event_loop())
    built = threading.Event()

    def build_and_run() -> None:  # a thread of its own: a browser driver may hold the test thread's loop
        node.build()
        built.set()
        node.run()

    thread = threading.Thread(target=build_and_run, name="trading-node", daemon=True)
    thread.start()
    assert built.wait(60), "the node was not built within 60 s"
    [actor] = node.trader.actors()
    assert isinstance(actor, StatusActor)
    host, port = actor.http_address
    token = (tmp_path / "status" / "control.token").read_text().strip()
    return LiveNode(node, actor, thread, f"http://{host}:{port}", token)
