"""Reading a catalog back for checks: raw fixed-point columns, file snapshots."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def raw_column(table: pa.Table, name: str) -> np.ndarray:
    """A fixed-point price/size column (16-byte little-endian integers) as int64 (values must fit)."""
    data = table.column(name).combine_chunks()
    words = np.frombuffer(data.buffers()[1], dtype="<i8")[data.offset * 2 : (data.offset + len(data)) * 2]
    low, high = words[0::2], words[1::2]
    assert (high == 0).all(), f"{name}: values do not fit 63 bits"
    return low


def read_group(catalog: Path, group: str) -> pa.Table:
    """All rows of one catalog directory (e.g. 'quote_tick/EURUSD.IDEALPRO'), in file order."""
    files = sorted((catalog / "data" / group).glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files])


def snapshot(root: Path) -> dict[str, str]:
    """Every file under `root` (relative path → content hash)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


class VirtualTime:
    """A clock that only moves when the download sleeps (or a request takes time)."""

    def __init__(self) -> None:
        self.secs = 0.0

    def monotonic(self) -> float:
        return self.secs

    def now(self) -> pd.Timestamp:
        return pd.Timestamp("2025-01-01", tz="UTC") + pd.Timedelta(seconds=self.secs)

    async def sleep(self, secs: float) -> None:
        self.secs += secs
