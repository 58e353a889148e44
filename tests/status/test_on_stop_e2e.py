"""`[node] on_stop` at the gateway: an order placed through the token API (the manual desk) is cancelled when the
node stops (`cancel`, the default), still working after it (`keep`), and with `flatten` a filled API order's
position is closed. The node is `nautilus_node.live.node`'s (the real IB adapter, the status actor, the desk)
against the simulated IB Gateway over a real socket; the gateway's own book is read after the node stopped."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from nautilus_node.live.node import build_node_config, create_node, dispose_node
from nautilus_node.settings import parse_settings
from nautilus_node.simgateway import SimulatedGateway

pytestmark = pytest.mark.e2e

FEED = "EUR/USD.IDEALPRO"
FAR_BELOW = {"instrument_id": FEED, "side": "BUY", "quantity": 20000, "type": "LIMIT", "price": "1.00000"}
STOP_SECS = 30
IN_FLIGHT_SECS = 0.3  # how long the gateway holds each request: an order is unanswered at stop


@dataclass
class Running:
    gateway: SimulatedGateway
    url: str
    token: str
    stop: Callable[[], None]


def _wait(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextmanager
def _node(tmp_path: Path, on_stop: str | None) -> Iterator[Running]:
    with SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.1) as gateway:
        node_table = {"log_level": "ERROR", "log_directory": str(tmp_path / "logs")}
        if on_stop is not None:
            node_table["on_stop"] = on_stop
        settings = parse_settings(
            {
                "node": node_table,
                "gateway": {"host": "127.0.0.1", "port": gateway.port, "client_id": 7, "account": gateway.account},
                "instruments": {"load": [FEED]},
                "status": {"port": 0, "file": str(tmp_path / "status" / "status.json"), "required_feeds": [FEED]},
            },
            source="test",
        )
        node = create_node(build_node_config(settings), asyncio.new_event_loop())
        built = threading.Event()

        def build_and_run() -> None:
            node.build()
            built.set()
            node.run()

        thread = threading.Thread(target=build_and_run, name="trading-node", daemon=True)
        thread.start()
        assert built.wait(60), "the node was not built within 60 s"
        [actor] = node.trader.actors()
        host, port = actor.http_address
        token = (tmp_path / "status" / "control.token").read_text().strip()

        def stop() -> None:
            node.get_event_loop().call_soon_threadsafe(node.stop)
            thread.join(STOP_SECS)
            assert not thread.is_alive(), f"the node did not stop within {STOP_SECS} s"

        try:
            yield Running(gateway, f"http://{host}:{port}", token, stop)
        finally:
            if thread.is_alive():
                stop()
            dispose_node(node)


def _place(running: Running, order: dict) -> str:
    def post() -> tuple[int, dict]:
        request = urllib.request.Request(f"{running.url}/api/orders", data=json.dumps(order).encode(), method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("Authorization", f"Bearer {running.token}")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    deadline = time.monotonic() + 30
    status, body = post()
    while status == 503 and time.monotonic() < deadline:  # the desk takes orders once the node trades
        time.sleep(0.2)
        status, body = post()
    assert status == 201, body
    return body["client_order_id"]


def _gateway_order(gateway: SimulatedGateway, client_order_id: str):
    """The order at the gateway whose orderRef the adapter made from `client_order_id` (open or not)."""
    found = [o for o in gateway.broker.orders() if o.request.order_ref.split(":")[0] == client_order_id]
    return found[0] if found else None


@pytest.mark.parametrize("on_stop", [None, "cancel"], ids=["default", "cancel"])
def test_with_cancel_an_api_order_is_cancelled_at_the_gateway_when_the_node_stops(
    tmp_path: Path, on_stop: str | None
) -> None:
    with _node(tmp_path, on_stop) as running:
        with urllib.request.urlopen(f"{running.url}/status", timeout=15) as response:
            assert json.loads(response.read())["node"]["on_stop"] == "cancel"  # what the page shows
        client_order_id = _place(running, FAR_BELOW)
        working = _wait(lambda: _gateway_order(running.gateway, client_order_id), 15, "the order at the gateway")
        running.stop()
        cancelled = running.gateway.broker.order(working.client_id, working.order_id)
        assert cancelled.status == "Cancelled"
        assert not running.gateway.broker.open_orders()


@pytest.mark.parametrize("on_stop", ["cancel", "flatten"])
def test_an_api_order_still_in_flight_at_stop_is_settled_when_its_answer_arrives(tmp_path: Path, on_stop: str) -> None:
    """The gateway holds every request for a while, so the order is still unacknowledged when the node stops:
    IB's adapter cannot cancel it yet; the desk cancels it once accepted (`cancel`) or closes its fill (`flatten`)."""
    order = FAR_BELOW if on_stop == "cancel" else {**FAR_BELOW, "type": "MARKET", "price": None}
    with _node(tmp_path, on_stop) as running:
        running.gateway.faults.delay_responses(IN_FLIGHT_SECS)
        client_order_id = _place(running, {k: v for k, v in order.items() if v is not None})
        assert _gateway_order(running.gateway, client_order_id) is None  # still held: unanswered when stopping
        running.stop()
        placed = _gateway_order(running.gateway, client_order_id)
        assert placed is not None, "the order never reached the gateway"
        assert placed.status == ("Cancelled" if on_stop == "cancel" else "Filled")
        assert not running.gateway.broker.open_orders()
        assert not running.gateway.broker.positions()


def test_with_keep_an_api_order_still_works_at_the_gateway_after_the_node_stopped(tmp_path: Path) -> None:
    with _node(tmp_path, "keep") as running:
        client_order_id = _place(running, FAR_BELOW)
        working = _wait(lambda: _gateway_order(running.gateway, client_order_id), 15, "the order at the gateway")
        running.stop()
        kept = running.gateway.broker.order(working.client_id, working.order_id)
        assert kept.is_open and kept.status == "Submitted"


def test_with_flatten_a_filled_api_orders_position_is_closed_when_the_node_stops(tmp_path: Path) -> None:
    with _node(tmp_path, "flatten") as running:
        _place(running, {"instrument_id": FEED, "side": "BUY", "quantity": 20000, "type": "MARKET"})
        _wait(lambda: running.gateway.broker.positions(), 15, "the position at the gateway")
        client_order_id = _place(running, FAR_BELOW)
        _wait(lambda: _gateway_order(running.gateway, client_order_id), 15, "the limit order at the gateway")
        running.stop()
        assert not running.gateway.broker.positions()
        assert not running.gateway.broker.open_orders()
