"""The kill switch on the status page, in Debian's chromium driven by Playwright, of a node built by
`nautilus_node.live.node` against the simulated IB Gateway: confirmed, it flattens the account at the gateway and
the page shows HALTED with who halted and when, and the alert it sent; resume brings ACTIVE back. Before that,
the page shows the limits and their use and IB's position beside the strategy's."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from nautilus_node.simgateway import SimulatedGateway
from tests.operator.live import FEED, LiveNode, start_node, wait_for
from tests.operator.receivers import Receiver

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """Requested before the browser, so the node is disposed after the browser closes (not on its loop)."""
    tmp_path = tmp_path_factory.mktemp("kill-switch-page")
    with pytest.MonkeyPatch.context() as patch, SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.1) as gw:
        patch.setenv("IB_MAX_CONNECTION_ATTEMPTS", "6")
        strategies = [
            {
                "path": "tests.status.strategies:RestingOrders",
                "config_path": "tests.status.strategies:RestingOrdersConfig",
                "config": {"instrument_id": FEED, "order_id_tag": "101"},
            },
            {
                "path": "tests.status.strategies:BuyOnce",
                "config_path": "tests.status.strategies:BuyOnceConfig",
                "config": {"instrument_id": FEED, "order_id_tag": "102"},
            },
        ]
        receiver = Receiver()
        sections = {
            "strategies": strategies,
            "risk": {"max_position": {FEED: 50_000.0}, "max_daily_loss": 5_000.0},
            "alerts": {"webhooks": [f"http://127.0.0.1:{receiver.port}/hook"]},
        }
        node = start_node(gw, tmp_path, sections)
        try:
            yield gw, node
        finally:
            node.stop()
            receiver.close()


def _net(gateway: SimulatedGateway) -> Decimal:
    return sum((p.quantity for p in gateway.broker.positions()), Decimal(0))


def test_the_kill_switch_confirmed_on_the_page_flattens_and_shows_halted(live: tuple[SimulatedGateway, LiveNode], page):
    gateway, node = live
    wait_for(node.running, 60, "the node running")
    wait_for(lambda: len(gateway.broker.open_orders()) == 2 and _net(gateway) == 10_000, 30, "orders and a position")
    page.goto(node.actor.page_url)
    page.wait_for_function("document.getElementById('trading-state').textContent === 'ACTIVE'", timeout=30_000)
    assert page.locator("#resume").is_disabled()
    page.wait_for_function(  # IB's position reaches the page with the next snapshot after it is reported
        "[...document.querySelectorAll('#broker-positions tr.broker-position')]"
        ".map(r => r.cells[1].textContent).join() === '10000'",
        timeout=10_000,
    )
    broker = page.locator("#broker-positions tr.broker-position td").all_text_contents()
    assert broker == [FEED, "10000", "10000", "BuyOnce-102 10000", "agree"]
    limits = {tuple(row.locator("td").all_text_contents()[:5]) for row in page.locator("#limits tr.limit").all()}
    assert ("max_position", FEED, "10000", "50000", "20 %") in limits
    assert "webhook#1: 0 sent, 0 failed" in page.text_content("#alert-destinations")

    page.check("#halt-flatten")
    page.click("#halt")
    assert "close every position" in page.text_content("#halt-confirm-text")
    page.click("#halt-cancelled")  # a second thought: nothing happens
    assert page.locator("#halt-confirm").is_hidden()
    assert len(gateway.broker.open_orders()) == 2 and _net(gateway) == 10_000

    page.click("#halt")
    page.click("#halt-confirmed")
    wait_for(lambda: not gateway.broker.open_orders() and _net(gateway) == 0, 5, "flat with no orders at the gateway")
    page.wait_for_function("document.getElementById('trading-state').textContent === 'HALTED'", timeout=10_000)
    detail = page.text_content("#trading-detail")
    assert " by page 127.0.0.1 (kill switch, flattened)" in detail and detail.startswith("since 20")
    assert "2 orders cancelled, 1 positions closing" in page.text_content("#halt-result")
    page.wait_for_function("document.querySelector('#alerts tr.alert-alert') !== null", timeout=10_000)
    alert = page.locator("#alerts tr.alert-alert").first.locator("td").all_text_contents()
    assert alert[1:3] == ["alert", "trading HALTED"] and alert[3].startswith("by page 127.0.0.1: kill switch")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "kill_switch_halted.png"))

    page.click("#resume")
    page.wait_for_function("document.getElementById('trading-state').textContent === 'ACTIVE'", timeout=10_000)
    assert page.text_content("#trading-detail") == ""
