"""A config file read for a backtest: its `[backtest]` table (catalog, data, period, venues) and the same
`[[strategies]]` that `run` trades live. The schema lives in `settings.py`; this adds the checks a backtest
needs beyond the schema. Errors name the file and the key path.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from nautilus_trader.model.data import BarType
from nautilus_trader.model.identifiers import InstrumentId

from nautilus_node.settings import ConfigError, Settings, load_settings


def load_backtest_file(path: Path) -> Settings:
    """Read and validate a config file for a backtest: it needs a `[backtest]` table and `[[strategies]]`."""
    settings = load_settings(path)
    _check(settings, str(path))
    return settings


def parse_time(value: str, where: str) -> pd.Timestamp:
    """A UTC timestamp from an ISO date or date-time; `where` names the key in the error."""
    try:
        stamp = pd.Timestamp(value)
    except ValueError:
        raise ConfigError(f"{where}: expected an ISO date or date-time, got {value!r}") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _check(parsed: Settings, source: str) -> None:
    section = parsed.backtest
    if section is None:
        raise ConfigError(f"{source}: backtest: no [backtest] table (the catalog, data and venues to backtest on)")
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
