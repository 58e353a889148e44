"""Read plain CSV files (with a header row) of OHLCV bars, quotes or trades into NautilusTrader data."""

from __future__ import annotations

import csv as pycsv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.identifiers import InstrumentId
from pyarrow import csv

from nautilus_node.catalog import builders
from nautilus_node.catalog.builders import Columns
from nautilus_node.catalog.errors import CatalogInputError, check_rows
from nautilus_node.catalog.lean import NOMINAL_QUOTE_SIZE

Kind = Literal["bars", "quotes", "trades"]

REQUIRED: dict[str, tuple[str, ...]] = {
    "bars": ("timestamp", "open", "high", "low", "close"),
    "quotes": ("timestamp", "bid", "ask"),
    "trades": ("timestamp", "price", "size"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "bars": ("volume",),
    "quotes": ("bid_size", "ask_size"),
    "trades": ("trade_id", "side"),
}
UNIX_FORMATS = {"unix_s": 1_000_000_000, "unix_ms": 1_000_000, "unix_us": 1_000, "unix_ns": 1}
_SIDES = {
    **dict.fromkeys(("BUY", "B", "BUYER"), int(AggressorSide.BUYER)),
    **dict.fromkeys(("SELL", "S", "SELLER"), int(AggressorSide.SELLER)),
    "": int(AggressorSide.NO_AGGRESSOR),
}
_HEADER_LINES = 1


@dataclass(frozen=True)
class CsvSpec:
    """How to read one kind of CSV: which column holds which field, and how times are written."""

    kind: Kind
    instrument_id: str
    bar_type: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    tz: str = "UTC"
    time_format: str | None = None
    bar_time: Literal["open", "close"] = "open"

    def column_for(self, name: str) -> str:
        return self.columns.get(name, name)


def parse_column_map(text: str | None, kind: Kind) -> dict[str, str]:
    """`field=Header,field=Header` → {field: Header}, rejecting fields the kind does not have."""
    if not text:
        return {}
    allowed = (*REQUIRED[kind], *OPTIONAL[kind])
    mapping: dict[str, str] = {}
    for item in text.split(","):
        name, sep, header = (part.strip() for part in item.partition("="))
        if not sep or not name or not header:
            raise CatalogInputError("--columns", f"{item!r} is not field=Header")
        if name not in allowed:
            raise CatalogInputError("--columns", f"{kind} have no field {name!r} (fields: {', '.join(allowed)})")
        mapping[name] = header
    return mapping


def read(path: Path, spec: CsvSpec, price_precision: int, size_precision: int) -> list:
    """NautilusTrader objects for every row of the CSV at `path`, checked row by row."""
    instrument_id = InstrumentId.from_str(spec.instrument_id)
    bar_type = _bar_type(spec, instrument_id) if spec.kind == "bars" else None
    header = _header(path)
    wanted = {
        name: spec.column_for(name)
        for name in (*REQUIRED[spec.kind], *OPTIONAL[spec.kind])
        if name in REQUIRED[spec.kind] or spec.column_for(name) in header
    }
    for name, column in wanted.items():
        if column not in header:
            raise CatalogInputError(path, f"no column {column!r} for field '{name}' (header: {', '.join(header)})")
    table = _read_strings(path, list(dict.fromkeys(wanted.values())), len(header))
    if table.num_rows == 0:
        raise CatalogInputError(path, "no data rows")
    text = {name: table.column(column).to_pandas() for name, column in wanted.items()}
    ts = _timestamps(path, text.pop("timestamp"), spec)
    if bar_type is not None and spec.bar_time == "open":
        ts = ts + int(bar_type.spec.timedelta.total_seconds() * 1_000_000_000)
    trade_ids = text.pop("trade_id", None)
    sides = text.pop("side", None)
    cols = Columns(path, _HEADER_LINES + 1, ts, {name: _numbers(path, name, s) for name, s in text.items()})
    if spec.kind == "quotes":
        return _quotes(cols, instrument_id, price_precision, size_precision)
    if spec.kind == "trades":
        return _trades(cols, instrument_id, price_precision, size_precision, trade_ids, sides)
    return _bars(cols, bar_type, price_precision, size_precision)


def _bar_type(spec: CsvSpec, instrument_id: InstrumentId) -> BarType:
    if not spec.bar_type:
        raise CatalogInputError("--bar-type", "bars need a bar type, e.g. EUR/USD.IDEALPRO-1-MINUTE-MID-EXTERNAL")
    try:
        bar_type = BarType.from_str(spec.bar_type)
    except ValueError as exc:
        raise CatalogInputError("--bar-type", f"{spec.bar_type!r} is not a bar type ({exc})") from None
    if bar_type.instrument_id != instrument_id:
        raise CatalogInputError("--bar-type", f"{spec.bar_type!r} is not for instrument {instrument_id}")
    if not bar_type.spec.is_time_aggregated():
        raise CatalogInputError("--bar-type", f"{spec.bar_type!r} is not a time bar")
    return bar_type


def _header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return next(pycsv.reader(handle), [])
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogInputError(path, f"cannot read ({exc})") from None


def _read_strings(path: Path, columns: list[str], width: int) -> pa.Table:
    try:
        return csv.read_csv(
            path,
            convert_options=csv.ConvertOptions(
                include_columns=columns,
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            for number, row in enumerate(pycsv.reader(handle), start=1):
                if len(row) != width:
                    raise CatalogInputError(path, f"expected {width} fields, found {len(row)}", line=number) from None
        raise CatalogInputError(path, str(exc)) from None


def _numbers(path: Path, name: str, text: pd.Series) -> np.ndarray:
    values = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    check_rows(
        path, np.isnan(values), _HEADER_LINES + 1, lambda i: f"field '{name}' value {text.iloc[i]!r} is not a number"
    )
    return values


def _timestamps(path: Path, text: pd.Series, spec: CsvSpec) -> np.ndarray:
    first_line = _HEADER_LINES + 1
    if spec.time_format in UNIX_FORMATS:
        numbers = pd.to_numeric(text.str.strip(), errors="coerce")
        check_rows(
            path,
            numbers.isna().to_numpy(),
            first_line,
            lambda i: f"field 'timestamp' value {text.iloc[i]!r} is not a {spec.time_format} number",
        )
        factor = UNIX_FORMATS[spec.time_format]
        if pd.api.types.is_integer_dtype(numbers):
            return numbers.to_numpy(dtype=np.int64) * factor
        return np.array([int(Decimal(t.strip()) * factor) for t in text], dtype=np.int64)
    parsed = pd.to_datetime(text.str.strip(), format=spec.time_format or "ISO8601", errors="coerce", utc=False)
    wanted = f"in format {spec.time_format!r}" if spec.time_format else "an ISO-8601 time"
    check_rows(
        path,
        parsed.isna().to_numpy(),
        first_line,
        lambda i: f"field 'timestamp' value {text.iloc[i]!r} is not {wanted}",
    )
    if parsed.dt.tz is None:
        try:
            parsed = parsed.dt.tz_localize(spec.tz, ambiguous="NaT", nonexistent="NaT")
        except Exception as exc:
            raise CatalogInputError("--tz", f"{spec.tz!r} is not a time zone ({exc})") from None
        check_rows(
            path,
            parsed.isna().to_numpy(),
            first_line,
            lambda i: f"field 'timestamp' value {text.iloc[i]!r} is ambiguous or missing in {spec.tz}",
        )
    return parsed.dt.tz_convert("UTC").astype("int64").to_numpy()


def _quotes(cols: Columns, instrument_id: InstrumentId, price_p: int, size_p: int) -> list:
    for name in ("bid_size", "ask_size"):
        cols.values.setdefault(name, np.full(len(cols), NOMINAL_QUOTE_SIZE, dtype=np.float64))
    cols.check_prices(("bid", "ask"), price_p)
    cols.check_sizes(("bid_size", "ask_size"), size_p)
    return builders.quotes(cols.sorted_by_time(), instrument_id, price_p, size_p)


def _bars(cols: Columns, bar_type: BarType, price_p: int, size_p: int) -> list:
    cols.values.setdefault("volume", np.zeros(len(cols), dtype=np.float64))
    cols.check_prices(("open", "high", "low", "close"), price_p)
    cols.check_sizes(("volume",), size_p)
    cols.check_ohlc()
    return builders.bars(cols.sorted_by_time(), bar_type, price_p, size_p)


def _trades(
    cols: Columns,
    instrument_id: InstrumentId,
    price_p: int,
    size_p: int,
    trade_ids: pd.Series | None,
    sides: pd.Series | None,
) -> list:
    cols.check_prices(("price",), price_p)
    cols.check_sizes(("size",), size_p)
    first = cols.first_line
    ids = (
        trade_ids.str.strip().tolist()
        if trade_ids is not None
        else [f"{cols.path.stem}-{first + i}" for i in range(len(cols))]
    )
    check_rows(cols.path, np.array([not t for t in ids]), first, lambda _i: "field 'trade_id' is empty")
    aggressor = np.full(len(cols), AggressorSide.NO_AGGRESSOR, dtype=np.uint8)
    if sides is not None:
        upper = sides.str.strip().str.upper()
        unknown = ~upper.isin(list(_SIDES)).to_numpy()
        check_rows(
            cols.path, unknown, first, lambda i: f"field 'side' value {sides.iloc[i]!r} is not BUY/SELL/B/S or empty"
        )
        aggressor = upper.map(_SIDES).to_numpy(dtype=np.uint8)
    order = np.argsort(cols.ts, kind="stable")
    ordered = Columns(cols.path, first, cols.ts[order], {k: v[order] for k, v in cols.values.items()})
    return builders.trades(ordered, instrument_id, price_p, size_p, [ids[i] for i in order], aggressor[order])
