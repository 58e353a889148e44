"""The backtest config file: `[backtest]` (catalog, data, period, venues) plus the shared `[[strategies]]`.

Decoded with msgspec into frozen Structs at the edge; errors name the file and the key path. The
`[[strategies]]` tables are the live config's `StrategySettings`, so a strategy entry can be copied between a
live config and a backtest config unchanged.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

import msgspec
import pandas as pd
from nautilus_trader.model.data import BarType
from nautilus_trader.model.identifiers import InstrumentId

from nautilus_node.settings import ConfigError, StrategySettings, describe_validation_error

Positive = Annotated[float, msgspec.Meta(gt=0)]


class _Table(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base for every table: frozen, strict about unknown keys."""


class DataSettings(_Table):
    """One data set read from the catalog.

    `kind = "bars"` needs `bar_types`; `kind = "quotes"` needs `instrument_id`. `strategies` limits the data
    set to runs that include one of the named strategies (see `StrategySettings` matching in `backtest.py`).
    """

    kind: Literal["bars", "quotes", "trades"]
    instrument_id: str | None = None
    bar_types: list[str] = []
    strategies: list[str] = []


class VenueSettings(_Table):
    """A simulated venue; `fee_model` picks one of IB's commission schedules."""

    name: str = "IDEALPRO"
    account_type: Literal["cash", "margin"] = "margin"
    oms_type: Literal["netting", "hedging"] = "netting"
    base_currency: str | None = "USD"
    starting_balances: list[str] = msgspec.field(default_factory=lambda: ["100000 USD"])
    leverage: Positive = 1.0
    fee_model: Literal["ib_fx", "ib_us_stock", "none"] = "ib_fx"
    bar_execution: bool = True


class BacktestSection(_Table):
    """The `[backtest]` table. Relative paths are taken relative to the current directory."""

    catalog: str = "catalog"
    results: str = "results"
    start: str | None = None
    end: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "OFF"] = "ERROR"
    data: list[DataSettings] = []
    venues: list[VenueSettings] = msgspec.field(default_factory=lambda: [VenueSettings()])


class BacktestFile(_Table):
    """A whole backtest config file."""

    backtest: BacktestSection = BacktestSection()
    strategies: list[StrategySettings] = []


def load_backtest_file(path: Path) -> BacktestFile:
    """Read and validate the backtest config at `path`; raises `ConfigError` with a one-line message."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        parsed = msgspec.convert(raw, BacktestFile, strict=True)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation_error(exc)}") from None
    _check(parsed, str(path))
    return parsed


def parse_time(value: str, where: str) -> pd.Timestamp:
    """A UTC timestamp from an ISO date or date-time; `where` names the key in the error."""
    try:
        stamp = pd.Timestamp(value)
    except ValueError:
        raise ConfigError(f"{where}: expected an ISO date or date-time, got {value!r}") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _check(parsed: BacktestFile, source: str) -> None:
    section = parsed.backtest
    start = parse_time(section.start, f"{source}: backtest.start") if section.start else None
    end = parse_time(section.end, f"{source}: backtest.end") if section.end else None
    if start is not None and end is not None and end <= start:
        raise ConfigError(f"{source}: backtest.end: {section.end!r} is not after start {section.start!r}")
    if not parsed.strategies:
        raise ConfigError(f"{source}: strategies: at least one [[strategies]] table is needed")
    if not section.data:
        raise ConfigError(f"{source}: backtest.data: at least one [[backtest.data]] table is needed")
    if not section.venues:
        raise ConfigError(f"{source}: backtest.venues: at least one [[backtest.venues]] table is needed")
    for index, data in enumerate(section.data):
        where = f"{source}: backtest.data[{index}]"
        if data.kind == "bars" and not data.bar_types:
            raise ConfigError(f"{where}.bar_types: bars need at least one bar type")
        if data.kind != "bars" and data.instrument_id is None:
            raise ConfigError(f"{where}.instrument_id: {data.kind} need an instrument id")
        for key, value, parse in [("instrument_id", data.instrument_id, InstrumentId.from_str)] + [
            (f"bar_types[{i}]", bar_type, BarType.from_str) for i, bar_type in enumerate(data.bar_types)
        ]:
            if value is None:
                continue
            try:
                parse(value)
            except ValueError as exc:
                raise ConfigError(f"{where}.{key}: {value!r} is not valid ({exc})") from None
