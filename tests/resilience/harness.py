"""The node under test (ours, or plain NautilusTrader) against the simulated gateway, and what to check."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.common.config import ImportableActorConfig
from nautilus_trader.config import LiveExecEngineConfig
from nautilus_trader.live.node import TradingNode

from nautilus_node.live.node import build_node_config, create_node, dispose_node, resilience_policy
from nautilus_node.settings import Settings, parse_settings
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.status.actor import StatusActor
from nautilus_node.status.snapshot import Snapshot
from tests.resilience.probe import FEED_KINDS, FeedProbe

STALE_AFTER_SECS = 4.0


def settings_for(
    gateway: SimulatedGateway,
    tmp_path: Path,
    resilient: bool,
    gateway_options: dict | None = None,
    resilience_options: dict | None = None,
) -> Settings:
    """A node for `gateway`: both EUR/USD and SPY, the status actor on, short resilience intervals;
    `gateway_options` adds to the `[gateway]` section (a `port` there connects through a relay), and
    `resilience_options` to `[resilience]`."""
    return parse_settings(
        {
            "node": {"trader_id": "RES-001", "log_level": "ERROR", "log_directory": str(tmp_path / "logs")},
            "gateway": {"port": gateway.port, "account": gateway.account, "client_id": 21, **(gateway_options or {})},
            "instruments": {"load": ["EUR/USD.IDEALPRO", "SPY.ARCA"]},
            "status": {
                "port": 0,
                "file": str(tmp_path / "status.json"),
                "stale_after_secs": STALE_AFTER_SECS,
                "required_feeds": ["EUR/USD.IDEALPRO"],
                "market_hours": "always",
            },
            "resilience": {
                "enabled": resilient,
                "quote_silence_secs": 2.0,
                "bar_grace_secs": 3.0,
                "max_resubscribe_tries": 3,
                "farm_wait_secs": 2.0,
                "open_check_interval_secs": 2.0,
                "position_check_interval_secs": 3.0,
                **(resilience_options or {}),
            },
        },
        source="test",
    )


@dataclass
class LiveNode:
    """A running node, its probe strategy and status actor, and the snapshots sampled so far."""

    node: TradingNode
    probe: FeedProbe
    actor: StatusActor
    thread: threading.Thread
    samples: list[tuple[float, Snapshot]] = field(default_factory=list)

    @property
    def client(self) -> InteractiveBrokersClient | None:
        """NautilusTrader's or our IB client, as the status actor found it."""
        return self.actor._gateway.client if self.actor._gateway else None

    def call(self, fn: Callable[[], object]) -> None:
        """Run `fn` on the node's event loop."""
        self.node.get_event_loop().call_soon_threadsafe(fn)

    def sample(self) -> Snapshot:
        latest = self.actor.board.latest()
        assert latest is not None, "no snapshot yet"
        self.samples.append((time.monotonic(), latest[0]))
        return latest[0]

    def stop(self) -> None:
        loop = self.node.get_event_loop()
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(self.node.stop)
        self.thread.join(30)
        dispose_node(self.node)


def start_node(
    gateway: SimulatedGateway,
    tmp_path: Path,
    resilient: bool,
    extra_strategies: list | None = None,
    gateway_options: dict | None = None,
    resilience_options: dict | None = None,
) -> LiveNode:
    """Build and run the node in a thread; with `resilient` False it is plain NautilusTrader (no checks)."""
    settings = settings_for(gateway, tmp_path, resilient, gateway_options, resilience_options)
    config = build_node_config(settings)
    [status] = config.actors
    actor_config = ImportableActorConfig(
        actor_path=status.actor_path,
        config_path=status.config_path,
        config={**status.config, "interval_secs": 0.5},
    )
    config = msgspec.structs.replace(config, actors=[actor_config])
    if not resilient:
        config = msgspec.structs.replace(config, exec_engine=LiveExecEngineConfig(reconciliation=True))
    node = create_node(config, asyncio.new_event_loop(), resilience_policy(settings))
    probe = FeedProbe()
    node.trader.add_strategy(probe)
    for strategy in extra_strategies or []:
        node.trader.add_strategy(strategy)
    node.build()
    [actor] = node.trader.actors()
    thread = threading.Thread(target=node.run, name="trading-node", daemon=True)
    thread.start()
    live = LiveNode(node, probe, actor, thread)
    wait_until(lambda: all(live.probe.events[k] for k in FEED_KINDS), 40, "every feed kind to flow", live)
    return live


