"""Backtests: a backtest config file → NautilusTrader `BacktestRunConfig` → `BacktestNode` → results folder.

Everything the run does is NautilusTrader's own `BacktestNode` over the `ParquetDataCatalog`; this module only
translates the config file, adds a progress bar actor, and hands the finished engine to `report`. Runs stream
the catalog in chunks of `chunk_size` records (NautilusTrader's streaming `BacktestNode`), so memory stays bounded
whatever the period; `chunk_size=None` loads the whole period into memory first. Both give the same results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from nautilus_trader.backtest.config import (
    BacktestDataConfig,
    BacktestEngineConfig,
    BacktestRunConfig,
    BacktestVenueConfig,
    ImportableFeeModelConfig,
)
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.backtest.node import BacktestNode
from nautilus_trader.backtest.results import BacktestResult
from nautilus_trader.common.config import ImportableActorConfig, LoggingConfig
from nautilus_trader.model.data import Bar, QuoteTick, TradeTick
from nautilus_trader.model.identifiers import InstrumentId

from nautilus_node.backtest.catalog_location import CatalogLocation
from nautilus_node.backtest.config import parse_time
from nautilus_node.backtest.preflight import check_inputs, list_command
from nautilus_node.settings import BacktestSection, ConfigError, DataSettings, Settings, StrategySettings, VenueSettings
from nautilus_node.validation import importable_strategy, instantiate_strategy

DEFAULT_CHUNK_SIZE = 1_000_000  # records per streamed chunk (docs/sweeps.md has the memory it takes)
_DATA_CLASSES = {"bars": Bar, "quotes": QuoteTick, "trades": TradeTick}
_FEE_SCHEDULES = {
    "ib": "auto",
    "ib_fx": "fx",
    "ib_us_stock": "us_stock",
    "ib_us_future": "us_future",
    "ib_crypto": "crypto",
}


@dataclass(frozen=True)
class BacktestRun:
    """What a finished backtest hands to reporting: the engine (not disposed) and NautilusTrader's result."""

    config: BacktestRunConfig
    engine: BacktestEngine
    result: BacktestResult
    node: BacktestNode


def strategy_name(strategy: StrategySettings) -> str:
    """The name `--strategy` matches: the strategy's module, e.g. "ema_cross" for "strategies.ema_cross:X"."""
    return strategy.path.split(":")[0].rsplit(".", 1)[-1]


def select_strategies(settings: Settings, name: str | None, source: str) -> list[StrategySettings]:
    """All strategies, or those whose module or class name is `name` (case-insensitive)."""
    if name is None:
        return list(settings.strategies)
    wanted = name.lower()
    chosen = [s for s in settings.strategies if wanted in (strategy_name(s).lower(), s.path.split(":")[-1].lower())]
    if not chosen:
        known = ", ".join(sorted({strategy_name(s) for s in settings.strategies}))
        raise ConfigError(f"{source}: --strategy {name!r} matches no [[strategies]] entry (have: {known})")
    return chosen


