"""Catalog benchmarks: LEAN quote-tick import throughput, and download requests per 10 minutes vs IB's limit.

Run with `pytest -s tests/benchmarks/test_catalog_import_bench.py` to see the figures.
"""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from nautilus_trader.persistence.wranglers import QuoteTickDataWrangler
from pyarrow import csv

from nautilus_node.catalog.download import bar_types, download
from nautilus_node.catalog.importer import import_lean
from nautilus_node.catalog.instrument import eurusd_instrument
from nautilus_node.catalog.pacing import Pacer, PacingRules, max_in_window
from tests.catalog.conftest import LEAN
from tests.catalog.test_download import FakeHistory, VirtualTime

pytestmark = pytest.mark.benchmark


def tick_files() -> list[Path]:
    files = sorted((LEAN / "tick/eurusd").glob("2014*_quote.zip"))
    if not files:
        pytest.skip("LEAN sample data not found")
    return files


def read_raw(files: list[Path]) -> list[pa.Table]:
    """The baseline: unzip and parse the same CSVs with pyarrow, nothing else."""
    options = csv.ReadOptions(column_names=["ms", "bid", "ask"])
    tables = []
    for f in files:
        with zipfile.ZipFile(f) as archive:
            tables.append(csv.read_csv(io.BytesIO(archive.read(archive.namelist()[0])), read_options=options))
    return tables


def test_quote_tick_import_throughput(tmp_path: Path) -> None:
    files = tick_files()

    started = time.perf_counter()
    tables = read_raw(files)
    raw_secs = time.perf_counter() - started
    rows = sum(t.num_rows for t in tables)

    frames = []
    for f, t in zip(files, tables, strict=True):
        day = pd.Timestamp(f.name[:8], tz="UTC")
        frames.append(
            pd.DataFrame(
                {"bid_price": t.column("bid").to_numpy(), "ask_price": t.column("ask").to_numpy()},
                index=day + pd.to_timedelta(t.column("ms").to_numpy(), unit="ms"),
            )
        )
    started = time.perf_counter()
    wrangled = QuoteTickDataWrangler(eurusd_instrument()).process(pd.concat(frames))
    wrangler_secs = time.perf_counter() - started

    started = time.perf_counter()
    results = import_lean(tmp_path, files)
    import_secs = time.perf_counter() - started

    added = {r.group: r.rows_added for r in results}["quote_tick/EURUSD.IDEALPRO"]
    assert added == rows == len(wrangled)
    print(
        f"\nLEAN quote-tick import: {rows:,} rows in {import_secs:.2f}s = {rows / import_secs:,.0f} rows/s "
        f"(unzip, parse, check, QuoteTicks, Arrow, zstd parquet, atomic commit)"
    )
    print(
        f"baseline pyarrow CSV read of the same rows: {rows / raw_secs:,.0f} rows/s; "
        f"import is {raw_secs / import_secs:.3f}x its speed"
    )
    print(
        f"baseline QuoteTickDataWrangler.process (DataFrame → QuoteTicks, no parsing or writing): "
        f"{rows / wrangler_secs:,.0f} rows/s; import is {wrangler_secs / import_secs:.3f}x its speed"
    )

    started = time.perf_counter()
    again = import_lean(tmp_path, files)
    reimport_secs = time.perf_counter() - started
    assert sum(r.rows_added for r in again) == 0
    print(f"re-import of the same files (nothing added): {rows / reimport_secs:,.0f} rows/s checked")


def test_download_requests_per_ten_minutes_against_ib_limit(tmp_path: Path) -> None:
    clock = VirtualTime()
    history = FakeHistory(clock)
    types = bar_types("EUR/USD.IDEALPRO", "1 min", "MIDPOINT")
    start = pd.Timestamp("2024-01-01", tz="UTC")

    report = asyncio.run(
        download(
            history,
            tmp_path,
            types,
            start,
            start + pd.Timedelta(days=150),
            Pacer(PacingRules(), clock.monotonic),
            now=clock.now,
            sleep=clock.sleep,
        )
    )

    times = [t for *_, t in history.requests]
    peak = max_in_window(times)
    span_min = (times[-1] - times[0]) / 60
    assert report.requests == 150 and peak <= 60
    print(
        f"\ndownload: {report.requests} requests over {span_min:.1f} virtual minutes; "
        f"peak {peak} requests in any 10 minutes vs IB's limit of 60 (ratio {peak / 60:.2f}); "
        f"{report.waited_secs:.0f}s spent waiting for pacing"
    )
