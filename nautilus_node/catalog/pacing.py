"""Obeying IB's historical-data pacing (``ib.pacing``): how long to wait before the next request may go.

The policy keeps ``margin_secs`` under each limit. It reads time only through an injected clock, so tests can
drive it with a fake one.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

from nautilus_node.ib.pacing import IB_PACING, HistoricalRequest, PacingRules, violation


class Pacer:
    """Tracks requests sent and says how long the next one must wait to stay within the rules."""

    def __init__(self, rules: PacingRules = IB_PACING, clock: Callable[[], float] = time.monotonic) -> None:
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


def violations(log: Iterable[tuple[float, HistoricalRequest]], rules: PacingRules = IB_PACING) -> list[str]:
    """IB's limits (without margin) that a log of (time sent, request) broke, one description each."""
    sent = sorted(log, key=lambda item: item[0])
    found: list[str] = []
    for i, (t, request) in enumerate(sent):
        broken = violation(sent[:i], request, t, rules)
        if broken is None:
            continue
        if broken.rule == "window":
            found.append(f"t={t:.1f}s: {broken.count} requests within {rules.window_secs:.0f}s")
        elif broken.rule == "identical":
            found.append(f"t={t:.1f}s: identical request within {rules.identical_secs:.0f}s")
        else:
            found.append(f"t={t:.1f}s: {broken.count} requests for one series within {rules.burst_secs:.0f}s")
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
