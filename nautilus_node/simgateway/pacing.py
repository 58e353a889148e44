"""Enforcing IB's request limits (``ib.pacing``): the per-client message rate (error 100) and
historical-data pacing (error 162)."""

from __future__ import annotations

from collections import deque

from nautilus_node.ib.pacing import MESSAGES_PER_SECOND, HistoricalRequest, PacingRules, violation


class MessageRateLimiter:
    """Sliding one-second window of a client's messages; IB allows about 50 per second."""

    def __init__(self, max_per_second: int = MESSAGES_PER_SECOND) -> None:
        self.max_per_second = max_per_second
        self._stamps: deque[float] = deque()

    def admit(self, now: float) -> int | None:
        """Record a message; ``None`` if within the limit, else the count seen in the last second."""
        while self._stamps and now - self._stamps[0] >= 1.0:
            self._stamps.popleft()
        self._stamps.append(now)
        count = len(self._stamps)
        return count if count > self.max_per_second else None


class HistoricalPacing:
    """Tracks historical requests across all clients of the gateway (IB paces per account)."""

    def __init__(self, rules: PacingRules | None = None) -> None:
        self.rules = rules or PacingRules()
        self._recent: deque[tuple[float, HistoricalRequest]] = deque()

    def check(self, request: HistoricalRequest, now: float, *, live: bool) -> str | None:
        """Admit a request (returning ``None``) or return which limit it breaks.

        ``live`` requests (keepUpToDate) are exempt from the identical-request rule so that a client can
        resubscribe after a reconnect; they still count toward the burst and the window.
        """
        horizon = max(self.rules.window_secs, self.rules.identical_secs, self.rules.burst_secs)
        while self._recent and now - self._recent[0][0] >= horizon:
            self._recent.popleft()
        broken = violation(self._recent, request, now, self.rules, check_identical=not live)
        if broken is not None:
            return broken.describe(self.rules)
        self._recent.append((now, request))
        return None
