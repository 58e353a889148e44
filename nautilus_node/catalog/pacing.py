"""IB historical-data pacing as a pure policy: how long to wait before the next request may go.

IB answers error 162 ("pacing violation") when a client makes, for historical data:
- more than 60 requests within any ten minutes (a BID_ASK request counts twice),
- an identical request within 15 seconds,
- six or more requests for the same contract, exchange and tick type within two seconds.
The policy keeps a margin under each limit. It reads time only through an injected clock, so tests can
drive it with a fake one.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PacingRules:
    """IB's limits, with a safety margin in seconds added to every waiting time."""

    window_secs: float = 600.0
    window_requests: int = 60
    identical_secs: float = 15.0
    burst_secs: float = 2.0
    burst_requests: int = 5
    margin_secs: float = 0.5


@dataclass(frozen=True)
class HistoricalRequest:
    """What IB compares requests by: the contract's series (contract, exchange, what) and the exact query."""

    series: Hashable
    what: str
    query: Hashable

    @property
    def cost(self) -> int:
        return 2 if self.what == "BID_ASK" else 1


class Pacer:
    """Tracks requests sent and says how long the next one must wait to stay within the rules."""

    def __init__(self, rules: PacingRules = PacingRules(), clock: Callable[[], float] = time.monotonic) -> None:
        self.rules = rules
        self._clock = clock
        self._sent: deque[tuple[float, HistoricalRequest]] = deque()

    def delay(self, request: HistoricalRequest) -> float:
        """Seconds to wait before `request` may be sent (0 if it may go now)."""
        now = self._clock()
        self._forget_before(now - max(self.rules.window_secs, self.rules.identical_secs, self.rules.burst_secs))
        return max(
            0.0, self._window_delay(now, request), self._identical_delay(now, request), self._burst_delay(now, request)
        )

    def record(self, request: HistoricalRequest) -> None:
        """Note that `request` was sent now."""
        self._sent.append((self._clock(), request))

    def _window_delay(self, now: float, request: HistoricalRequest) -> float:
        r = self.rules
        recent = [(t, q.cost) for t, q in self._sent if t > now - r.window_secs]
        excess = sum(cost for _, cost in recent) + request.cost - r.window_requests
        if excess <= 0:
            return 0.0
        freed = 0
        for t, cost in recent:
            freed += cost
            if freed >= excess:
                return t + r.window_secs + r.margin_secs - now
        return r.window_secs + r.margin_secs

    def _identical_delay(self, now: float, request: HistoricalRequest) -> float:
        r = self.rules
        same = [t for t, q in self._sent if q == request and t > now - r.identical_secs - r.margin_secs]
        return max(same) + r.identical_secs + r.margin_secs - now if same else 0.0

    def _burst_delay(self, now: float, request: HistoricalRequest) -> float:
        r = self.rules
        same_series = [t for t, q in self._sent if q.series == request.series and t > now - r.burst_secs]
        if len(same_series) < r.burst_requests:
            return 0.0
        oldest_that_must_expire = same_series[len(same_series) - r.burst_requests]
        return oldest_that_must_expire + r.burst_secs + r.margin_secs - now

    def _forget_before(self, horizon: float) -> None:
        while self._sent and self._sent[0][0] <= horizon - self.rules.margin_secs:
            self._sent.popleft()


def violations(log: Iterable[tuple[float, HistoricalRequest]], rules: PacingRules = PacingRules()) -> list[str]:
    """IB's limits (without margin) that a log of (time sent, request) broke, one description each."""
    sent = sorted(log, key=lambda item: item[0])
    found: list[str] = []
    for i, (t, request) in enumerate(sent):
        earlier = sent[:i]
        in_window = sum(q.cost for s, q in earlier if s > t - rules.window_secs) + request.cost
        if in_window > rules.window_requests:
            found.append(f"t={t:.1f}s: {in_window} requests within {rules.window_secs:.0f}s")
        if any(q == request and s > t - rules.identical_secs for s, q in earlier):
            found.append(f"t={t:.1f}s: identical request within {rules.identical_secs:.0f}s")
        burst = sum(1 for s, q in earlier if q.series == request.series and s > t - rules.burst_secs) + 1
        if burst > rules.burst_requests:
            found.append(f"t={t:.1f}s: {burst} requests for one series within {rules.burst_secs:.0f}s")
    return found


def max_in_window(times: Iterable[float], window_secs: float = 600.0) -> int:
    """The most requests that fall within any `window_secs` span of `times`."""
    ordered = sorted(times)
    best = start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window_secs:
            start += 1
        best = max(best, end - start + 1)
    return best
