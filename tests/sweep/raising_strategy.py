"""A strategy that builds and starts as the EMA cross does, then raises on its `raise_after_bars`-th bar: a trial
that fails only while it runs on a worker (0 never raises)."""

from __future__ import annotations

from nautilus_trader.config import NonNegativeInt
from nautilus_trader.model.data import Bar

from strategies.ema_cross import EMACrossConfig, EMACrossStrategy


class RaisingEMACrossConfig(EMACrossConfig, frozen=True):
    """The EMA cross's parameters and the bar to raise on."""

    raise_after_bars: NonNegativeInt = 0


class RaisingEMACross(EMACrossStrategy):
    """The EMA cross, raising `RuntimeError` on its `raise_after_bars`-th bar."""

    def __init__(self, config: RaisingEMACrossConfig) -> None:
        super().__init__(config)
        self._bars = 0

    def on_bar(self, bar: Bar) -> None:
        """Count the bar, raise on the configured one, else trade as the EMA cross."""
        self._bars += 1
        if self._bars == self.config.raise_after_bars:
            raise RuntimeError(f"raised on bar {self._bars} at {bar.ts_event}, as configured")
        super().on_bar(bar)