def build_run_config(
    settings: Settings,
    source: str,
    strategy: str | None = None,
    start: str | None = None,
    end: str | None = None,
    progress: bool | None = None,
    chunk_size: int | None = DEFAULT_CHUNK_SIZE,
) -> BacktestRunConfig:
    """Translate a validated backtest file (plus command-line overrides) into a `BacktestRunConfig` that streams
    the catalog in chunks of `chunk_size` records (`None`: all in memory)."""
    section: BacktestSection = settings.backtest  # type: ignore[assignment]  # checked by load_backtest_file
    strategies = select_strategies(settings, strategy, source)
    for strategy_settings in strategies:
        index = settings.strategies.index(strategy_settings)
        instantiate_strategy(strategy_settings, f"{source}: strategies[{index}]")
    names = {strategy_name(s) for s in strategies}
    data = [d for d in section.data if not d.strategies or names & set(d.strategies)]
    if not data:
        raise ConfigError(f"{source}: backtest.data: no data set is used by strategies {sorted(names)}")
    catalog = CatalogLocation.parse(section.catalog)
    if catalog.is_local and not Path(catalog.path).is_dir():
        raise ConfigError(f"{source}: backtest.catalog: no catalog directory at {section.catalog!r}")
    start_ts = parse_time(start or section.start, "--start") if (start or section.start) else None
    end_ts = parse_time(end or section.end, "--end") if (end or section.end) else None
    if start_ts is None or end_ts is None:
        first, last = _catalog_span(catalog, data)
        start_ts = start_ts or first
        end_ts = end_ts or last
    if end_ts <= start_ts:
        start_from = "--start" if start else ("backtest.start" if section.start else "the catalog's first data")
        end_from = "--end" if end else ("backtest.end" if section.end else "the catalog's last data")
        raise ConfigError(
            f"{source}: the end {end_ts:%Y-%m-%d %H:%M} ({end_from}) is not after the start "
            f"{start_ts:%Y-%m-%d %H:%M} ({start_from}); give a period with --start and --end"
        )
    check_inputs(source, catalog.url, data, strategies, start_ts, end_ts)
    actors = []
    if progress is not False:
        actors.append(
            ImportableActorConfig(
                actor_path="nautilus_node.backtest.progress:ProgressActor",
                config_path="nautilus_node.backtest.progress:ProgressConfig",
                config={"start_ns": start_ts.value, "end_ns": end_ts.value, "enabled": progress},
            ),
        )
    return BacktestRunConfig(
        engine=BacktestEngineConfig(
            strategies=[importable_strategy(s) for s in strategies],
            actors=actors,
            logging=_logging(section.log_level),
        ),
        venues=[_venue(v) for v in section.venues],
        data=[_data(d, catalog) for d in data],
        start=start_ts.isoformat(),
        end=end_ts.isoformat(),
        chunk_size=chunk_size,
        raise_exception=True,
        dispose_on_completion=False,
    )


def run_backtest(config: BacktestRunConfig) -> BacktestRun:
    """Run one `BacktestRunConfig` through NautilusTrader's `BacktestNode`; the engine stays open."""
    node = BacktestNode(configs=[config])
    (result,) = node.run()
    return BacktestRun(config=config, engine=node.get_engine(config.id), result=result, node=node)


def _logging(level: str) -> LoggingConfig:
    if level == "OFF":
        return LoggingConfig(bypass_logging=True)
    return LoggingConfig(log_level=level)


def _venue(venue: VenueSettings) -> BacktestVenueConfig:
    fee = None
    if venue.fee_model != "none":
        fee = ImportableFeeModelConfig(
            fee_model_path="nautilus_node.backtest.fees:IBFeeModel",
            config_path="nautilus_node.backtest.fees:IBFeeConfig",
            config={"schedule": _FEE_SCHEDULES[venue.fee_model]},
        )
    return BacktestVenueConfig(
        name=venue.name,
        oms_type=venue.oms_type.upper(),
        account_type=venue.account_type.upper(),
        base_currency=venue.base_currency,
        starting_balances=venue.starting_balances,
        default_leverage=venue.leverage,
        fee_model=fee,
        bar_execution=venue.bar_execution,
    )


def _data(data: DataSettings, catalog: CatalogLocation) -> BacktestDataConfig:
    where = {"catalog_path": catalog.path, "catalog_fs_protocol": catalog.protocol}
    if data.kind == "bars":
        return BacktestDataConfig(**where, data_cls=Bar, bar_types=data.bar_types)
    return BacktestDataConfig(
        **where,
        data_cls=_DATA_CLASSES[data.kind],
        instrument_id=InstrumentId.from_str(data.instrument_id),
    )


def _catalog_span(catalog: CatalogLocation, data: list[DataSettings]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last timestamps the catalog holds for the given data sets."""
    store = catalog.open()
    intervals = []
    for item in data:
        identifiers = item.bar_types if item.kind == "bars" else [item.instrument_id]
        for identifier in identifiers:
            intervals += store.get_intervals(_DATA_CLASSES[item.kind], identifier)
    if not intervals:
        wanted = ", ".join(
            f"{d.kind} {i}" for d in data for i in (d.bar_types if d.kind == "bars" else [d.instrument_id])
        )
        raise ConfigError(
            f"{catalog.url}: the catalog has none of {wanted}; see what it holds: {list_command(catalog.url)}"
        )
    return (
        pd.Timestamp(min(i[0] for i in intervals), unit="ns", tz="UTC"),
        pd.Timestamp(max(i[1] for i in intervals), unit="ns", tz="UTC"),
    )
