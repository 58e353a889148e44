"""Order latency where users look: submit → accepted and submit → filled over the last hour, and the age of an
instrument's latest quote when a strategy decided (created an order), per instrument.

Fed with the order events the status actor already observes (`events.order.*`), in O(1) per event; the
percentiles and histogram buckets are computed when a snapshot is built. Times are the events' `ts_init`
(the node's clock when it made the event: `OrderSubmitted` as the execution client sent the order,
`OrderAccepted` and `OrderFilled` as the gateway's answer was processed; a fill's `ts_event` is IB's execution
time, in whole seconds). The quote age is `OrderInitialized.ts_init` minus the
`ts_event` of the latest quote in the cache for its instrument (IB's quote ticks carry the time the node
received them, tick-by-tick ticks the gateway's).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from nautilus_trader.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderInitialized,
    OrderRejected,
    OrderSubmitted,
)

from nautilus_node.status.snapshot import Latency, LatencyFigure

WINDOW_NS = 3_600_000_000_000  # the last hour
MAX_SAMPLES = 20_000  # per series, so memory stays bounded under any order rate
MAX_PENDING = 10_000
BUCKETS_SECS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_DONE = (OrderCanceled, OrderExpired, OrderRejected)


class Series:
    """(time ns, seconds) samples of the last hour, at most MAX_SAMPLES."""

    def __init__(self) -> None:
        self._samples: deque[tuple[int, float]] = deque(maxlen=MAX_SAMPLES)

    def add(self, ts_ns: int, secs: float) -> None:
        self._samples.append((ts_ns, max(secs, 0.0)))

    def figure(self, now_ns: int) -> LatencyFigure:
        samples = self._samples
        while samples and samples[0][0] < now_ns - WINDOW_NS:
            samples.popleft()
        values = sorted(secs for _, secs in samples)
        count = len(values)
        buckets, i = {}, 0
        for bound in BUCKETS_SECS:
            while i < count and values[i] <= bound:
                i += 1
            buckets[str(bound)] = i
        return LatencyFigure(
            count=count,
            p50_ms=_percentile_ms(values, 0.5),
            p99_ms=_percentile_ms(values, 0.99),
            sum_secs=round(sum(values), 6),
            buckets=buckets,
        )


def _percentile_ms(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1e3, 3)


class LatencyRecorder:
    """Order events in, `Latency` out; the latest quotes are read from NautilusTrader's `cache`."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache
        self._submitted: dict[object, int] = {}
        self._accepted = Series()
        self._filled = Series()
        self._quote_age: dict[str, Series] = {}

    def on_event(self, event: object) -> None:
        kind = type(event)
        if kind is OrderInitialized:
            quote = self._cache.quote_tick(event.instrument_id)
            if quote is not None:
                series = self._quote_age.setdefault(str(event.instrument_id), Series())
                series.add(event.ts_init, (event.ts_init - quote.ts_event) / 1e9)
        elif kind is OrderSubmitted:
            if len(self._submitted) >= MAX_PENDING:
                self._submitted.pop(next(iter(self._submitted)))
            self._submitted[event.client_order_id] = event.ts_init
        elif kind is OrderAccepted:
            submitted = self._submitted.get(event.client_order_id)
            if submitted is not None:
                self._accepted.add(event.ts_init, (event.ts_init - submitted) / 1e9)
        elif kind is OrderFilled:
            submitted = self._submitted.pop(event.client_order_id, None)
            if submitted is not None:
                self._filled.add(event.ts_init, (event.ts_init - submitted) / 1e9)
        elif kind in _DONE:
            self._submitted.pop(event.client_order_id, None)

    def view(self, now_ns: int) -> Latency:
        return Latency(
            window_secs=WINDOW_NS // 1_000_000_000,
            submit_to_accepted=self._accepted.figure(now_ns),
            submit_to_filled=self._filled.figure(now_ns),
            quote_age={name: series.figure(now_ns) for name, series in sorted(self._quote_age.items())},
        )
