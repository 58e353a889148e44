"""`/metrics`: the latest snapshot in Prometheus' text format, through the official `prometheus_client`.

A collector reads the board at each scrape, so the figures are the snapshot's (the same truth as `/status`),
and the snapshot's own age tells a scraper when the node stopped updating it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from nautilus_node.status.board import StatusBoard
from nautilus_node.status.snapshot import HotPath, Latency, LatencyFigure, parse_iso

PREFIX = "nautilus_node"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class SnapshotCollector(Collector):
    """Gauges and counters from the board's latest snapshot."""

    def __init__(self, board: StatusBoard) -> None:
        self._board = board

    def collect(self) -> Iterator[Metric]:
        latest = self._board.latest()
        up = GaugeMetricFamily(f"{PREFIX}_snapshot_available", "1 once the node has published a status snapshot")
        up.add_metric([], 0 if latest is None else 1)
        yield up
        if latest is None:
            return
        s = latest[0]
        yield _gauge(
            "snapshot_age_seconds",
            "Seconds since the node built its latest snapshot",
            time.time() - parse_iso(s.generated_at),
        )
        yield _gauge("healthy", "1 when the node is healthy (as /healthz)", s.health.healthy)
        yield _gauge("uptime_seconds", "Seconds since the node started", s.node.uptime_secs)
        if s.trading is not None:
            state = GaugeMetricFamily(
                f"{PREFIX}_trading_state",
                "1 for the risk engine's current trading state (ACTIVE, REDUCING, HALTED)",
                labels=["state"],
            )
            for name in ("ACTIVE", "REDUCING", "HALTED"):
                state.add_metric([name], s.trading.state == name)
            yield state
            yield _gauge("trading_halted", "1 while trading is halted or reducing", s.trading.state != "ACTIVE")
        if s.limits:
            use = GaugeMetricFamily(
                f"{PREFIX}_limit_used_ratio",
                "Share of each risk limit in use (1 = at the limit)",
                labels=["limit", "instrument"],
            )
            for limit in s.limits:
                use.add_metric([limit.name, limit.instrument_id or ""], limit.percent / 100)
            yield use
        if s.alerts is not None:
            yield _counter("alerts_raised", "Alerts raised since start (before dedup and rate limit)", s.alerts.raised)
            yield _counter("alerts_suppressed", "Alerts suppressed as duplicates or over the rate", s.alerts.suppressed)
            delivered = CounterMetricFamily(
                f"{PREFIX}_alerts_delivered", "Alerts by destination and outcome", labels=["destination", "outcome"]
            )
            for destination in s.alerts.destinations:
                delivered.add_metric([destination.name, "sent"], destination.sent)
                delivered.add_metric([destination.name, "failed"], destination.failed)
                delivered.add_metric([destination.name, "dropped"], destination.dropped)
            yield delivered
        if s.broker_positions:
            mismatch = GaugeMetricFamily(
                f"{PREFIX}_position_mismatch",
                "1 while IB's position differs from the strategies'",
                labels=["instrument"],
            )
            for row in s.broker_positions:
                mismatch.add_metric([row.instrument_id], row.mismatch)
            yield mismatch
        yield _gauge("gateway_connected", "1 while the IB Gateway connection is up", s.gateway.state == "connected")
        resilience = s.resilience
        # The resilient IB client counts every reconnection; the snapshot's own count sees those it polled.
        reconnects = max(s.gateway.reconnects, resilience.reconnects if resilience is not None else 0)
        yield _counter("gateway_reconnects", "Times the gateway connected again after the first connection", reconnects)
        if resilience is not None:
            yield _gauge(
                "gateway_reconnect_attempts",
                "Reconnection attempts in the current outage",
                resilience.reconnect_attempts,
            )
            live = GaugeMetricFamily(
                f"{PREFIX}_subscription_live", "1 while the market-data subscription is live", labels=["name", "kind"]
            )
            for subscription in resilience.subscriptions:
                live.add_metric([subscription.name, subscription.kind], subscription.state == "live")
            yield live
            if resilience.hot_path is not None:
                yield from _hot_path_metrics(resilience.hot_path)
        age = GaugeMetricFamily(
            f"{PREFIX}_feed_age_seconds", "Seconds since the feed's last event", labels=["feed", "type"]
        )
        rate = GaugeMetricFamily(
            f"{PREFIX}_feed_rate_per_second", "Events per second over the last 10 s", labels=["feed", "type"]
        )
        fresh = GaugeMetricFamily(f"{PREFIX}_feed_fresh", "1 while the feed is fresh", labels=["feed", "type"])
        events = CounterMetricFamily(f"{PREFIX}_feed_events", "Events received on the feed", labels=["feed", "type"])
        for feed in s.feeds:
            labels = [feed.name, feed.data_type]
            if feed.age_secs is not None:
                age.add_metric(labels, feed.age_secs)
            rate.add_metric(labels, feed.rate_per_sec)
            fresh.add_metric(labels, feed.state == "fresh")
            events.add_metric(labels, feed.count)
        yield from (age, rate, fresh, events)
        orders = CounterMetricFamily(f"{PREFIX}_order_events", "Order events since start, by outcome", labels=["event"])
        for event, count in sorted(s.order_events.items()):
            orders.add_metric([event], count)
        yield orders
        if s.latency is not None:
            yield from _latency_metrics(s.latency)
        yield _counter("fills", "Fills since start", s.order_events.get("filled", 0))
        yield _gauge("open_orders", "Open orders", len(s.orders))
        yield _gauge("open_positions", "Open positions", len(s.positions))
        if s.pnl is not None:
            equity = GaugeMetricFamily(f"{PREFIX}_equity", "Account equity as reported", labels=["currency"])
            if s.pnl.equity is not None:
                equity.add_metric([s.pnl.currency], s.pnl.equity)
            yield equity
            unrealized = GaugeMetricFamily(
                f"{PREFIX}_unrealized_pnl", "Unrealized PnL of open positions", labels=["currency"]
            )
            unrealized.add_metric([s.pnl.currency], s.pnl.unrealized)
            yield unrealized


