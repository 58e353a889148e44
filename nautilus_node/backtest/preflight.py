"""Checks that keep a backtest from succeeding at nothing: every instrument, bar type and quote or trade feed
the run needs is in the catalog with rows in the period, and every strategy's data is among the run's data.
Each failure is one line naming what is missing and the command that shows what the catalog holds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from nautilus_trader.model.data import Bar, BarType, QuoteTick, TradeTick
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.settings import ConfigError, DataSettings, StrategySettings

_CLASSES = {"bars": Bar, "quotes": QuoteTick, "trades": TradeTick}


def list_command(catalog: Path | str) -> str:
    return f"python3 -m uv run nautilus-node catalog list --catalog {catalog}"


def check_inputs(
    source: str,
    catalog: Path | str,
    data: list[DataSettings],
    strategies: list[StrategySettings],
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> None:
    """Raise a ConfigError for the first thing the run would miss."""
    store = ParquetDataCatalog.from_uri(str(catalog))  # a directory or an fsspec URL
    see = f"; see what the catalog holds: {list_command(catalog)}"
    defined = {str(i.id) for i in store.instruments()}
    feeds: dict[str, str] = {}  # identifier → kind
    for item in data:
        for identifier in item.bar_types if item.kind == "bars" else [item.instrument_id or ""]:
            feeds[identifier] = item.kind
    instruments = {str(BarType.from_str(i).instrument_id) if k == "bars" else i for i, k in feeds.items()}
    for instrument in sorted(instruments - defined):
        raise ConfigError(f"{source}: instrument {instrument} is not defined in {catalog}{see}")
    for identifier, kind in feeds.items():
        intervals = store.get_intervals(_CLASSES[kind], identifier)
        if not intervals:
            raise ConfigError(f"{source}: the catalog has no {kind} {identifier}{see}")
        if not any(first <= end.value and last >= start.value for first, last in intervals):
            held = f"{_day(min(i[0] for i in intervals))} .. {_day(max(i[1] for i in intervals))}"
            raise ConfigError(
                f"{source}: no {kind} {identifier} in {_day(start.value)} .. {_day(end.value)} (the catalog has "
                f"{held}){see}"
            )
    for strategy in strategies:
        wanted = strategy.config.get("bar_type")
        if wanted is not None and wanted not in feeds and not _built_from_ticks(wanted, feeds):
            raise ConfigError(
                f"{source}: strategy {strategy.path} trades on bars {wanted}, which no [[backtest.data]] provides "
                f"(data: {', '.join(feeds)}){see}"
            )
        instrument = strategy.config.get("instrument_id")
        if instrument is not None and instrument not in instruments:
            raise ConfigError(
                f"{source}: strategy {strategy.path} trades {instrument}, for which no [[backtest.data]] provides "
                f"data (data: {', '.join(feeds)}){see}"
            )


def _built_from_ticks(bar_type: str, feeds: dict[str, str]) -> bool:
    """An INTERNAL bar type is aggregated by NautilusTrader from its instrument's quotes or trades."""
    try:
        parsed = BarType.from_str(bar_type)
    except ValueError:
        return False
    instrument = str(parsed.instrument_id)
    return parsed.is_internally_aggregated() and feeds.get(instrument) in ("quotes", "trades")


def _day(ns: int) -> str:
    return pd.Timestamp(ns, tz="UTC").strftime("%Y-%m-%d %H:%M")
