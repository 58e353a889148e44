"""A strategy for tests: records, in a JSON file, that `on_start` ran and what the node had by then."""

from __future__ import annotations

import json
from pathlib import Path

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy


class StartupProbeConfig(StrategyConfig, frozen=True):
    """Where to write the record, and which instrument to watch."""

    record_path: str
    instrument_id: InstrumentId


class StartupProbe(Strategy):
    """Writes `{"on_start": ..., "quotes": n}` so a test can see the strategy really started and got data."""

    def __init__(self, config: StartupProbeConfig) -> None:
        super().__init__(config)
        self._record = Path(config.record_path)
        self._quotes = 0
        self._facts: dict = {}

    def on_start(self) -> None:
        instrument = self.cache.instrument(self.config.instrument_id)
        self._facts = {
            "on_start": True,
            "instrument_loaded": instrument is not None,
            "accounts": [str(account.id) for account in self.cache.accounts()],
        }
        self._write()
        self.subscribe_quote_ticks(self.config.instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self._quotes += 1
        if self._quotes in (1, 10):
            self._write()

    def _write(self) -> None:
        self._record.write_text(json.dumps({**self._facts, "quotes": self._quotes}))
