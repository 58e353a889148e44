"""Streaming: a generated catalog of 20 million EUR/USD quote ticks through the quote-reversion strategy (trading
rarely), streamed in chunks (our default, 1,000,000 records) against the baseline: the same run loaded whole into
memory.

Printed: each run's wall time, throughput (ticks per second) and peak RSS, with the ratios; goals: peak RSS
streamed <= 2 GB, throughput streamed >= 0.9x in-memory. Each run is a process of its own, so its peak RSS is its
own. Slow (minutes: writing the catalog alone takes a while): deselected by default; run it with
`pytest -m slow tests/benchmarks/test_streaming_bench.py -s`. NAUTILUS_NODE_BENCH_TICKS sets the number of ticks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TICKS = int(os.environ.get("NAUTILUS_NODE_BENCH_TICKS", "20000000"))
CHUNK = 1_000_000
ENTRY_BPS = 12.0  # entries far from the random walk's mean: few or no trades, so the figures are the data path's


def config_for(catalog: Path, folder: Path) -> Path:
    text = (REPO / "configs" / "paper.toml").read_text(encoding="utf-8")
    text = text.replace('catalog = "catalog"', f'catalog = "{catalog}"')
    text = text.replace('start = "2014-05-01"', "# start").replace('end = "2014-05-16"', "# end")  # whole catalog
    text = text.replace("entry_bps = 3.0", f"entry_bps = {ENTRY_BPS}")
    path = folder / "streaming.toml"
    path.write_text(text, encoding="utf-8")
    return path


def measure(config: Path, chunk: int) -> dict:
    done = subprocess.run(
        [sys.executable, str(HERE / "streaming_run.py"), "run", str(config), str(chunk)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.benchmark
@pytest.mark.slow
@pytest.mark.timeout(3600)  # beyond the suite's 300 s: generating and running 20M ticks twice takes ~12 min
def test_streaming_bench_20m_quote_ticks_streamed_against_in_memory(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    started = time.perf_counter()
    subprocess.run([sys.executable, str(HERE / "streaming_run.py"), "generate", str(catalog), str(TICKS)], check=True)
    written = time.perf_counter() - started
    config = config_for(catalog, tmp_path)

    streamed = measure(config, CHUNK)
    memory = measure(config, 0)

    rate = {name: run["events"] / run["seconds"] for name, run in (("streamed", streamed), ("memory", memory))}
    print(
        f"\n{TICKS:,} EUR/USD quote ticks (catalog written in {written:.0f} s), quote reversion, "
        f"{streamed['orders']:,} orders, load average {os.getloadavg()[0]:.1f}\n"
        f"  in memory (baseline)      : {memory['seconds']:7.1f} s {rate['memory']:10,.0f} ticks/s  "
        f"peak RSS {memory['rss_mb']:7,.0f} MB\n"
        f"  streamed, chunks of {CHUNK:,}: {streamed['seconds']:7.1f} s {rate['streamed']:10,.0f} ticks/s  "
        f"peak RSS {streamed['rss_mb']:7,.0f} MB\n"
        f"  throughput ratio streamed/in-memory {rate['streamed'] / rate['memory']:.2f} (goal >= 0.9); "
        f"peak RSS ratio {streamed['rss_mb'] / memory['rss_mb']:.2f}; streamed peak RSS goal <= 2,048 MB"
    )
    assert streamed["events"] == memory["events"] == TICKS
    assert streamed["orders"] == memory["orders"]  # the same run: the same trading
    assert streamed["rss_mb"] < memory["rss_mb"]
