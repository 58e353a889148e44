"""A recorded session on disk: append-only Arrow IPC stream files in NautilusTrader's live-stream layout.

A session `ID` lives in `<root>/live/ID/`, the folder NautilusTrader's own `StreamingFeatherWriter` uses, so
`ParquetDataCatalog(root).read_live_run(ID)` reads it too: quotes, trades and bars in `<table>/<identifier>/`,
one file per stream; instruments and events (orders, fills, account states) as `<table>_<ns>.feather` in the
session folder. Each flush appends whole record batches and flushes the file to the operating system, so a
process killed with -9 leaves every batch flushed before it; a batch cut short by the kill is ignored on read.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
from nautilus_trader.model.data import Bar, QuoteTick, TradeTick
from nautilus_trader.persistence.funcs import class_to_filename, filename_to_class, urisafe_identifier
from nautilus_trader.serialization.arrow.serializer import ArrowSerializer

MARKET_DATA = (QuoteTick, TradeTick, Bar)
MANIFEST = "session.json"


def session_dir(root: Path, session_id: str) -> Path:
    """Where session `session_id` of the recording catalog `root` lives."""
    return root / "live" / session_id


def stream_key(obj: Any) -> tuple[type, Any]:
    """(class, identifier): market data has one stream per instrument or bar type, everything else one per class.
    The identifier is the object's own `InstrumentId` or `BarType` (cheaper than its text, on the hot path)."""
    cls = type(obj)
    if cls is QuoteTick or cls is TradeTick:
        return cls, obj.instrument_id
    if cls is Bar:
        return cls, obj.bar_type
    return cls, None


class StreamFiles:
    """The open stream files of one session: `append` serializes objects of one stream and appends them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[tuple[type, Any], tuple[BinaryIO, pa.RecordBatchStreamWriter]] = {}
        self.rows: dict[tuple[type, Any], int] = defaultdict(int)

    def append(self, key: tuple[type, Any], objects: list[Any]) -> None:
        """Serialize `objects` (all of stream `key`) as one batch and append it to the stream's file."""
        cls, identifier = key
        table = ArrowSerializer.serialize_batch(objects, data_cls=cls)
        if key not in self._files:
            self._files[key] = self._open(cls, None if identifier is None else str(identifier), table.schema)
        self._files[key][1].write_table(table)
        self.rows[key] += len(objects)

    def flush(self) -> None:
        """Hand every appended batch to the operating system (survives the process, not a power cut)."""
        for file, _ in self._files.values():
            file.flush()

    def close(self) -> None:
        """Finish every stream (its end marker) and close the files."""
        for file, writer in self._files.values():
            writer.close()
            file.close()
        self._files.clear()

    def _open(
        self, cls: type, identifier: str | None, schema: pa.Schema
    ) -> tuple[BinaryIO, pa.RecordBatchStreamWriter]:
        table_name = class_to_filename(cls)
        stamp = time.time_ns()
        if identifier is None:
            path = self.folder / f"{table_name}_{stamp}.feather"
        else:
            safe = urisafe_identifier(identifier)
            path = self.folder / table_name / safe / f"{safe}_{stamp}.feather"
            path.parent.mkdir(parents=True, exist_ok=True)
        file = path.open("wb")
        return file, pa.ipc.new_stream(file, schema)


def read_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """Every whole record batch of a stream file, stopping quietly at a batch cut short (a killed writer)."""
    with path.open("rb") as file:
        try:
            reader = pa.ipc.open_stream(file)
        except (pa.ArrowInvalid, OSError):
            return
        while True:
            try:
                yield reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, OSError):
                return


def stream_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(table name, path) of every stream file of a session folder."""
    for path in sorted(folder.glob("*.feather")):
        yield path.stem.rsplit("_", 1)[0], path
    for path in sorted(folder.glob("*/*/*.feather")):
        yield path.parent.parent.name, path


def read_table(path: Path) -> pa.Table | None:
    """A stream file's whole batches as one table (None when it holds none)."""
    batches = list(read_batches(path))
    return pa.Table.from_batches(batches) if batches else None


def read_objects(folder: Path, tables: Iterable[str] | None = None) -> dict[str, list[Any]]:
    """The session's objects by table name (e.g. "quote_tick", "order_filled"), each list in file order."""
    wanted = set(tables) if tables is not None else None
    found: dict[str, list[Any]] = defaultdict(list)
    for table_name, path in stream_files(folder):
        if wanted is not None and table_name not in wanted:
            continue
        table = read_table(path)
        cls = filename_to_class(table_name)
        if table is None or cls is None:
            continue
        found[table_name].extend(_as_cython(cls, ArrowSerializer.deserialize(data_cls=cls, batch=table)))
    return found


def _as_cython(cls: type, objects: list[Any]) -> list[Any]:
    """Market data comes back from Arrow as Rust (pyo3) objects for some classes; the engines want Cython ones."""
    if objects and "nautilus_pyo3" in type(objects[0]).__module__ and cls in MARKET_DATA:
        return cls.from_pyo3_list(objects)
    return objects
