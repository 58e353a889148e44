"""End to end: the node built by `nautilus_node.live.node` (the real IB adapter, the status actor from its
`ImportableActorConfig`) against the simulated IB Gateway over a real socket, read over HTTP.

Each test records the timeline of `/status` and `/healthz` while it injects a fault, and asserts the order
and timing of what the status said, not only how it ended.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from nautilus_trader.common.config import ImportableActorConfig
from nautilus_trader.live.node import TradingNode

from nautilus_node.live.node import build_node_config, create_node, dispose_node
from nautilus_node.settings import parse_settings
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway.handlers import ROUTES
from nautilus_node.simgateway.handlers.reply import Reply
from nautilus_node.status.actor import StatusActor
from nautilus_node.status.snapshot import Snapshot, decode
from tests.status.conftest import http_get

pytestmark = pytest.mark.e2e

FEED = "EUR/USD.IDEALPRO"
STRATEGY = "BuyOnce-000"
STALE_AFTER_SECS = 3.0


@dataclass(frozen=True)
class Sample:
    """One reading of the node's HTTP surface."""

    t: float
    snapshot: Snapshot
    healthz: int

    @property
    def gateway(self) -> str:
        return self.snapshot.gateway.state

    @property
    def feed(self) -> str:
        return next(f.state for f in self.snapshot.feeds if f.name == FEED and f.data_type == "quotes")

    @property
    def strategy(self) -> str:
        return next(s.state for s in self.snapshot.strategies if s.strategy_id == STRATEGY)


class Timeline:
    """Polls `/status` and `/healthz` and keeps every sample, in order."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[Sample] = []

    def sample(self) -> Sample:
        _, _, body = http_get(f"{self.url}/status")
        healthz, _, _ = http_get(f"{self.url}/healthz")
        sample = Sample(time.monotonic(), decode(body), healthz)
        self.samples.append(sample)
        return sample

    def until(self, condition: Callable[[Sample], bool], timeout: float, what: str) -> Sample:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sample = self.sample()
            if condition(sample):
                return sample
            time.sleep(0.25)
        last = self.samples[-1].snapshot if self.samples else None
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; last status: {last}")

    def between(self, start: float, end: float) -> list[Sample]:
        return [s for s in self.samples if start <= s.t < end]


@dataclass
class LiveNode:
    node: TradingNode
    actor: StatusActor
    timeline: Timeline
    thread: threading.Thread


def _healthy(s: Sample) -> bool:
    return s.gateway == "connected" and s.feed == "fresh" and s.healthz == 200


def _settings(gateway: SimulatedGateway, tmp_path: Path, buy_after_quotes: int | None, request_timeout: int):
    strategy_config: dict[str, object] = {"instrument_id": FEED, "quantity": 20_000}
    if buy_after_quotes is None:
        strategy_config["buy"] = False
    else:
        strategy_config["after_quotes"] = buy_after_quotes
    return parse_settings(
        {
            "node": {"log_level": "ERROR", "log_directory": str(tmp_path / "logs")},
            "gateway": {
                "host": "127.0.0.1",
                "port": gateway.port,
                "client_id": 5,
                "account": gateway.account,
                "request_timeout_secs": request_timeout,
                "startup_timeout_secs": 20.0,
            },
            "instruments": {"load": [FEED]},
            "strategies": [
                {
                    "path": "tests.status.strategies:BuyOnce",
                    "config_path": "tests.status.strategies:BuyOnceConfig",
                    "config": strategy_config,
                },
            ],
            "status": {
                "port": 0,
                "file": str(tmp_path / "status" / "status.json"),
                "stale_after_secs": STALE_AFTER_SECS,
                "required_feeds": [FEED],
            },
        },
        source="test",
    )


@pytest.fixture
def gateway() -> Iterator[SimulatedGateway]:
    with SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.1) as gw:
        yield gw


@pytest.fixture
def live_node(gateway: SimulatedGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Build and run the node in a thread; yields a starter taking the strategy's buy trigger and timeouts."""
    monkeypatch.setenv("IB_MAX_CONNECTION_ATTEMPTS", "6")
    started: list[LiveNode] = []

    def start(
        buy_after_quotes: int | None = None, request_timeout: int = 10, startup_grace_secs: float = 60.0
    ) -> LiveNode:
        settings = _settings(gateway, tmp_path, buy_after_quotes, request_timeout)
        config = build_node_config(settings)
        [status] = config.actors
        # The simulated gateway trades around the clock: judge feeds regardless of FX market hours.
        overrides = {"market_hours": "always", "startup_grace_secs": startup_grace_secs}
        actor_config = ImportableActorConfig(
            actor_path=status.actor_path, config_path=status.config_path, config={**status.config, **overrides}
        )
        node = create_node(msgspec.structs.replace(config, actors=[actor_config]), asyncio.new_event_loop())
        node.build()
        [actor] = node.trader.actors()
        assert isinstance(actor, StatusActor)
        host, port = actor.http_address
        thread = threading.Thread(target=node.run, name="trading-node", daemon=True)
        thread.start()
        handle = LiveNode(node, actor, Timeline(f"http://{host}:{port}"), thread)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        loop = handle.node.get_event_loop()
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(handle.node.stop)
        handle.thread.join(30)
        dispose_node(handle.node)
        host, port = handle.actor.http_address
        with pytest.raises(OSError):  # disposing the node closed the status server
            socket.create_connection((host, port), timeout=2).close()


