"""Liveness of market-data subscriptions: which ones went silent, when to re-request them, when to give up.

Pure bookkeeping, no IO: the resilient IB client tells it when data arrives (`seen`), when a subscription was
re-requested for a known cause (`recovering`), and asks it once in a while which subscriptions are `due`
for a re-request. A subscription silent beyond its expected interval is re-requested with back-off
(interval, 2x, 4x, … capped), and after `max_tries` re-requests without data it is reported dead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

LivenessState = Literal["waiting", "live", "recovering", "dead"]


@dataclass(frozen=True, slots=True)
class LivenessPolicy:
    """How long a subscription may be silent and how hard it is retried."""

    quote_silence_secs: float = 10.0
    bar_grace_secs: float = 5.0
    max_tries: int = 5
    backoff_max_secs: float = 60.0


@dataclass(slots=True)
class Watch:
    """One subscription's liveness."""

    name: str
    kind: str
    expected_secs: float
    state: LivenessState = "waiting"
    last_data_ns: int | None = None
    quiet_since_ns: int = 0
    recovering_since_ns: int | None = None
    tries: int = 0
    next_try_ns: int = 0
    cause: str | None = None


class LivenessBook:
    """Every watched subscription by name (the IB client's subscription name as text)."""

    def __init__(self, policy: LivenessPolicy) -> None:
        self.policy = policy
        self._watches: dict[str, Watch] = {}

    def track(self, name: str, kind: str, expected_secs: float, now_ns: int) -> Watch:
        """Start watching `name` (idempotent); silence is counted from `now_ns`."""
        watch = self._watches.get(name)
        if watch is None:
            watch = self._watches[name] = Watch(name, kind, expected_secs, quiet_since_ns=now_ns)
        return watch

    def forget(self, name: str) -> None:
        self._watches.pop(name, None)

    def names(self) -> list[str]:
        return list(self._watches)

    def watches(self) -> list[Watch]:
        return list(self._watches.values())

    def seen(self, name: str, now_ns: int) -> None:
        """Data arrived for `name`: it is live again."""
        watch = self._watches.get(name)
        if watch is None:
            return
        watch.last_data_ns = now_ns
        if watch.state != "live":
            watch.state = "live"
            watch.tries = 0
            watch.recovering_since_ns = None
            watch.cause = None

    def pause(self, now_ns: int, names: Iterable[str] | None = None) -> None:
        """Nothing can flow now for `names` (default: every watch): their market is closed, the farm broken or
        the gateway away. Their silence restarts from `now_ns`, so after a pause each has its full interval."""
        chosen = self._watches.values() if names is None else (self._watches[n] for n in names if n in self._watches)
        for watch in chosen:
            watch.quiet_since_ns = now_ns
            if watch.state == "recovering":
                watch.next_try_ns = max(watch.next_try_ns, now_ns + self._backoff_ns(watch))

    def recovering(self, name: str, cause: str, now_ns: int) -> None:
        """`name` was re-requested for `cause` (1101, 10225, a reconnect, …): recovering until data comes."""
        watch = self._watches.get(name)
        if watch is None:
            return
        if watch.state != "recovering":
            watch.state = "recovering"
            watch.recovering_since_ns = now_ns
            watch.tries = 0
        watch.cause = cause
        watch.quiet_since_ns = now_ns
        watch.next_try_ns = now_ns + self._backoff_ns(watch)

    def due(self, now_ns: int) -> list[str]:
        """The subscriptions to re-request now (each counted as one try); the exhausted ones turn dead."""
        result = []
        for watch in self._watches.values():
            if watch.state in ("waiting", "live"):
                last = max(watch.last_data_ns or 0, watch.quiet_since_ns)
                if now_ns - last > watch.expected_secs * 1e9:
                    watch.state = "recovering"
                    watch.recovering_since_ns = now_ns
                    watch.cause = "silent"
                    watch.tries = 1
                    watch.next_try_ns = now_ns + self._backoff_ns(watch)
                    result.append(watch.name)
            elif watch.state == "recovering" and now_ns >= watch.next_try_ns:
                if watch.tries >= self.policy.max_tries:
                    watch.state = "dead"
                    continue
                watch.tries += 1
                watch.next_try_ns = now_ns + self._backoff_ns(watch)
                result.append(watch.name)
        return result

    def _backoff_ns(self, watch: Watch) -> int:
        secs = watch.expected_secs * 2 ** max(watch.tries - 1, 0)
        return int(min(secs, self.policy.backoff_max_secs) * 1e9)
