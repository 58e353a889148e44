"""Which conditions alert, and when: from each snapshot (a condition true for longer than the grace: the node
unhealthy, the gateway disconnected, a required feed stale or degraded, a subscription dead) and from events as
they happen (an order rejected or denied, a halt, a limit breached, a position mismatch with the broker). Each
condition that alerted sends one "recovered" alert when it ends."""

from __future__ import annotations

from collections.abc import Callable

from nautilus_node.status.alerts import Alert, Alerter
from nautilus_node.status.snapshot import AlertKind, Snapshot

ORDER_ALERT_EVENTS = frozenset({"rejected", "denied"})


class AlertRules:
    """Turns the node's state and events into alerts for an `Alerter`."""

    def __init__(self, alerter: Alerter, grace_secs: float, now_iso: Callable[[], str]) -> None:
        self._alerter = alerter
        self._grace = grace_secs
        self._now_iso = now_iso
        self._since: dict[str, float] = {}  # condition key -> when it became true (monotonic seconds)
        self._firing: set[str] = set()

    def on_snapshot(self, snapshot: Snapshot, now_secs: float) -> None:
        """Check the lasting conditions in a fresh snapshot."""
        if snapshot.node.state == "stopped":
            return
        conditions: dict[str, tuple[bool, str, str]] = {
            "unhealthy": (
                not snapshot.health.healthy,
                "node unhealthy",
                "; ".join(snapshot.health.reasons) or "unhealthy",
            ),
            "gateway_disconnected": (
                snapshot.gateway.state != "connected",
                "gateway disconnected",
                f"IB Gateway {snapshot.gateway.host}:{snapshot.gateway.port} {snapshot.gateway.state} "
                f"since {snapshot.gateway.since}",
            ),
        }
        for feed in snapshot.feeds:
            if feed.required:
                conditions[f"feed_dead:{feed.name}:{feed.data_type}"] = (
                    feed.state in ("stale", "degraded"),
                    f"feed {feed.name} {feed.data_type} dead",
                    f"{feed.state}: {feed.reason or 'no data'}",
                )
        if snapshot.resilience is not None:
            for sub in snapshot.resilience.subscriptions:
                conditions[f"subscription_dead:{sub.name}:{sub.kind}"] = (
                    sub.state == "dead",
                    f"subscription {sub.name} {sub.kind} dead",
                    sub.text,
                )
        for key, (true, title, message) in conditions.items():
            self._condition(key, true, title, message, now_secs)

    def _condition(self, key: str, true: bool, title: str, message: str, now_secs: float) -> None:
        if true:
            since = self._since.setdefault(key, now_secs)
            if key not in self._firing and now_secs - since >= self._grace:
                self._firing.add(key)
                self._send(key, "alert", title, f"{message} (for {now_secs - since:.0f} s)")
            return
        self._since.pop(key, None)
        if key in self._firing:
            self._firing.discard(key)
            self._send(key, "recovered", f"recovered: {title}", "back to normal")

    def on_order_event(self, kind: str, event: object) -> None:
        """An order rejected or denied alerts at once (one per reason within the dedup window)."""
        if kind not in ORDER_ALERT_EVENTS:
            return
        reason = str(getattr(event, "reason", ""))
        client_order_id = getattr(event, "client_order_id", "")
        strategy_id = getattr(event, "strategy_id", "")
        self._send(
            f"order_{kind}:{reason}",
            "alert",
            f"order {kind}",
            f"{client_order_id} of {strategy_id} {kind}: {reason}",
        )

    def on_halt(self, state: str | None, by: str | None, reason: str | None) -> None:
        """Trading halted or reducing (`state`), or resumed (`None`)."""
        if state is None:
            self._send("trading_halted", "recovered", "trading resumed", "the halt was lifted: strategies may trade")
        else:
            self._send("trading_halted", "alert", f"trading {state}", f"by {by}: {reason}")

    def on_breach(self, name: str, instrument_id: str | None, message: str) -> None:
        self._send(f"limit:{name}:{instrument_id or ''}", "alert", f"limit {name} breached", message)

    def on_mismatch(self, instrument_id: str, mismatched: bool, message: str) -> None:
        """The broker's position for `instrument_id` differs from the strategies' sum (or agrees again)."""
        key = f"position_mismatch:{instrument_id}"
        if mismatched and key not in self._firing:
            self._firing.add(key)
            self._send(key, "alert", f"position mismatch {instrument_id}", message)
        elif not mismatched and key in self._firing:
            self._firing.discard(key)
            self._send(key, "recovered", f"recovered: position mismatch {instrument_id}", message)

    def _send(self, key: str, kind: AlertKind, title: str, message: str) -> None:
        self._alerter.raise_alert(Alert(key=key, kind=kind, title=title, message=message, at=self._now_iso()))