def wait_until(condition: Callable[[], bool], timeout: float, what: str, live: LiveNode | None = None) -> float:
    """Poll `condition` every 0.1 s (sampling status on the way); fail naming `what` after `timeout` s.
    Returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if live is not None and live.actor.board.latest() is not None:
            live.sample()
        if condition():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def flowing_since(live: LiveNode, moment: float, at_least: int = 1) -> Callable[[], bool]:
    """Every feed kind has delivered `at_least` events after `moment` (monotonic)."""

    def flowing() -> bool:
        return all(sum(1 for t in live.probe.events[kind][-at_least:] if t > moment) >= at_least for kind in FEED_KINDS)

    return flowing


def first_event_after(live: LiveNode, moment: float) -> dict[str, float]:
    """Seconds from `moment` to each feed kind's first event after it."""
    return {kind: next(t for t in live.probe.events[kind] if t > moment) - moment for kind in FEED_KINDS}


TRADE_THROUGH_BY = 0.001  # 20 EUR.USD ticks: the ask (mid + half the spread) is then below the limit, whatever
# the random walk does next


def trade_through(gateway: SimulatedGateway, local_symbol: str, limit: float) -> None:
    """The market jumps below `limit`, so a resting BUY limit there fills, whether or not its client is
    connected. (A jump to the limit itself would leave the ask above it, and the fill to the random walk.)"""
    gateway.faults.set_price(local_symbol, limit - TRADE_THROUGH_BY)


def broker_order_refs(gateway: SimulatedGateway) -> list[str]:
    """The order refs (client order ids) of every order the gateway's broker holds, open or done."""
    return [order.request.order_ref.rsplit(":", 1)[0] for order in gateway.broker._book.orders.values()]


def assert_no_fill_lost(gateway: SimulatedGateway, live: LiveNode) -> None:
    """Every execution at the gateway is an `OrderFilled` the strategy saw, once."""
    venue = sorted(ex.exec_id for ex in gateway.broker.executions())
    seen = sorted(fill.trade_id.value for fill in live.probe.fills)
    assert seen == venue, f"gateway executions {venue}, strategy fills {seen}"


def assert_no_order_duplicated(gateway: SimulatedGateway) -> None:
    refs = broker_order_refs(gateway)
    assert len(refs) == len(set(refs)), f"an order reached the gateway twice: {refs}"


def assert_status_truthful(live: LiveNode) -> None:
    """No sample claims health while the required quotes were older than the staleness limit (plus one
    snapshot interval), and none claims connected while the client was not."""
    quotes = live.probe.events["quotes"]
    for at, snapshot in live.samples:
        if not snapshot.health.healthy:
            continue
        last = max((t for t in quotes if t <= at), default=None)
        assert last is not None and at - last <= STALE_AFTER_SECS + 1.5, (
            f"status healthy at {snapshot.generated_at} with quotes {at - (last or 0):.1f} s old"
        )


BAR_KINDS = {"bars": "realtime-bars", "live_bars": "keepuptodate-bars"}


def kill_bars(gateway: SimulatedGateway, kind: str, code: int | None) -> None:
    """End the `kind` bar subscription at the gateway ("bars" 5-second real-time, "live_bars" keepUpToDate),
    silently or with IB's error `code` (10182, 10225)."""
    gateway.faults.kill_subscription(BAR_KINDS[kind], code)


@dataclass(frozen=True)
class Disruption:
    """One matrix row: what happens to the gateway, and when it is back (monotonic time returned by `run`)."""

    name: str
    run: Callable[[SimulatedGateway, Callable[[], None]], float]
    outage: bool = True  # the session (or IB behind it) is away: a resting order fills meanwhile


def _restart(refuse_for: float) -> Callable[[SimulatedGateway, Callable[[], None]], float]:
    def run(gateway: SimulatedGateway, during: Callable[[], None]) -> float:
        gateway.faults.restart(refuse_for=refuse_for)
        back = time.monotonic() + refuse_for
        time.sleep(0.3)
        during()
        return back

    return run


def _drop(gateway: SimulatedGateway, during: Callable[[], None]) -> float:
    during()
    gateway.faults.drop_connections()
    return time.monotonic()


def _connectivity(data_kept: bool) -> Callable[[SimulatedGateway, Callable[[], None]], float]:
    def run(gateway: SimulatedGateway, during: Callable[[], None]) -> float:
        gateway.faults.connectivity_lost()
        time.sleep(1.0)
        during()
        time.sleep(2.0)
        gateway.faults.connectivity_restored(data_kept=data_kept)
        return time.monotonic()

    return run


