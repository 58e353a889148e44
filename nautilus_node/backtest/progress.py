"""A progress bar for backtests: an actor whose timer advances a tqdm bar through simulated time.

The timer fires a fixed number of times over the run, so its cost does not grow with the data; it touches
no data, orders or account, so results are the same with or without it.
"""

from __future__ import annotations

import pandas as pd
from nautilus_trader.common.actor import Actor
from nautilus_trader.common.config import ActorConfig, PositiveInt
from nautilus_trader.common.events import TimeEvent
from tqdm import tqdm


class ProgressConfig(ActorConfig, frozen=True):
    """Run span in UNIX nanoseconds and how many steps the bar moves in; `enabled=None` shows it on a TTY."""

    start_ns: int
    end_ns: int
    steps: PositiveInt = 100
    enabled: bool | None = None


class ProgressActor(Actor):
    """Shows how far through the backtest period the engine's clock has got."""

    def __init__(self, config: ProgressConfig) -> None:
        super().__init__(config)
        self._bar: tqdm | None = None
        self._done = 0

    def on_start(self) -> None:
        """Open the bar and start the timer."""
        cfg = self.config
        span = cfg.end_ns - cfg.start_ns
        if span <= 0:
            return
        self._bar = tqdm(
            total=cfg.steps,
            desc="backtest",
            unit="%",
            disable=None if cfg.enabled is None else not cfg.enabled,
            bar_format="{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
        )
        self.clock.set_timer(
            name="backtest-progress",
            interval=pd.Timedelta(span // cfg.steps, unit="ns"),
            start_time=pd.Timestamp(cfg.start_ns, unit="ns", tz="UTC"),
            stop_time=pd.Timestamp(cfg.end_ns, unit="ns", tz="UTC"),
            callback=self._on_tick,
        )

    def _on_tick(self, event: TimeEvent) -> None:
        if self._bar is None:
            return
        cfg = self.config
        reached = min(cfg.steps, (event.ts_event - cfg.start_ns) * cfg.steps // (cfg.end_ns - cfg.start_ns))
        if reached > self._done:
            self._bar.set_description_str(
                f"backtest {pd.Timestamp(event.ts_event, unit='ns'):%Y-%m-%d %H:%M}", refresh=False
            )
            self._bar.update(reached - self._done)
            self._done = reached

    def on_stop(self) -> None:
        """Close the bar."""
        if self._bar is not None:
            self._bar.update(self.config.steps - self._done)
            self._bar.close()
            self._bar = None