def test_dropped_gateway_is_reported_within_5_s_then_connected_and_fresh_after_restart(live_node, gateway):
    node = live_node()
    before = node.timeline.until(_healthy, 60, "a connected, fresh, healthy node")
    assert before.snapshot.gateway.server_version == 223  # the protobuf stack NautilusTrader's ibapi negotiates
    assert before.snapshot.node.state == "running" and before.strategy == "RUNNING"

    dropped_at = time.monotonic()
    gateway.faults.restart(refuse_for=3.0)
    down = node.timeline.until(lambda s: s.gateway != "connected" and s.healthz == 503, 10, "not connected, 503")
    assert down.t - dropped_at <= 5.0
    assert down.snapshot.gateway.server_version is None  # no longer claimed once the connection is gone
    assert any(reason.startswith("gateway 127.0.0.1:") for reason in down.snapshot.health.reasons)
    assert down.snapshot.gateway.since > before.snapshot.gateway.since

    up = node.timeline.until(_healthy, 90, "connected again with fresh feeds")
    assert up.snapshot.gateway.since > down.snapshot.gateway.since
    outage = node.timeline.between(down.t, up.t)
    assert outage and all(s.healthz == 503 for s in outage)  # never healthy while the gateway was away
    assert all(s.gateway != "connected" or s.feed != "fresh" for s in outage)


def test_a_market_data_farm_break_degrades_the_feed_while_the_gateway_stays_connected(live_node, gateway):
    node = live_node()
    node.timeline.until(_healthy, 60, "a healthy node")

    gateway.faults.farm_status(2103)
    degraded = node.timeline.until(lambda s: s.feed == "degraded", 10, "the feed degraded")
    assert degraded.gateway == "connected" and degraded.healthz == 503
    assert degraded.snapshot.gateway.market_data_farm == "broken"
    assert degraded.snapshot.gateway.codes[-1].code == 2103
    assert any("market data farm broken (IB 2103" in r for r in degraded.snapshot.health.reasons)

    gateway.faults.farm_status(2104)
    recovered = node.timeline.until(_healthy, 30, "fresh again after 2104")
    assert recovered.snapshot.gateway.market_data_farm == "ok"
    assert [c.code for c in recovered.snapshot.gateway.codes][-2:] == [2103, 2104]


def test_a_stalled_feed_turns_stale_within_its_threshold_and_fresh_when_it_resumes(live_node, gateway):
    node = live_node()
    node.timeline.until(_healthy, 60, "a healthy node")

    stalled_at = time.monotonic()
    gateway.faults.stall_feed("EUR.USD")
    stale = node.timeline.until(lambda s: s.feed == "stale", STALE_AFTER_SECS + 5, "the feed stale")
    # Stale after the threshold passed since the last quote, and no later than threshold + snapshot interval.
    assert stale.t - stalled_at <= STALE_AFTER_SECS + 2.5
    assert stale.gateway == "connected" and stale.healthz == 503
    feed = next(f for f in stale.snapshot.feeds if f.name == FEED)
    assert feed.age_secs is not None and feed.age_secs > STALE_AFTER_SECS
    assert all(s.feed == "fresh" for s in node.timeline.between(stalled_at, stalled_at + STALE_AFTER_SECS - 0.5))

    gateway.faults.resume_feed("EUR.USD")
    node.timeline.until(_healthy, 15, "fresh again")


def test_failed_startup_reconciliation_is_503_with_the_reason(live_node, gateway, monkeypatch):
    # The simulated gateway has no fault for this: it is made to withhold openOrderEnd, as a gateway that
    # never answers the open-orders request does; the adapter's request then times out.
    for request in (m.In.REQ_OPEN_ORDERS, m.In.REQ_ALL_OPEN_ORDERS):
        silent = ROUTES[request]._replace(handle=lambda req, session, gw: Reply(session.wire))
        monkeypatch.setitem(ROUTES, request, silent)
    node = live_node(request_timeout=2, startup_grace_secs=8.0)

    starting = node.timeline.until(lambda s: s.gateway == "connected", 30, "the gateway connected")
    assert starting.healthz == 503 and starting.strategy == "READY"
    never = node.timeline.until(lambda s: s.strategy == "NEVER_STARTED", 30, "the strategy reported never started")
    assert never.healthz == 503 and never.gateway == "connected"
    assert never.snapshot.node.state == "startup_incomplete"
    assert (
        f"strategy {STRATEGY} never started (startup reconciliation did not complete)" in never.snapshot.health.reasons
    )
    assert all(s.healthz == 503 for s in node.timeline.samples)


def test_a_fill_updates_position_fill_and_account(live_node, gateway):
    node = live_node(buy_after_quotes=40)
    first = node.timeline.until(lambda s: bool(s.snapshot.accounts), 60, "the account reported")
    assert first.snapshot.positions == [] and first.snapshot.fills == []
    [account_before] = first.snapshot.accounts
    assert account_before.account_id.endswith(f"-{gateway.account}")

    filled = node.timeline.until(lambda s: bool(s.snapshot.fills), 60, "a fill")
    [fill] = filled.snapshot.fills
    assert (fill.instrument_id, fill.side, fill.quantity) == (FEED, "BUY", "20000")
    settled = node.timeline.until(
        lambda s: bool(s.snapshot.positions) and s.snapshot.accounts[0].reported_at > fill.at, 15, "position, account"
    )
    [position] = settled.snapshot.positions
    assert (position.instrument_id, position.side, position.quantity) == (FEED, "LONG", "20000")
    assert position.avg_px_open == fill.price
    assert position.unrealized_pnl is not None
    [account_after] = settled.snapshot.accounts
    assert account_after.reported_at > account_before.reported_at
    assert (account_after.balances, account_after.margins) != (account_before.balances, account_before.margins)
    no_position = [s for s in node.timeline.samples if not s.snapshot.positions]
    assert no_position and max(s.t for s in no_position) < settled.t  # the position appeared, then stayed
