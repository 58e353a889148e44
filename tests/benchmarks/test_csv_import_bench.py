"""CSV import benchmark: an outside tick file (gzip, vendor header, day-first times) through `import_csv`,
against the baseline of reading the same file with pandas and NautilusTrader's own `QuoteTickDataWrangler`
and `ParquetDataCatalog.write_data` (no row checks, no atomic commit, no duplicate refusal).

Run with `pytest -s tests/benchmarks/test_csv_import_bench.py` to see the figures.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.persistence.wranglers import QuoteTickDataWrangler

from nautilus_node.catalog.csv_import import CsvSpec, parse_column_map
from nautilus_node.catalog.definitions import InstrumentDefinition, define
from nautilus_node.catalog.importer import import_csv

pytestmark = pytest.mark.benchmark

ROWS = 100_000
TIME_FORMAT = "%d.%m.%Y %H:%M:%S.%f"


def _vendor_file(folder: Path) -> Path:
    rng = np.random.default_rng(11)
    times = pd.Timestamp("2024-01-15") + pd.to_timedelta(np.cumsum(rng.integers(50, 900, ROWS)), unit="ms")
    mid = 147.5 + np.cumsum(rng.normal(0, 0.002, ROWS))
    bid = np.round(mid / 0.005) * 0.005
    frame = pd.DataFrame(
        {
            "Gmt time": times.strftime(TIME_FORMAT).str[:-3],
            "Ask": [f"{x:.3f}" for x in bid + 0.01],
            "Bid": [f"{x:.3f}" for x in bid],
            "AskVolume": rng.integers(1, 20, ROWS) * 100_000,
            "BidVolume": rng.integers(1, 20, ROWS) * 100_000,
        }
    )
    path = folder / "USDJPY_Ticks.csv.gz"
    path.write_bytes(gzip.compress(frame.to_csv(index=False).encode()))
    return path


def test_csv_quote_import_against_reading_and_wrangling_alone(tmp_path: Path) -> None:
    source = _vendor_file(tmp_path)
    instrument = define(InstrumentDefinition(id="USD/JPY.IDEALPRO")).instrument

    started = time.perf_counter()
    frame = pd.read_csv(source)
    frame.index = pd.to_datetime(frame.pop("Gmt time"), format=TIME_FORMAT, utc=True)
    frame.columns = ["ask_price", "bid_price", "ask_size", "bid_size"]
    ticks = QuoteTickDataWrangler(instrument).process(frame)
    baseline = ParquetDataCatalog(str(tmp_path / "baseline"))
    baseline.write_data([instrument])
    baseline.write_data(ticks)
    baseline_secs = time.perf_counter() - started

    spec = CsvSpec(
        "quotes",
        "USD/JPY.IDEALPRO",
        columns=parse_column_map("timestamp=Gmt time,bid=Bid,ask=Ask,bid_size=BidVolume,ask_size=AskVolume", "quotes"),
        time_format=TIME_FORMAT,
    )
    started = time.perf_counter()
    results = import_csv(tmp_path / "ours", [source], spec)
    import_secs = time.perf_counter() - started

    assert {r.group: r.rows_added for r in results}["quote_tick/USDJPY.IDEALPRO"] == ROWS == len(ticks)
    print(
        f"\nCSV quote import ({ROWS:,} rows, gzip, day-first times): {import_secs:.2f} s = "
        f"{ROWS / import_secs:,.0f} rows/s (checked rows, order, duplicates, atomic commit)\n"
        f"baseline pandas read + QuoteTickDataWrangler + ParquetDataCatalog.write_data: {baseline_secs:.2f} s = "
        f"{ROWS / baseline_secs:,.0f} rows/s; ratio ours/baseline time {import_secs / baseline_secs:.2f}"
    )
