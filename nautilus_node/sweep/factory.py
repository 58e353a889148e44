"""Trials from a config file: the chosen strategy's `[strategies.config]` with a trial's parameters laid over it,
the whole thing built by the same code as `backtest` (`build_run_config`), without the progress bar."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pandas as pd
from nautilus_trader.config import StrategyConfig

from nautilus_node.backtest.config import load_backtest_file
from nautilus_node.backtest.runner import build_run_config, select_strategies, strategy_name
from nautilus_node.errors import InputError
from nautilus_node.settings import ConfigError, Settings, StrategySettings
from nautilus_node.sweep.space import Space, Value
from nautilus_node.sweep.trial import TrialResult, TrialSpec, failed, trial_key
from nautilus_node.validation import resolve


@dataclass(frozen=True)
class TrialFactory:
    """Builds each trial's run config from one config file and one of its strategies."""

    settings: Settings
    source: str
    strategy: StrategySettings
    chunk_size: int | None

    @classmethod
    def load(cls, path: Path, strategy: str | None, chunk_size: int | None) -> TrialFactory:
        """Read the config and pick exactly one strategy (`strategy` may be omitted when there is only one)."""
        settings = load_backtest_file(path)
        chosen = select_strategies(settings, strategy, str(path))
        if len(chosen) != 1:
            names = ", ".join(strategy_name(s) for s in chosen)
            raise InputError(f"{path}: a sweep varies one strategy; choose one with --strategy ({names})")
        return cls(settings, str(path), chosen[0], chunk_size)

    @property
    def name(self) -> str:
        """The strategy's module name, as `--strategy` takes it."""
        return strategy_name(self.strategy)

    def check_space(self, space: Space) -> None:
        """Every swept name must be a field of the strategy's config class."""
        config_cls = resolve(self.strategy.config_path, f"{self.source}: {self.name}.config_path")
        fields = {f.name for f in msgspec.structs.fields(config_cls)}
        own = fields - {f.name for f in msgspec.structs.fields(StrategyConfig)}  # the strategy's, not the base's
        for name in space.names:
            if name not in fields:
                known = ", ".join(sorted(own or fields))
                raise InputError(f"--param {name}: {config_cls.__name__} has no field {name!r} (its fields: {known})")

    def period(self, start: str | None, end: str | None) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The period the config (and `--start`/`--end`) give, completed from the catalog's data."""
        config = build_run_config(self._with({}), self.source, strategy=self.name, start=start, end=end, progress=False)
        return pd.Timestamp(config.start), pd.Timestamp(config.end)

    def trial(
        self,
        params: dict[str, Value],
        start: pd.Timestamp,
        end: pd.Timestamp,
        fold: int | None = None,
        sample: str = "all",
    ) -> TrialSpec | TrialResult:
        """The trial's spec, or a failed result when the strategy refuses these parameters."""
        try:
            config = build_run_config(
                self._with(params),
                self.source,
                strategy=self.name,
                start=start.isoformat(),
                end=end.isoformat(),
                progress=False,
                chunk_size=self.chunk_size,
            )
        except ConfigError as exc:
            digest = hashlib.sha256(json.dumps([params, start.isoformat(), end.isoformat()]).encode()).hexdigest()
            key = f"invalid-{digest[:16]}"
            spec = TrialSpec(key, params, b"", start.isoformat(), end.isoformat(), fold, sample)
            return failed(spec, str(exc))
        return TrialSpec(trial_key(config), params, config.json(), config.start, config.end, fold, sample)

    def _with(self, params: dict[str, Value]) -> Settings:
        strategies = [
            msgspec.structs.replace(s, config={**s.config, **params}) if s is self.strategy else s
            for s in self.settings.strategies
        ]
        return msgspec.structs.replace(self.settings, strategies=strategies)
