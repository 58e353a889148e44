"""How long each stage of a node's start-up took, so a slow start shows where its time went."""

from __future__ import annotations

import time
from collections.abc import Callable


class StartupStages:
    """Marks the end of each start-up stage on a monotonic clock; `summary()` is one line of them all."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self._last = self.started
        self.stages: list[tuple[str, float]] = []

    def mark(self, stage: str) -> None:
        """The stage named `stage` ends now."""
        now = self._clock()
        self.stages.append((stage, now - self._last))
        self._last = now

    def elapsed(self) -> float:
        """Seconds since the start-up began."""
        return self._clock() - self.started

    def summary(self) -> str:
        """`start-up stages: probe 0.01 s, adapter import 1.20 s, …, total 2.40 s`."""
        parts = [f"{stage} {secs:.2f} s" for stage, secs in self.stages]
        return f"start-up stages: {', '.join(parts)}; total {self._last - self.started:.2f} s"
