"""`StatusActor`: keeps one snapshot of the node's real state and publishes it.

The actor starts watching as soon as the node registers it, not when the trader starts: a node whose
start-up never completes (no gateway, failed reconciliation) still serves its status, and that status says
so. It finds its node's kernel through the one message-bus subscription the kernel makes for itself
(`commands.system.shutdown`) and reads the trader, engines and portfolio from it, read-only. Per-event work
is O(1) (a feed counter, a fill appended to a bounded deque); the snapshot is rebuilt on a timer (the node's
event loop when live, the actor's clock in a backtest) and written atomically. It hosts the operator's controls
(`operator_controls`: kill switch, risk limits, alerts, IB's view of the positions).
"""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path

import msgspec
from nautilus_trader.common.actor import Actor
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.enums import ComponentState
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.system.kernel import NautilusKernel

from nautilus_node.ib.market_state import MARKET_HOURS, MarketClock
from nautilus_node.ib.resets import ResetWindow, reset_windows
from nautilus_node.nautilus_internals import find_kernel
from nautilus_node.status import views
from nautilus_node.status.board import StatusBoard
from nautilus_node.status.charts import ChartRecorder
from nautilus_node.status.config import StatusActorConfig
from nautilus_node.status.control import ControlToken, OrderDesk, TradingDesk
from nautilus_node.status.feeds import FeedMonitor
from nautilus_node.status.gateway import GatewayMonitor
from nautilus_node.status.health import assess
from nautilus_node.status.latency import LatencyRecorder
from nautilus_node.status.manual_orders import ManualOrders
from nautilus_node.status.operator_controls import OperatorControls
from nautilus_node.status.resilience import resilience_view, unhealthy_subscriptions
from nautilus_node.status.server import StatusServer
from nautilus_node.status.snapshot import ExpectedWindow, Fill, Health, Node, NodeState, Snapshot, Strategy, iso
from nautilus_node.status.store import write_atomic

_NOT_STARTED = frozenset({ComponentState.PRE_INITIALIZED, ComponentState.READY})