def _farm_blip(code: int | None) -> Callable[[SimulatedGateway, Callable[[], None]], float]:
    """2103 kills the bar subscriptions (silently or with `code`), as at IB; 2104 three seconds later."""

    def run(gateway: SimulatedGateway, during: Callable[[], None]) -> float:
        gateway.faults.farm_status(2103, bars_error=code)
        time.sleep(3.0)
        gateway.faults.farm_status(2104)
        return time.monotonic()

    return run


def _bars_die(kind: str, code: int | None) -> Callable[[SimulatedGateway, Callable[[], None]], float]:
    def run(gateway: SimulatedGateway, during: Callable[[], None]) -> float:
        kill_bars(gateway, kind, code)
        return time.monotonic()

    return run


def _duplicate_id(gateway: SimulatedGateway, during: Callable[[], None]) -> float:
    gateway.faults.kill_subscription("quotes", 322, "EUR.USD")
    return time.monotonic()


def _one_dead(gateway: SimulatedGateway, during: Callable[[], None]) -> float:
    gateway.faults.kill_subscription("tick-by-tick", None, "SPY")
    return time.monotonic()


def _restart_late_farms(gateway: SimulatedGateway, during: Callable[[], None]) -> float:
    """The gateway accepts after 2 s, its farms report OK 4 s later (requests before that go unanswered)."""
    gateway.faults.restart(refuse_for=2.0, farms_after=4.0)
    time.sleep(0.3)
    during()
    return time.monotonic() + 2.0


def _restart_held_client_id(gateway: SimulatedGateway, during: Callable[[], None]) -> float:
    """A restart after which the old client id stays in use for 2 s (326)."""
    gateway.faults.hold_client_ids(2.0)
    return _restart(1.0)(gateway, during)


DISRUPTIONS = {
    d.name: d
    for d in (
        Disruption("restart-short", _restart(2.0)),
        Disruption("restart-long", _restart(40.0)),
        Disruption("drop", _drop),
        Disruption("1100+1101", _connectivity(data_kept=False)),
        Disruption("1100+1102", _connectivity(data_kept=True)),
        Disruption("restart-late-farms", _restart_late_farms),
        Disruption("restart-client-id-held", _restart_held_client_id),
        Disruption("blip-silent", _farm_blip(None), outage=False),
        Disruption("blip-10182", _farm_blip(10182), outage=False),
        Disruption("blip-10225", _farm_blip(10225), outage=False),
        Disruption("one-dead-subscription", _one_dead, outage=False),
        Disruption("bars-die-silently", _bars_die("bars", None), outage=False),
        Disruption("bars-10225", _bars_die("bars", 10225), outage=False),
        Disruption("live-bars-10182", _bars_die("live_bars", 10182), outage=False),
        Disruption("quotes-322", _duplicate_id, outage=False),
    )
}


def run_row(
    gateway: SimulatedGateway, live: LiveNode, disruption: Disruption, timeout: float = 30, at_least: int = 1
) -> dict[str, float]:
    """Rest an order, disrupt (filling the order during an outage), wait for every feed kind and the fill;
    returns the seconds from the gateway being back to each feed kind's first new event."""
    if disruption.outage:
        live.call(lambda: live.probe.buy_limit_below(200))
        wait_until(lambda: len(gateway.broker.open_orders()) == 1, 10, "the resting order at the gateway", live)
        [order] = gateway.broker.open_orders()

        def during() -> None:
            trade_through(gateway, "EUR.USD", order.request.lmt_price)
    else:

        def during() -> None:
            pass

    back = disruption.run(gateway, during)
    if disruption.outage:
        wait_until(lambda: len(gateway.broker.executions()) == 1, 5, "the order to fill at the gateway")
    wait_until(flowing_since(live, back, at_least), timeout, f"every feed kind after {disruption.name}", live)
    if disruption.outage:
        wait_until(lambda: len(live.probe.fills) == 1, 15, "the strategy to see the fill made during the outage", live)
    wait_until(lambda: all_live(live), 10, "every subscription live in status", live)
    return first_event_after(live, back)


def all_live(live: LiveNode) -> bool:
    snapshot = live.sample()
    if snapshot.resilience is None:
        return True
    return all(s.state == "live" for s in snapshot.resilience.subscriptions) and snapshot.health.healthy
