"""End to end: the dashboard of a node built by `nautilus_node.live.node` (the real IB adapter, the status actor,
`ManualOrders`) against the simulated IB Gateway over a real socket, in Debian's chromium driven by
Playwright, and its control API and `/metrics` over HTTP.

One node serves the module's tests, in order: the page (chart, farms, ticket orders cancelled from the page),
the API (an order placed and cancelled with the token, 401 without), then `/metrics` across a gateway drop.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from nautilus_trader.common.config import ImportableActorConfig
from nautilus_trader.live.node import TradingNode
from prometheus_client.parser import text_string_to_metric_families

from nautilus_node.live.node import build_node_config, create_node, dispose_node
from nautilus_node.settings import parse_settings
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.status.actor import StatusActor

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FEED = "EUR/USD.IDEALPRO"
FAR_BELOW = "1.00000"
CANCELED = "nautilus_node_order_events_total{event=canceled}"  # a buy limit this far below EUR/USD keeps working


@dataclass
class Dashboard:
    gateway: SimulatedGateway
    node: TradingNode
    actor: StatusActor
    url: str
    token: str


def _wait(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory) -> Dashboard:
    tmp_path = tmp_path_factory.mktemp("dashboard")
    previous = os.environ.get("IB_MAX_CONNECTION_ATTEMPTS")
    os.environ["IB_MAX_CONNECTION_ATTEMPTS"] = "6"
    with SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.1) as gateway:
        settings = parse_settings(
            {
                "node": {"log_level": "ERROR", "log_directory": str(tmp_path / "logs")},
                "gateway": {"host": "127.0.0.1", "port": gateway.port, "client_id": 6, "account": gateway.account},
                "instruments": {"load": [FEED]},
                "strategies": [
                    {
                        "path": "tests.status.strategies:BuyOnce",
                        "config_path": "tests.status.strategies:BuyOnceConfig",
                        "config": {"instrument_id": FEED, "buy": False},
                    },
                ],
                "status": {"port": 0, "file": str(tmp_path / "status" / "status.json"), "required_feeds": [FEED]},
            },
            source="test",
        )
        config = build_node_config(settings)
        [status] = config.actors
        always = ImportableActorConfig(
            actor_path=status.actor_path,
            config_path=status.config_path,
            config={**status.config, "market_hours": "always"},
        )
        node = create_node(msgspec.structs.replace(config, actors=[always]), asyncio.new_event_loop())
        built = threading.Event()

        def build_and_run() -> None:  # on a thread of its own: the browser's driver holds this thread's loop
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
        yield Dashboard(gateway, node, actor, f"http://{host}:{port}", token)
        node.get_event_loop().call_soon_threadsafe(node.stop)
        thread.join(30)
        # On this thread (its signal handlers are removed here): the browser, requested after this fixture,
        # is closed by now, so no other loop runs on it.
        dispose_node(node)
    if previous is None:
        os.environ.pop("IB_MAX_CONNECTION_ATTEMPTS", None)
    else:
        os.environ["IB_MAX_CONNECTION_ATTEMPTS"] = previous


def _at_gateway(gateway: SimulatedGateway, client_order_id: str):
    """The working order at the gateway whose orderRef the adapter made from `client_order_id`."""
    return next((o for o in gateway.broker.open_orders() if o.request.order_ref.split(":")[0] == client_order_id), None)


def _api(dashboard: Dashboard, method: str, path: str, body: dict | None = None, token: bool = True):
    request = urllib.request.Request(
        f"{dashboard.url}{path}", data=None if body is None else json.dumps(body).encode(), method=method
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {dashboard.token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_page_charts_prices_and_a_ticket_order_is_placed_at_the_gateway_and_cancelled(dashboard, page):
    assert dashboard.actor.page_url == f"{dashboard.url}/?token={dashboard.token}"
    page.goto(dashboard.actor.page_url)
    page.wait_for_function("document.getElementById('overall').textContent === 'HEALTHY'", timeout=60_000)
    assert "token=" not in page.url  # taken out of the address bar, kept in sessionStorage

    # The farms the gateway reported while the connection was made (2104, 2106, 2158) are shown.
    gateway_table = page.text_content("#gateway")
    assert "market data farmok" in gateway_table and "historical data farmok" in gateway_table
    assert "sec-def farmok" in gateway_table
    # The chart draws the quotes as the node receives them, pushed by the server (no polling).
    chart_points = f"window.dashboard.charts['{FEED}'] && window.dashboard.charts['{FEED}'].line.data().length"
    page.wait_for_function(f"({chart_points}) >= 3", timeout=15_000)
    assert "tick 0.00005 USD" in page.text_content("#ticket-rules")
    assert page.text_content("#ticket-on-stop") == (  # the default, as the README says
        "when the node stops, its working orders from here are cancelled (node.on_stop = cancel)"
    )

    page.select_option("#ticket-instrument", FEED)
    page.select_option("#ticket-side", "BUY")
    page.fill("#ticket-quantity", "20000")
    page.select_option("#ticket-type", "LIMIT")
    page.fill("#ticket-price", FAR_BELOW)
    page.select_option("#ticket-tif", "GTC")
    page.click("#ticket-submit")
    page.wait_for_function("document.getElementById('ticket-result').textContent.startsWith('submitted ')")
    client_order_id = page.text_content("#ticket-result").removeprefix("submitted ")
    row = page.locator("#orders tr", has_text=client_order_id)
    row.wait_for(timeout=15_000)
    assert "LIMIT" in row.text_content() and "GTC" in row.text_content()
    working = _wait(lambda: _at_gateway(dashboard.gateway, client_order_id), 15, "the order at the gateway")
    assert working.request.lmt_price == float(FAR_BELOW) and working.request.action == "BUY"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    page.click(f"button.cancel[data-order='{client_order_id}']")
    row.wait_for(state="detached", timeout=15_000)
    _wait(lambda: _at_gateway(dashboard.gateway, client_order_id) is None, 15, "the order cancelled at the gateway")

    # A market order from the ticket fills, and the fill is marked on the chart.
    page.select_option("#ticket-type", "MARKET")
    page.click("#ticket-submit")
    markers = (
        f"window.dashboard.charts['{FEED}'].markers ? window.dashboard.charts['{FEED}'].markers.markers().length : 0"
    )
    page.wait_for_function(f"({markers}) >= 1", timeout=20_000)
    page.locator("#positions tr", has_text=FEED).wait_for(timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "dashboard_filled.png"), full_page=True)


def test_an_api_order_with_the_token_reaches_the_gateway_and_is_cancelled_and_without_it_is_401(dashboard):
    order = {"instrument_id": FEED, "side": "BUY", "quantity": 20000, "type": "LIMIT", "price": FAR_BELOW}
    assert _api(dashboard, "POST", "/api/orders", order, token=False)[0] == 401
    status, body = _api(dashboard, "POST", "/api/orders", order)
    assert status == 201, body
    client_order_id = body["client_order_id"]
    _wait(lambda: _at_gateway(dashboard.gateway, client_order_id), 15, "the API order at the gateway")
    _wait(
        lambda: any(o.client_order_id == client_order_id for o in dashboard.actor.board.latest()[0].orders),
        10,
        "the API order in the blotter",
    )
    assert _api(dashboard, "DELETE", f"/api/orders/{client_order_id}", token=False)[0] == 401
    status, body = _api(dashboard, "DELETE", f"/api/orders/{client_order_id}")
    assert status == 202, body
    _wait(lambda: _at_gateway(dashboard.gateway, client_order_id) is None, 15, "the API order cancelled")
    status, body = _api(dashboard, "POST", "/api/orders", {**order, "price": "1.000001"})
    assert status == 422 and "off the instrument's grid (multiples of 0.00005)" in body["error"]


def _metrics(dashboard: Dashboard) -> dict[str, float]:
    with urllib.request.urlopen(f"{dashboard.url}/metrics", timeout=5) as response:
        text = response.read().decode()
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


def test_metrics_parse_as_prometheus_text_and_move_when_the_gateway_drops(dashboard):
    def up_with_both_cancels() -> dict | None:
        m = _metrics(dashboard)
        return m if m["nautilus_node_gateway_connected"] == 1 and m.get(CANCELED, 0) >= 2 else None

    before = _wait(up_with_both_cancels, 30, "connected, with the page's and the API's cancels counted")
    assert before["nautilus_node_snapshot_age_seconds"] < 10
    assert before[f"nautilus_node_feed_rate_per_second{{feed={FEED},type=quotes}}"] > 0
    assert before["nautilus_node_order_events_total{event=filled}"] >= 1  # the ticket's market order
    assert "nautilus_node_equity{currency=USD}" in before
    reconnects = before["nautilus_node_gateway_reconnects_total"]

    dashboard.gateway.faults.restart(refuse_for=3.0)
    _wait(lambda: _metrics(dashboard)["nautilus_node_gateway_connected"] == 0, 10, "gateway_connected 0")
    after = _wait(lambda: (m := _metrics(dashboard)).get("nautilus_node_gateway_connected") == 1 and m, 90, "up again")
    assert after["nautilus_node_gateway_reconnects_total"] == reconnects + 1
