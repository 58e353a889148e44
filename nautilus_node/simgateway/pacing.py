"""IB's request limits: the per-client message rate (error 100) and historical-data pacing (error 162)."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass


class MessageRateLimiter:
    """Sliding one-second window of a client's messages; IB allows about 50 per second."""

    def __init__(self, max_per_second: int = 50) -> None:
        self.max_per_second = max_per_second
        self._stamps: deque[float] = deque()

    def admit(self, now: float) -> int | None:
        """Record a message; ``None`` if within the limit, else the count seen in the last second."""
        while self._stamps and now - self._stamps[0] >= 1.0:
            self._stamps.popleft()
        self._stamps.append(now)
        count = len(self._stamps)
        return count if count > self.max_per_second else None


@dataclass(frozen=True, slots=True)
class PacingRules:
    """IB's historical limits: no identical request within 15 s, at most 60 requests per 10 minutes."""

    identical_window: float = 15.0
    max_requests: int = 60
    window: float = 600.0


class HistoricalPacing:
    """Tracks historical requests across all clients of the gateway (IB paces per account)."""

    def __init__(self, rules: PacingRules | None = None) -> None:
        self.rules = rules or PacingRules()
        self._recent: deque[tuple[float, Hashable]] = deque()

    def check(self, key: Hashable, now: float, *, live: bool) -> str | None:
        """Admit a request (returning ``None``) or return the reason it violates pacing.

        ``live`` requests (keepUpToDate) are exempt from the identical-request rule so that a client can
        resubscribe after a reconnect; they still count toward the window.
        """
        while self._recent and now - self._recent[0][0] >= self.rules.window:
            self._recent.popleft()
        if not live and any(k == key and now - t < self.rules.identical_window for t, k in self._recent):
            return "Historical data request pacing violation: identical request within 15 seconds"
        if len(self._recent) >= self.rules.max_requests:
            return "Historical data request pacing violation: too many requests in 10 minutes"
        self._recent.append((now, key))
        return None
