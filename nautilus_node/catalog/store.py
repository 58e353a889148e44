"""All-or-nothing, duplicate-free writes into a NautilusTrader ParquetDataCatalog.

A write is first staged in a work folder inside the catalog, merged there with any live file whose time
range it overlaps, and only then replaces those files with a few renames under an exclusive lock. A row
already in the catalog is not added again; identical rows within one source (two quotes in the same
millisecond) are kept as often as the source has them.
"""

from __future__ import annotations

import fcntl
import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from nautilus_trader.core.datetime import unix_nanos_to_iso8601
from nautilus_trader.model.data import Bar
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.persistence.funcs import class_to_filename, urisafe_identifier
from nautilus_trader.serialization.arrow.serializer import ArrowSerializer

from nautilus_node.catalog.errors import CatalogInputError

_OCCURRENCE = "__occurrence"
_ROWS_PER_GROUP = 5000
_TIMESTAMPS = ("ts_event", "ts_init")


@dataclass(frozen=True)
class GroupResult:
    """What one write did to one catalog directory (a data type and identifier)."""

    group: str
    rows_given: int
    rows_added: int


def write_atomically(catalog_dir: Path, data: list) -> list[GroupResult]:
    """Write `data` (instruments and market data objects) into the catalog at `catalog_dir`.

    Either every group lands or none does; rows already present are skipped.
    """
    if not data:
        return []
    tables = {relative: _to_table(cls, objects) for (cls, relative), objects in _grouped(data).items()}
    catalog_dir.mkdir(parents=True, exist_ok=True)
    with _locked(catalog_dir):
        _remove_stale_work_dirs(catalog_dir)
        staging = catalog_dir / f".staging-{uuid.uuid4().hex}"
        try:
            plans = [_plan_group(catalog_dir, staging, relative, table) for relative, table in sorted(tables.items())]
            _commit(catalog_dir, plans)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return [p.result for p in plans]


def _grouped(data: list) -> dict[tuple[type, Path], list]:
    """Objects by catalog directory (data type and instrument or bar type), as the catalog lays them out."""
    groups: dict[tuple[type, str], list] = defaultdict(list)
    for item in data:
        if isinstance(item, Bar):
            identifier = str(item.bar_type)
        elif isinstance(item, Instrument):
            identifier = item.id.value
        else:
            identifier = item.instrument_id.value
        groups[(type(item), identifier)].append(item)
    return {
        (cls, Path("data", class_to_filename(cls), urisafe_identifier(identifier))): objects
        for (cls, identifier), objects in groups.items()
    }


def _to_table(cls: type, objects: list) -> pa.Table:
    ordered = sorted(objects, key=attrgetter("ts_init"))
    return ArrowSerializer.serialize_batch(ordered, data_cls=cls)


@dataclass(frozen=True)
class _Plan:
    result: GroupResult
    live_dir: Path
    new_file: Path | None
    replaced: tuple[Path, ...]


def _plan_group(catalog_dir: Path, staging: Path, relative: Path, new: pa.Table) -> _Plan:
    """Stage the file that will replace the live files `new` overlaps (or join them), or nothing if no row is new."""
    live_dir = catalog_dir / relative
    group = str(relative.relative_to("data"))
    overlapping = tuple(f for f in sorted(live_dir.glob("*.parquet")) if _overlaps(file_interval(f), _span(new)))
    merged = new
    if overlapping:
        existing = pa.concat_tables([pq.read_table(f) for f in overlapping])
        merged = _multiset_union(live_dir, existing, new)
        if merged.num_rows == existing.num_rows:
            return _Plan(GroupResult(group, new.num_rows, 0), live_dir, None, ())
    added = new.num_rows if merged is new else merged.num_rows - existing.num_rows
    target = staging / relative / file_name(*_span(merged))
    target.parent.mkdir(parents=True, exist_ok=True)
    write_parquet(merged, target)
    return _Plan(GroupResult(group, new.num_rows, added), live_dir, target, overlapping)


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write a catalog file compactly: zstd, delta-encoded timestamps, the catalog's row-group size."""
    values = [c for c in table.column_names if c not in _TIMESTAMPS]
    pq.write_table(
        table,
        path,
        row_group_size=_ROWS_PER_GROUP,
        compression="zstd",
        compression_level=9,
        use_dictionary=values,
        column_encoding=dict.fromkeys(_TIMESTAMPS, "DELTA_BINARY_PACKED"),
    )


