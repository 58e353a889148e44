"""Helpers of the streaming benchmark, run as scripts so each measurement has a process (and a peak RSS) of its own.

`python streaming_run.py generate CATALOG TICKS`: a catalog of TICKS EUR/USD quote ticks (a seeded random walk,
10 per second, written in files of one million) with the shipped EUR/USD instrument.
`python streaming_run.py run CONFIG CHUNK`: the config's quote strategy over the catalog, streamed in chunks of
CHUNK records (0: all in memory); prints one JSON line: seconds, events, orders, peak RSS in MB.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
FILE_TICKS = 1_000_000
START = pd.Timestamp("2020-01-06", tz="UTC")


def generate(catalog: Path, ticks: int) -> None:
    from nautilus_trader.persistence.catalog import ParquetDataCatalog
    from nautilus_trader.persistence.wranglers import QuoteTickDataWrangler

    [instrument] = ParquetDataCatalog(str(REPO / "catalog")).instruments()
    store = ParquetDataCatalog(str(catalog))
    store.write_data([instrument])
    wrangler = QuoteTickDataWrangler(instrument)
    rng = np.random.default_rng(20)
    mid = 1.08
    for first in range(0, ticks, FILE_TICKS):
        count = min(FILE_TICKS, ticks - first)
        steps = rng.normal(0, 0.00002, count).cumsum()
        mids = mid + steps
        mid = float(mids[-1])
        spread = rng.integers(1, 4, count) * 0.00005
        index = START + pd.to_timedelta(np.arange(first, first + count) * 100, unit="ms")
        frame = pd.DataFrame(
            {
                "bid_price": np.round(mids - spread / 2, 5),
                "ask_price": np.round(mids + spread / 2, 5),
                "bid_size": rng.integers(1, 50, count) * 100_000.0,
                "ask_size": rng.integers(1, 50, count) * 100_000.0,
            },
            index=index,
        )
        store.write_data(wrangler.process(frame))


def run(config: Path, chunk: int) -> None:
    from nautilus_node.backtest.config import load_backtest_file
    from nautilus_node.backtest.runner import build_run_config, run_backtest

    settings = load_backtest_file(config)
    run_config = build_run_config(
        settings, str(config), strategy="quote_reversion", progress=False, chunk_size=chunk or None
    )
    started = time.perf_counter()
    finished = run_backtest(run_config)
    seconds = time.perf_counter() - started
    result = finished.result
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps({"seconds": seconds, "events": result.iterations, "orders": result.total_orders, "rss_mb": peak_mb})
    )


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        run(Path(sys.argv[2]), int(sys.argv[3]))