def _latency_metrics(latency: Latency) -> Iterator[Metric]:
    """Histograms over the last hour: the node's submit → accepted and submit → filled, quote age at decision."""
    orders = HistogramMetricFamily(
        f"{PREFIX}_order_latency_seconds", "Order latency over the last hour, from submit", labels=["to"]
    )
    for to, figure in (("accepted", latency.submit_to_accepted), ("filled", latency.submit_to_filled)):
        orders.add_metric([to], _buckets(figure), sum_value=figure.sum_secs)
    yield orders
    ages = HistogramMetricFamily(
        f"{PREFIX}_quote_age_at_decision_seconds",
        "Age of the instrument's latest quote when a strategy created an order, over the last hour",
        labels=["instrument"],
    )
    for instrument, figure in latency.quote_age.items():
        ages.add_metric([instrument], _buckets(figure), sum_value=figure.sum_secs)
    yield ages


def _buckets(figure: LatencyFigure) -> list[tuple[str, float]]:
    return [*((bound, float(count)) for bound, count in figure.buckets.items()), ("+Inf", float(figure.count))]


def _hot_path_metrics(hot: HotPath) -> Iterator[Metric]:
    skipped = CounterMetricFamily(
        f"{PREFIX}_skipped_messages", "Incoming messages skipped (failed to decode, unknown id)", labels=["msg_id"]
    )
    for msg_id, count in hot.skipped_by_id.items():
        skipped.add_metric([msg_id], count)
    yield skipped
    yield _counter("handler_failures", "NautilusTrader message handlers that raised", hot.handler_failures)
    yield _counter(
        "sessions_ended",
        "Gateway sessions ended for a fault (stream out of step, silent) to reconnect",
        hot.sessions_ended,
    )
    yield _gauge("message_backlog", "Incoming messages read but not yet decoded", hot.backlog)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=float(value))


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(f"{PREFIX}_{name}", documentation, value=float(value))


def metrics_registry(board: StatusBoard) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(board))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
