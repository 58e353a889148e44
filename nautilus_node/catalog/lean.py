"""Read QuantConnect LEAN forex quote files (tick, second, minute, hour, daily) into NautilusTrader data.

LEAN's layout tells the resolution: `<resolution>/<symbol>/<YYYYMMDD>_quote.zip` for tick, second and
minute files (first column: milliseconds since midnight UTC of that date) and `<hour|daily>/<symbol>.zip`
(first column: `YYYYMMDD HH:MM`, UTC). LEAN stamps a bar at its open; NautilusTrader at its close, so
the bar's length is added. LEAN's forex files carry no sizes: quotes get a nominal size, and bars a
nominal volume of four such sizes (NautilusTrader splits a bar into four quotes when it replays bars).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from nautilus_trader.model.data import BarType
from nautilus_trader.model.instruments import Instrument
from pyarrow import csv

from nautilus_node.catalog import builders
from nautilus_node.catalog.builders import Columns
from nautilus_node.catalog.errors import CatalogInputError, check_rows

NOMINAL_QUOTE_SIZE = 1_000_000
_MS_PER_DAY = 86_400_000
_NS_PER_MS = 1_000_000
_DAILY_RESOLUTIONS = {"tick": None, "second": "1-SECOND", "minute": "1-MINUTE"}
_FILE_RESOLUTIONS = {"hour": ("1-HOUR", 3_600), "daily": ("1-DAY", 86_400)}
_BAR_FIELDS = ("open", "high", "low", "close")
_BAR_COLUMNS = (*(f"bid_{f}" for f in _BAR_FIELDS), "bid_size", *(f"ask_{f}" for f in _BAR_FIELDS), "ask_size")


@dataclass(frozen=True)
class LeanFile:
    """One LEAN data file and what its place in LEAN's layout says about it."""

    path: Path
    resolution: str
    symbol: str
    day: pd.Timestamp | None


def find_files(paths: Iterable[Path]) -> list[LeanFile]:
    """The LEAN quote files named by `paths` (files, or folders searched recursively), in order."""
    found: list[LeanFile] = []
    for path in paths:
        if path.is_dir():
            found.extend(describe(p) for p in sorted(path.rglob("*.zip")))
        elif path.is_file():
            found.append(describe(path))
        else:
            raise CatalogInputError(path, "no such file or folder")
    if not found:
        raise CatalogInputError(", ".join(map(str, paths)), "no LEAN .zip files found")
    return found


def describe(path: Path) -> LeanFile:
    """Resolution, symbol and date of a LEAN file from its path."""
    if path.parent.name in _FILE_RESOLUTIONS:
        return LeanFile(path, path.parent.name, path.stem.lower(), None)
    resolution = path.parent.parent.name
    date_text, _, kind = path.stem.partition("_")
    if resolution not in _DAILY_RESOLUTIONS or kind != "quote":
        raise CatalogInputError(
            path,
            "not a LEAN quote file: expected <tick|second|minute>/<symbol>/<YYYYMMDD>_quote.zip "
            "or <hour|daily>/<symbol>.zip",
        )
    try:
        day = pd.Timestamp(date_text, tz="UTC")
    except ValueError:
        raise CatalogInputError(path, f"file name date {date_text!r} is not YYYYMMDD") from None
    return LeanFile(path, resolution, path.parent.name.lower(), day)