class StatusActor(Actor):
    """Watches the gateway, account, positions, orders, fills, feeds and strategies; serves the truth."""

    def __init__(self, config: StatusActorConfig) -> None:
        super().__init__(config)
        if config.market_hours not in MARKET_HOURS:
            raise ValueError(f"market_hours: expected one of {MARKET_HOURS}, got {config.market_hours!r}")
        reset_windows(config.ib_region, 0.0)  # ValueError naming an unknown region
        self._status_config = config
        self.board = StatusBoard()
        self._fills: deque[Fill] = deque(maxlen=config.max_fills)
        self._order_events: dict[str, int] = {}
        self._latency: LatencyRecorder | None = None
        self._charts = ChartRecorder()
        self._feeds: FeedMonitor | None = None
        self._gateway: GatewayMonitor | None = None
        self._server: StatusServer | None = None
        self._kernel: NautilusKernel | None = None
        self._controls: OperatorControls | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._registered_ns = 0
        self._stopped = False
        self._closed = False
        self._write_error: str | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def register_base(self, portfolio, msgbus, cache, clock) -> None:  # type: ignore[no-untyped-def]
        """Register with the node, then start watching and serving (independently of the trader starting)."""
        super().register_base(portfolio, msgbus, cache, clock)
        config = self._status_config
        self._registered_ns = clock.timestamp_ns()
        self._kernel = find_kernel(msgbus)
        self._controls = OperatorControls(config, self._kernel, msgbus, clock, self.log)
        market = MarketClock(cache, config.market_hours)
        self._feeds = FeedMonitor(msgbus, config.stale_after_secs, config.required_feeds, market.state)
        self._gateway = GatewayMonitor(config.gateway_host, config.gateway_port, config.client_id, clock.timestamp_ns)
        self._gateway.watch()
        msgbus.subscribe(topic="events.order.*", handler=self._on_order_event)
        if isinstance(clock, LiveClock) and self._kernel is not None and self._kernel.loop is not None:
            self._loop = self._kernel.loop
        if config.http_port is not None:
            token = ControlToken()
            if config.snapshot_path is not None:
                token.write_beside(Path(config.snapshot_path))
            desk = OrderDesk(self._loop, self._manual_orders)
            trading = TradingDesk(self._loop, self._controls.kill_switch)
            self._server = StatusServer(self.board, config.http_host, config.http_port, token, desk, trading)
            self._server.start()
        if self._loop is not None:
            self._timer = self._loop.call_soon(self._tick_live)

    def on_start(self) -> None:
        if self._registered_ns == 0:  # a backtest clock reads 0 until its data starts
            self._registered_ns = self.clock.timestamp_ns()
        if self._loop is None:
            interval_ns = int(self._status_config.interval_secs * 1e9)
            self.clock.set_timer_ns("status-snapshot", interval_ns, 0, 0, lambda _event: self.refresh())
        self.refresh()

    def on_stop(self) -> None:
        self._stopped = True
        self.refresh()

    def on_dispose(self) -> None:
        self.close()

    def close(self) -> None:
        """Stop the timer and the HTTP server and stop observing (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
        if self._server is not None:
            self._server.stop()
            if self._status_config.snapshot_path is not None:
                self._server.token.remove_beside(Path(self._status_config.snapshot_path))
        if self._gateway is not None:
            self._gateway.detach()
        if self._controls is not None:
            self._controls.close()
        if self._feeds is not None:  # registered
            self._feeds.close()
            self.msgbus.unsubscribe(topic="events.order.*", handler=self._on_order_event)

    @property
    def http_address(self) -> tuple[str, int] | None:
        """The (host, port) the HTTP server listens on, once started."""
        return self._server.address if self._server is not None else None

    @property
    def page_url(self) -> str | None:
        """The status page's address with the control token, once the server started."""
        return self._server.page_url if self._server is not None else None

    @property
    def controls(self) -> OperatorControls | None:
        """The kill switch, limits, alerts and broker view, once registered."""
        return self._controls

    @property
    def stream_count(self) -> int:
        """How many pages follow the node's event stream now."""
        return self._server.stream_count if self._server is not None else 0

    def _manual_orders(self) -> ManualOrders | None:
        if self._kernel is None:
            return None
        return next((s for s in self._kernel.trader.strategies() if isinstance(s, ManualOrders)), None)

    # -- events ----------------------------------------------------------------------------------------------

    def _on_order_event(self, event: object) -> None:
        kind = views.order_event_kind(event)
        self._order_events[kind] = self._order_events.get(kind, 0) + 1
        if self._latency is None:
            self._latency = LatencyRecorder(self.cache)  # with the first order event: none for a node that never trades
        self._latency.on_event(event)
        if self._controls is not None:
            self._controls.on_order_event(kind, event)
        if type(event) is OrderFilled:
            self._fills.append(views.fill(event))
            self._charts.on_fill(event)

    # -- snapshot --------------------------------------------------------------------------------------------

    def _tick_live(self) -> None:
        if self._closed:
            return
        try:
            self.refresh()
        except Exception as exc:  # a failed snapshot must not end the timer
            self.log.error(f"Status snapshot failed: {exc!r}")
        if not self._closed and self._loop is not None and not self._loop.is_closed():
            self._timer = self._loop.call_later(self._status_config.interval_secs, self._tick_live)

    def refresh(self) -> Snapshot:
        """Rebuild the snapshot now, publish it to the HTTP surface and write the file."""
        snapshot = self.build_snapshot()
        if self._controls is not None and not self._closed:
            self._controls.on_snapshot(snapshot)
        assert self._feeds is not None
        update = self._charts.update(
            self.clock.timestamp_ns(),
            self._feeds.newest,
            self._feeds.bars,
            snapshot.feeds,
            snapshot.pnl,
            snapshot.resilience.subscriptions if snapshot.resilience is not None else [],
        )
        data = self.board.publish(snapshot, update)
        path = self._status_config.snapshot_path
        if path is not None:
            try:
                write_atomic(Path(path), data)
                self._write_error = None
            except OSError as exc:
                self._write_error = f"cannot write status file {path}: {exc.strerror}"
        return snapshot

    def build_snapshot(self) -> Snapshot:
        """The node's state now, from the gateway client, the cache, the portfolio and the message bus."""
        assert self._feeds is not None and self._gateway is not None, "the actor is not registered"
        config = self._status_config
        now_ns = self.clock.timestamp_ns()
        gateway = self._gateway.poll()
        windows = reset_windows(config.ib_region, now_ns / 1e9, days=1)
        current = next((w for w in windows if w.start * 1e9 <= now_ns), None)
        if current is not None and gateway.state != "connected":
            gateway = msgspec.structs.replace(gateway, scheduled_reset=current.label)
        self._feeds.discover(now_ns)
        feeds = self._feeds.views(now_ns, self._gateway.farm_outage("md"), self._gateway.farm_outage("hmds"))
        node_state = self._node_state(now_ns)
        controls = self._controls
        assert controls is not None
        controls.watch_broker(self._gateway.client, node_state == "running", self.cache.accounts())
        node = Node(
            trader_id=str(self.trader_id),
            state=node_state,
            started_at=iso(self._registered_ns),
            uptime_secs=round((now_ns - self._registered_ns) / 1e9, 3),
            market_open=not feeds or any(feed.state != "closed" for feed in feeds),
            on_stop=config.on_stop,
        )
        strategies = self._strategies(node_state)
        accounts = views.accounts(self.cache)
        warnings = self._warnings(accounts, feeds)
        resilience = resilience_view(self._gateway.client)
        health = assess(node, gateway, feeds, strategies)
        if extra := unhealthy_subscriptions(resilience, feeds, config.stale_after_secs, now_ns):
            health = Health(healthy=False, reasons=[*health.reasons, *extra])
        return Snapshot(
            generated_at=iso(now_ns),
            interval_secs=config.interval_secs,
            node=node,
            gateway=gateway,
            account_id=config.account_id,
            accounts=accounts,
            positions=views.positions(self.cache),
            orders=views.orders(self.cache),
            fills=list(self._fills),
            feeds=feeds,
            strategies=strategies,
            warnings=warnings,
            health=health,
            resilience=resilience,
            instruments=views.instrument_rules(self.cache),
            pnl=views.pnl(self.cache),
            order_events=dict(self._order_events),
            expected_windows=[_expected(w) for w in windows],
            latency=self._latency.view(now_ns) if self._latency is not None else None,
            trading=controls.trading(),
            limits=controls.limit_uses(),
            alerts=controls.alerting(),
            broker_positions=controls.broker_positions(),
        )

    def _node_state(self, now_ns: int) -> NodeState:
        if self._stopped:
            return "stopped"
        if self._kernel is not None and self._kernel.trader.is_running:
            return "running"
        if now_ns - self._registered_ns > self._status_config.startup_grace_secs * 1e9:
            return "startup_incomplete"
        return "starting"

    def _strategies(self, node_state: NodeState) -> list[Strategy]:
        if self._kernel is None:
            return []
        result = []
        for strategy in sorted(self._kernel.trader.strategies(), key=lambda s: str(s.id)):
            state = strategy.state
            if node_state == "startup_incomplete" and state in _NOT_STARTED:
                reason = self._startup_failure_reason(self._kernel)
                result.append(Strategy(strategy_id=str(strategy.id), state="NEVER_STARTED", reason=reason))
            else:
                result.append(Strategy(strategy_id=str(strategy.id), state=state.name))
        return result

    def _startup_failure_reason(self, kernel: NautilusKernel) -> str:
        if self._gateway is None or not self._gateway.ever_connected:
            return "the gateway never connected"
        if not (kernel.data_engine.check_connected() and kernel.exec_engine.check_connected()):
            return "the data and execution clients did not both connect"
        if not kernel.portfolio.initialized:
            return "startup reconciliation did not complete"
        return "the trader did not start"

    def _warnings(self, accounts: list, feeds: list) -> list[str]:
        warnings = []
        account_id = self._status_config.account_id
        reported = {account.account_id for account in accounts}
        if account_id is not None and not any(rid.endswith(f"-{account_id}") for rid in reported):
            warnings.append(f"account {account_id} not reported by the gateway")
        for feed in feeds:
            if not feed.required and feed.state in ("stale", "degraded"):
                warnings.append(f"feed {feed.name} ({feed.data_type}) {feed.state}: {feed.reason}")
        if self._write_error is not None:
            warnings.append(self._write_error)
        if self._kernel is None:
            warnings.append("node kernel not found: node and strategy states unknown")
        return warnings


def _expected(window: ResetWindow) -> ExpectedWindow:
    return ExpectedWindow(
        kind=window.kind,
        label=window.label,
        starts_at=iso(int(window.start * 1e9)),
        ends_at=iso(int(window.end * 1e9)),
    )
