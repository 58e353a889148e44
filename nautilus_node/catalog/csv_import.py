"""Read the CSV files people have into NautilusTrader data: with or without a header row (columns by name or by
position), plain, gzip or zip (one CSV inside), one timestamp column or split date and time columns, daily bars
from a date-only column. Rows must be in time order; bars need one row per timestamp and a volume (from the
file, or a nominal one stated with `--volume`)."""

from __future__ import annotations

import csv as pycsv
import gzip
import hashlib
import io
import zipfile
from collections.abc import Callable
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
Note = Callable[[str], None]

TIME_FIELDS = ("timestamp", "date", "time")
REQUIRED: dict[str, tuple[str, ...]] = {
    "bars": ("open", "high", "low", "close"),
    "quotes": ("bid", "ask"),
    "trades": ("price", "size"),
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


@dataclass(frozen=True)
class CsvSpec:
    """How to read one kind of CSV: which column (header name, or 1-based position without a header) holds
    which field, how times are written, and the nominal volume for files without one."""

    kind: Kind
    instrument_id: str
    bar_type: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    tz: str = "UTC"
    time_format: str | None = None
    bar_time: Literal["open", "close"] = "open"
    header: bool = True
    nominal_volume: float | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return (*TIME_FIELDS, *REQUIRED[self.kind], *OPTIONAL[self.kind])


def parse_column_map(text: str | None, kind: Kind) -> dict[str, str]:
    """`field=Header,field=Header` (or `field=3` by position) → {field: Header}, rejecting unknown fields."""
    if not text:
        return {}
    allowed = (*TIME_FIELDS, *REQUIRED[kind], *OPTIONAL[kind])
    mapping: dict[str, str] = {}
    for item in text.split(","):
        name, sep, header = (part.strip() for part in item.partition("="))
        if not sep or not name or not header:
            raise CatalogInputError("--columns", f"{item!r} is not field=Header")
        if name not in allowed:
            raise CatalogInputError("--columns", f"{kind} have no field {name!r} (fields: {', '.join(allowed)})")
        mapping[name] = header
    if "timestamp" in mapping and ({"date", "time"} & set(mapping)):
        raise CatalogInputError("--columns", "give timestamp, or date (and time), not both")
    if "time" in mapping and "date" not in mapping:
        raise CatalogInputError("--columns", "a time column needs its date column (date=...)")
    return mapping


class CommandRows:
    """What the files of one command held so far: a second copy of a file, or of a row (for bars: of a
    timestamp), is refused with the line and the file that had it first."""

    def __init__(self) -> None:
        self._files: dict[bytes, Path] = {}
        self._keys: list[tuple[Path, np.ndarray]] = []

    def add_file(self, path: Path, raw: bytes) -> None:
        digest = hashlib.sha256(raw).digest()
        if digest in self._files:
            raise CatalogInputError(path, f"the same data as {self._files[digest]}, given twice in one command")
        self._files[digest] = path

    def add_rows(self, path: Path, keys: np.ndarray, first_line: int) -> None:
        for earlier, earlier_keys in self._keys:
            repeated = np.isin(keys, earlier_keys)
            check_rows(path, repeated, first_line, lambda _i, e=earlier: f"this row is also in {e} (same command)")
        self._keys.append((path, keys))


def read(
    path: Path,
    spec: CsvSpec,
    price_precision: int,
    size_precision: int,
    note: Note | None = None,
    seen: CommandRows | None = None,
) -> list:
    """NautilusTrader objects for every row of the CSV at `path`, checked row by row (and, with `seen`, against
    the other files of the same command)."""
    instrument_id = InstrumentId.from_str(spec.instrument_id)
    bar_type = _bar_type(spec, instrument_id) if spec.kind == "bars" else None
    raw = _raw_bytes(path)
    if not raw.strip():
        raise CatalogInputError(path, "the file is empty")
    if seen is not None:
        seen.add_file(path, raw)
    first_row = _first_row(path, raw)
    names = first_row if spec.header else [str(i + 1) for i in range(len(first_row))]
    wanted = _columns(path, spec, names)
    first_line = 2 if spec.header else 1
    table = _read_strings(path, raw, names if not spec.header else None, list(dict.fromkeys(wanted.values())))
    if table.num_rows == 0:
        raise CatalogInputError(path, "no data rows")
    text = {name: table.column(column).to_pandas() for name, column in wanted.items()}
    stamps = text.pop("timestamp") if "timestamp" in text else text.pop("date").str.strip()
    if "time" in text:
        stamps = stamps + " " + text.pop("time").str.strip()
    ts = _timestamps(path, stamps, spec, first_line)
    _check_order(path, ts, stamps, first_line, one_per_time=bar_type is not None)
    if bar_type is not None and spec.bar_time == "open":
        ts = ts + int(bar_type.spec.timedelta.total_seconds() * 1_000_000_000)
    trade_ids = text.pop("trade_id", None)
    sides = text.pop("side", None)
    cols = Columns(path, first_line, ts, {name: _numbers(path, name, s, first_line) for name, s in text.items()})
    if seen is not None:
        keyed = {"ts": cols.ts} if bar_type is not None else {"ts": cols.ts, **cols.values}
        if trade_ids is not None:
            keyed["trade_id"] = trade_ids.to_numpy()
        keys = pd.util.hash_pandas_object(pd.DataFrame(keyed), index=False).to_numpy()
        seen.add_rows(path, keys, first_line)
    if spec.kind == "quotes":
        return _quotes(cols, instrument_id, price_precision, size_precision, spec.nominal_volume, note)
    if spec.kind == "trades":
        return _trades(cols, instrument_id, price_precision, size_precision, trade_ids, sides)
    return _bars(cols, bar_type, price_precision, size_precision, spec.nominal_volume, note)


def _columns(path: Path, spec: CsvSpec, names: list[str]) -> dict[str, str]:
    """field → column name: the --columns map, else fields found by name (any case) or, without a header, the
    usual order (timestamp, then the kind's fields)."""
    if spec.header:
        lowered = {n.strip().lower(): n for n in names}
        wanted = {f: lowered[f] for f in spec.fields if f in lowered}
        if "timestamp" in wanted or "timestamp" in spec.columns:
            wanted.pop("date", None)
            wanted.pop("time", None)
        if "date" in spec.columns:
            wanted.pop("timestamp", None)
    else:
        order = ("timestamp", *REQUIRED[spec.kind], *OPTIONAL[spec.kind])
        wanted = {} if spec.columns else dict(zip(order, names, strict=False))
    wanted.update(spec.columns)
    if "timestamp" not in wanted and "date" not in wanted:
        wanted = {"timestamp": "timestamp", **wanted}
    for name in REQUIRED[spec.kind]:
        wanted.setdefault(name, name)
    shown = ", ".join(names) if spec.header else f"{len(names)} columns by position"
    for name, column in wanted.items():
        if column not in names:
            raise CatalogInputError(path, f"no column {column!r} for field '{name}' (header: {shown})")
    return wanted


def _raw_bytes(path: Path) -> bytes:
    """The file's CSV bytes: gzip is inflated, a zip must hold exactly one file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogInputError(path, f"cannot read ({exc.strerror})") from None
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise CatalogInputError(path, f"not a readable gzip file ({exc})") from None
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise CatalogInputError(path, f"a zip of {len(members)} files; give zips that hold one CSV each")
                return archive.read(members[0])
        except zipfile.BadZipFile as exc:
            raise CatalogInputError(path, f"not a readable zip file ({exc})") from None
    return data


def _first_row(path: Path, raw: bytes) -> list[str]:
    line = raw.split(b"\n", 1)[0]
    try:
        return next(pycsv.reader([line.decode("utf-8-sig").rstrip("\r")]), [])
    except UnicodeDecodeError as exc:
        raise CatalogInputError(path, f"cannot read ({exc})") from None


def _check_order(path: Path, ts: np.ndarray, stamps: pd.Series, first_line: int, *, one_per_time: bool) -> None:
    """Rows in time order; for bars, one row per timestamp."""
    steps = np.diff(ts.astype(np.int64))
    check_rows(
        path,
        np.r_[False, steps < 0],
        first_line,
        lambda i: f"time {stamps.iloc[i]!r} is earlier than the row before it (rows must be in time order)",
    )
    if one_per_time:
        repeated = np.r_[False, steps == 0]

        def describe(i: int) -> str:
            hint = " (a date-only column for intraday bars? map the time column too: --columns date=..,time=..)"
            return f"a second bar at {stamps.iloc[i]!r}: bars need one row per timestamp" + (
                hint if repeated.sum() > 1 else ""
            )

        check_rows(path, repeated, first_line, describe)


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


def _read_strings(path: Path, raw: bytes, names: list[str] | None, columns: list[str]) -> pa.Table:
    try:
        return csv.read_csv(
            pa.BufferReader(raw),
            read_options=csv.ReadOptions(column_names=names),
            convert_options=csv.ConvertOptions(
                include_columns=columns,
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        rows = pycsv.reader(io.StringIO(raw.decode("utf-8-sig", errors="replace")))
        width = None
        for number, row in enumerate(rows, start=1):
            width = len(row) if width is None else width
            if row and len(row) != width:
                raise CatalogInputError(path, f"expected {width} fields, found {len(row)}", line=number) from None
        raise CatalogInputError(path, str(exc)) from None


def _numbers(path: Path, name: str, text: pd.Series, first_line: int) -> np.ndarray:
    values = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    check_rows(path, np.isnan(values), first_line, lambda i: f"field '{name}' value {text.iloc[i]!r} is not a number")
    return values


def _timestamps(path: Path, text: pd.Series, spec: CsvSpec, first_line: int) -> np.ndarray:
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


def _quotes(
    cols: Columns, instrument_id: InstrumentId, price_p: int, size_p: int, nominal: float | None, note: Note | None
) -> list:
    missing = [name for name in ("bid_size", "ask_size") if name not in cols.values]
    size = nominal if nominal is not None else NOMINAL_QUOTE_SIZE
    for name in missing:
        cols.values[name] = np.full(len(cols), size, dtype=np.float64)
    if missing and note is not None:
        shown = _number(size)
        note(f"no {'/'.join(missing)} column: every quote gets the nominal size {shown} (--volume to change it)")
    cols.check_prices(("bid", "ask"), price_p)
    cols.check_sizes(("bid_size", "ask_size"), size_p)
    return builders.quotes(cols, instrument_id, price_p, size_p)


def _bars(
    cols: Columns, bar_type: BarType, price_p: int, size_p: int, nominal: float | None, note: Note | None
) -> list:
    if "volume" not in cols.values:
        if nominal is None:
            raise CatalogInputError(
                cols.path,
                "no volume column: state a nominal volume per bar with --volume N (NautilusTrader's bar execution "
                "fills against the volume; with 0 it fills 1 unit at the price and the rest one tick worse)",
            )
        cols.values["volume"] = np.full(len(cols), nominal, dtype=np.float64)
        if note is not None:
            note(f"no volume column: every bar gets the nominal volume {_number(nominal)} (--volume)")
    cols.check_prices(("open", "high", "low", "close"), price_p)
    cols.check_sizes(("volume",), size_p)
    cols.check_ohlc()
    return builders.bars(cols, bar_type, price_p, size_p)


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
    return builders.trades(cols, instrument_id, price_p, size_p, ids, aggressor)


def _number(value: float) -> str:
    return f"{Decimal(str(value)).normalize():,f}"