def read(lean: LeanFile, instrument: Instrument) -> list:
    """NautilusTrader objects for every row of `lean`: QuoteTicks, or BID and ASK bars."""
    expected = instrument.id.symbol.value.replace("/", "").lower()
    if lean.symbol != expected:
        raise CatalogInputError(lean.path, f"LEAN symbol {lean.symbol!r} is not {instrument.id}")
    text = _unzip(lean.path)
    price_p, size_p = instrument.price_precision, instrument.size_precision
    if lean.resolution == "tick":
        cols = _parse(lean.path, text, ("ms", "bid", "ask"), _ms_time(lean))
        cols.values["bid_size"] = np.full(len(cols), NOMINAL_QUOTE_SIZE, dtype=np.float64)
        cols.values["ask_size"] = cols.values["bid_size"]
        cols.check_prices(("bid", "ask"), price_p)
        return builders.quotes(cols.sorted_by_time(), instrument.id, price_p, size_p)
    if lean.resolution in _FILE_RESOLUTIONS:
        step, seconds = _FILE_RESOLUTIONS[lean.resolution]
        cols = _parse(lean.path, text, ("time", *_BAR_COLUMNS), _text_time(seconds))
    else:
        step = _DAILY_RESOLUTIONS[lean.resolution]
        seconds = 1 if step == "1-SECOND" else 60
        cols = _parse(lean.path, text, ("ms", *_BAR_COLUMNS), _ms_time(lean, add_seconds=seconds))
    cols = cols.sorted_by_time()
    data: list = []
    for side in ("bid", "ask"):
        cols.check_prices(tuple(f"{side}_{f}" for f in _BAR_FIELDS), price_p)
        cols.check_ohlc(f"{side}_")
        cols.values[f"{side}_volume"] = np.full(len(cols), 4 * NOMINAL_QUOTE_SIZE, dtype=np.float64)
        bar_type = BarType.from_str(f"{instrument.id}-{step}-{side.upper()}-EXTERNAL")
        data.extend(builders.bars(cols, bar_type, price_p, size_p, prefix=f"{side}_"))
    return data


def _unzip(path: Path) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if len(members) != 1:
                raise CatalogInputError(path, f"expected one CSV in the archive, found {len(members)}")
            return archive.read(members[0])
    except zipfile.BadZipFile as exc:
        raise CatalogInputError(path, f"not a readable zip archive ({exc})") from None


def _parse(path: Path, text: bytes, names: tuple[str, ...], to_ns) -> Columns:
    """Parse headerless CSV `text` with columns `names`; the first is the time, the rest numbers."""
    types = {n: pa.float64() for n in names[1:]}
    types[names[0]] = pa.int64() if names[0] == "ms" else pa.string()
    try:
        table = csv.read_csv(
            io.BytesIO(text),
            read_options=csv.ReadOptions(column_names=list(names)),
            convert_options=csv.ConvertOptions(column_types=types, strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        raise _locate_parse_error(path, text, names) or CatalogInputError(path, str(exc)) from None
    for name in names:
        column = table.column(name)
        if column.null_count:
            nulls = column.is_null().to_numpy(zero_copy_only=False)
            check_rows(path, nulls, 1, lambda _i, n=name: f"field '{n}' is empty")
    ts = to_ns(path, table.column(names[0]))
    values = {n: table.column(n).to_numpy() for n in names[1:]}
    return Columns(path, 1, ts, values)


def _ms_time(lean: LeanFile, add_seconds: int = 0):
    """Milliseconds since midnight UTC of the file's date (+ the bar length) → ns since the epoch."""

    def to_ns(path: Path, column: pa.ChunkedArray) -> np.ndarray:
        ms = column.to_numpy()
        check_rows(
            path,
            (ms < 0) | (ms >= _MS_PER_DAY),
            1,
            lambda i: f"field 'ms' value {ms[i]} is not within the day (0..86399999)",
        )
        return lean.day.value + (ms + add_seconds * 1000) * _NS_PER_MS

    return to_ns


def _text_time(add_seconds: int):
    """`YYYYMMDD HH:MM` (UTC) + the bar length → ns since the epoch."""

    def to_ns(path: Path, column: pa.ChunkedArray) -> np.ndarray:
        parsed = pc.strptime(column, format="%Y%m%d %H:%M", unit="ns", error_is_null=True)
        nulls = parsed.is_null().to_numpy(zero_copy_only=False)
        texts = column.to_pylist() if nulls.any() else []
        check_rows(path, nulls, 1, lambda i: f"field 'time' value {texts[i]!r} is not YYYYMMDD HH:MM")
        return parsed.cast(pa.int64()).to_numpy() + add_seconds * 1_000_000_000

    return to_ns


def _locate_parse_error(path: Path, text: bytes, names: tuple[str, ...]) -> CatalogInputError | None:
    """Find the first line that the fast CSV reader could not take, and say what is wrong with it."""
    for number, raw in enumerate(text.decode("utf-8", errors="replace").splitlines(), start=1):
        fields = raw.split(",")
        if len(fields) != len(names):
            return CatalogInputError(path, f"expected {len(names)} fields, found {len(fields)}", line=number)
        for name, value in zip(names, fields, strict=True):
            if name == "time":
                continue
            try:
                float(value) if name != "ms" else int(value)
            except ValueError:
                return CatalogInputError(path, f"field '{name}' value {value!r} is not a number", line=number)
    return None