def _span(table: pa.Table) -> tuple[int, int]:
    ts = table.column("ts_init")
    return pc.min(ts).as_py(), pc.max(ts).as_py()


def _multiset_union(live_dir: Path, existing: pa.Table, new: pa.Table) -> pa.Table:
    """Rows of `existing` followed by rows of `new` that `existing` lacks, in time order.

    A row that `new` has n times and `existing` m times appears max(n, m) times.
    """
    if existing.schema.metadata != new.schema.metadata:
        raise CatalogInputError(
            live_dir, f"new rows do not match the data there ({_describe(new)} vs {_describe(existing)})"
        )
    old_df, new_df = _numbered(existing), _numbered(new)
    known = pd.MultiIndex.from_frame(old_df)
    fresh = new_df[~pd.MultiIndex.from_frame(new_df).isin(known)]
    merged = pd.concat([old_df, fresh], ignore_index=True).drop(columns=_OCCURRENCE)
    merged = merged.sort_values("ts_init", kind="stable")
    return pa.Table.from_pandas(merged, preserve_index=False).cast(new.schema)


def _numbered(table: pa.Table) -> pd.DataFrame:
    """The table as plain columns plus each row's occurrence number among identical rows."""
    plain = pa.table({name: _plain(table.column(name)) for name in table.column_names})
    df = plain.to_pandas()
    df[_OCCURRENCE] = df.groupby(list(plain.column_names), sort=False, dropna=False).cumcount()
    return df


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def _describe(table: pa.Table) -> str:
    meta = table.schema.metadata or {}
    return ", ".join(f"{k.decode()}={v.decode()}" for k, v in sorted(meta.items()))


def _commit(catalog_dir: Path, plans: list[_Plan]) -> None:
    """Swap staged files in; on any failure put every replaced file back."""
    trash = catalog_dir / f".trash-{uuid.uuid4().hex}"
    moved_out: list[tuple[Path, Path]] = []
    moved_in: list[Path] = []
    try:
        for plan in plans:
            if plan.new_file is None:
                continue
            plan.live_dir.mkdir(parents=True, exist_ok=True)
            for old in plan.replaced:
                parked = trash / old.relative_to(catalog_dir)
                parked.parent.mkdir(parents=True, exist_ok=True)
                old.rename(parked)
                moved_out.append((old, parked))
            target = plan.live_dir / plan.new_file.name
            plan.new_file.rename(target)
            moved_in.append(target)
    except BaseException:
        for target in moved_in:
            target.unlink(missing_ok=True)
        for old, parked in moved_out:
            parked.rename(old)
        raise
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def file_interval(path: Path) -> tuple[int, int]:
    """The (first, last) ts_init a catalog file covers, as its name records it."""
    first, last = path.stem.split("_")
    return _name_part_to_nanos(first), _name_part_to_nanos(last)


def _name_part_to_nanos(part: str) -> int:
    day, clock = part.split("T")
    hours, minutes, seconds, nanos = clock.rstrip("Z").split("-")
    return pd.Timestamp(f"{day}T{hours}:{minutes}:{seconds}.{nanos}Z").value


def file_name(start: int, end: int) -> str:
    """The catalog's file name for a file covering ts_init `start`..`end` (ns)."""
    as_text = [unix_nanos_to_iso8601(t).replace(":", "-").replace(".", "-") for t in (start, end)]
    return f"{as_text[0]}_{as_text[1]}.parquet"


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _remove_stale_work_dirs(catalog_dir: Path) -> None:
    for stale in (*catalog_dir.glob(".staging-*"), *catalog_dir.glob(".trash-*")):
        shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def _locked(catalog_dir: Path) -> Iterator[None]:
    with (catalog_dir / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
