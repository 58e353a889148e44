"""The operator's controls the status actor hosts: the kill switch, the node's risk limits, alerts and IB's own
view of the positions, wired to each other and to the node's events.

Built when the actor registers (a halt persisted by an earlier run is restored then, before any strategy
starts); every handler runs on the node's loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.common.component import Clock, Logger, MessageBus
from nautilus_trader.model.events import PositionEvent
from nautilus_trader.system.kernel import NautilusKernel

from nautilus_node.status.alert_rules import AlertRules
from nautilus_node.status.alerts import Alerter, destinations
from nautilus_node.status.broker_view import BrokerPositions
from nautilus_node.status.config import StatusActorConfig
from nautilus_node.status.kill_switch import Halt, KillSwitch
from nautilus_node.status.limits import LIMIT_HALT_PREFIX, Breach, LimitGuard, NodeLimits
from nautilus_node.status.snapshot import Alerting, BrokerPosition, LimitUse, Snapshot, Trading, iso


class OperatorControls:
    """Kill switch, limits, alerts and the broker's view for one node (`kernel` None: alerts only)."""

    def __init__(
        self,
        config: StatusActorConfig,
        kernel: NautilusKernel | None,
        msgbus: MessageBus,
        clock: Clock,
        log: Logger,
    ) -> None:
        self._config = config
        self._msgbus = msgbus
        self._log = log
        now_iso: Callable[[], str] = lambda: iso(clock.timestamp_ns())  # noqa: E731
        self.alerter: Alerter | None = None
        self._rules: AlertRules | None = None
        targets = destinations(config.alert_urls, config.alert_webhooks, config.alert_timeout_secs)
        if targets:
            self.alerter = Alerter(
                targets,
                dedup_secs=config.alert_dedup_secs,
                rate_per_minute=config.alert_rate_per_minute,
                retries=config.alert_retries,
            )
            self._rules = AlertRules(self.alerter, config.alert_grace_secs, now_iso)
        self.kill_switch: KillSwitch | None = None
        self._limits: LimitGuard | None = None
        self._broker: BrokerPositions | None = None
        self._halt_alerted_at: str | None = None  # a flattening halt changes state twice: one alert
        if kernel is None:
            return
        snapshot_path = Path(config.snapshot_path) if config.snapshot_path is not None else None
        self.kill_switch = KillSwitch(kernel, now_iso, snapshot_path, self._on_trading_change)
        if (halt := self.kill_switch.restore()) is not None:
            log.warning(f"Trading {halt.state} since {halt.at} by {halt.by} ({halt.reason}): resume to trade")
        limits = NodeLimits(
            max_position=dict(config.max_position),
            max_daily_loss=config.max_daily_loss,
            max_open_orders=config.max_open_orders,
            on_breach=config.on_breach,  # type: ignore[arg-type]
            day_time_zone=config.day_time_zone,
        )
        if limits.any:
            self._limits = LimitGuard(kernel, clock, limits, self.kill_switch, self._on_breach)
            self._limits.attach()
            msgbus.subscribe(topic="events.position.*", handler=self._on_position_event)
        self._broker = BrokerPositions(kernel, now_iso, self._on_mismatch)

    def close(self) -> None:
        if self.alerter is not None:
            self.alerter.close()
        if self._limits is not None:
            self._limits.detach()
            self._msgbus.unsubscribe(topic="events.position.*", handler=self._on_position_event)

    # -- the node's events -----------------------------------------------------------------------------------

    def on_order_event(self, kind: str, event: object) -> None:
        if self.kill_switch is not None:
            self.kill_switch.on_order_event()
        if self._rules is not None:
            self._rules.on_order_event(kind, event)

    def on_snapshot(self, snapshot: Snapshot) -> None:
        if self._rules is not None:
            self._rules.on_snapshot(snapshot, time.monotonic())

    def watch_broker(self, client: InteractiveBrokersClient | None, trading: bool, accounts: list) -> None:
        """Once the node trades (start-up and reconciliation done) and its IB client is ready: IB's position
        updates, through that client (never during start-up, whose requests the adapter sequences itself)."""
        broker = self._broker
        if broker is None or broker.watching or client is None or not trading or not client.is_ready:
            return
        account = self._config.account_id
        if account is None:
            if not accounts:
                return
            account = accounts[0].id.get_id()
        broker.watch(client, account)

    def _on_position_event(self, event: PositionEvent) -> None:
        if self._limits is not None:
            self._limits.on_position(event.instrument_id)

    def _on_breach(self, breach: Breach) -> None:
        self._log.error(f"Risk limit: {breach.message}; trading {breach.action}")
        if self._rules is not None:
            self._rules.on_breach(breach.name, breach.instrument_id, breach.message)

    def _on_mismatch(self, instrument_id: str, mismatched: bool, message: str) -> None:
        if mismatched:
            self._log.error(f"Position mismatch: {message}")
        if self._rules is not None:
            self._rules.on_mismatch(instrument_id, mismatched, message)

    def _on_trading_change(self, halt: Halt | None) -> None:
        if halt is None and self._limits is not None:
            self._limits.resumed()
        if self._rules is not None:
            if halt is None:
                self._rules.on_halt(None, None, None)
            elif halt.at != self._halt_alerted_at and not halt.by.startswith(LIMIT_HALT_PREFIX):
                self._rules.on_halt(halt.state, halt.by, halt.reason)  # a limit's halt: its breach alert says so
        self._halt_alerted_at = halt.at if halt is not None else None

    # -- for the snapshot ------------------------------------------------------------------------------------

    def trading(self) -> Trading | None:
        if self.kill_switch is None:
            return None
        halt, state = self.kill_switch.halt_in_force, self.kill_switch.trading_state
        if halt is None:
            return Trading(state=state)  # type: ignore[arg-type]
        return Trading(state=state, by=halt.by, reason=halt.reason, since=halt.at, flatten=halt.flatten)  # type: ignore[arg-type]

    def limit_uses(self) -> list[LimitUse]:
        return self._limits.uses() if self._limits is not None else []

    def alerting(self) -> Alerting | None:
        return self.alerter.view() if self.alerter is not None else None

    def broker_positions(self) -> list[BrokerPosition]:
        return self._broker.view(time.monotonic()) if self._broker is not None else []
