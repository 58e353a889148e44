"""Download planning, resume and pacing, with IB replaced by an in-memory history (see FakeHistory).

The real adapter against the simulated gateway is covered in test_download_e2e.py; here the history
source is a stand-in so that chunking, resume and pacing can be checked on a virtual clock in milliseconds.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nautilus_trader.model.data import Bar, BarType

from nautilus_node.catalog.download import Chunk, DownloadError, bar_types, chunk_length, download, plan
from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.catalog.instrument import eurusd_instrument
from nautilus_node.catalog.pacing import Pacer, max_in_window, violations
from tests.catalog.helpers import VirtualTime, read_group

START = pd.Timestamp("2024-01-01", tz="UTC")


class FakeHistory:
    """Stands in for IB: one bar per bar period in the requested span, and a log of requests."""

    def __init__(self, time: VirtualTime, fail_on: int | None = None) -> None:
        self.time = time
        self.requests: list[tuple[str, pd.Timestamp, str, float]] = []
        self.fail_on = fail_on

    async def instrument(self, instrument_id):
        return eurusd_instrument()

    async def bars(self, bar_type: BarType, end: pd.Timestamp, duration: str) -> list[Bar]:
        self.requests.append((str(bar_type), end, duration, self.time.secs))
        if self.fail_on is not None and len(self.requests) == self.fail_on:
            raise DownloadError("IB error 162: Historical data request pacing violation")
        self.time.secs += 0.2
        step = pd.Timedelta(bar_type.spec.timedelta)
        closes = pd.date_range(end - chunk_length(bar_type.spec)[0] + step, end, freq=step)
        n = len(closes)
        price = np.full(n, 1.1)
        return Bar.from_raw_arrays_to_list(
            bar_type,
            5,
            0,
            price,
            price + 0.001,
            price - 0.001,
            price,
            np.zeros(n),
            closes.asi8.astype(np.uint64),
            closes.asi8.astype(np.uint64),
        )


def run(
    history: FakeHistory, catalog: Path, types: list[BarType], start: pd.Timestamp, end: pd.Timestamp, time: VirtualTime
):
    return asyncio.run(
        download(history, catalog, types, start, end, Pacer(clock=time.monotonic), now=time.now, sleep=time.sleep)
    )


def test_bar_sizes_and_what_to_show_map_to_nautilus_bar_types() -> None:
    assert [str(t) for t in bar_types("EUR/USD.IDEALPRO", "1 min", "MIDPOINT")] == [
        "EUR/USD.IDEALPRO-1-MINUTE-MID-EXTERNAL"
    ]
    assert [str(t) for t in bar_types("EUR/USD.IDEALPRO", "1 hour", "BID_ASK")] == [
        "EUR/USD.IDEALPRO-1-HOUR-BID-EXTERNAL",
        "EUR/USD.IDEALPRO-1-HOUR-ASK-EXTERNAL",
    ]
    assert [str(t) for t in bar_types("SPY.ARCA", "5 secs", "TRADES")] == ["SPY.ARCA-5-SECOND-LAST-EXTERNAL"]
    with pytest.raises(CatalogInputError, match="'7 mins' is not an IB bar size"):
        bar_types("EUR/USD.IDEALPRO", "7 mins", "MIDPOINT")
    with pytest.raises(CatalogInputError, match="'QUOTES' is not one of"):
        bar_types("EUR/USD.IDEALPRO", "1 min", "QUOTES")


def test_a_range_is_split_into_requests_ib_accepts() -> None:
    [minute] = bar_types("EUR/USD.IDEALPRO", "1 min", "MIDPOINT")
    chunks = plan(minute, START, START + pd.Timedelta(days=2, hours=6))
    assert [(c.start, c.end, c.duration) for c in chunks] == [
        (START, START + pd.Timedelta(days=1), "86400 S"),
        (START + pd.Timedelta(days=1), START + pd.Timedelta(days=2), "86400 S"),
        (START + pd.Timedelta(days=2), START + pd.Timedelta(days=2, hours=6), "86400 S"),
    ]
    [five_sec] = bar_types("EUR/USD.IDEALPRO", "5 secs", "MIDPOINT")
    assert plan(five_sec, START, START + pd.Timedelta(hours=1))[0].duration == "1800 S"


def test_a_download_fills_the_catalog_and_a_second_run_fetches_nothing(tmp_path: Path) -> None:
    time = VirtualTime()
    types = bar_types("EUR/USD.IDEALPRO", "1 hour", "BID_ASK")
    end = START + pd.Timedelta(days=3)

    first = run(FakeHistory(time), tmp_path, types, START, end, time)
    second_history = FakeHistory(time)
    second = run(second_history, tmp_path, types, START, end, time)

    assert first.requests == 2 and first.bars_added == 2 * 72
    table = read_group(tmp_path, "bar/EURUSD.IDEALPRO-1-HOUR-BID-EXTERNAL")
    assert table.num_rows == 72
    assert table.column("ts_init").to_pylist()[0] == (START + pd.Timedelta(hours=1)).value
    assert second.requests == 0 and second.skipped == 2
    assert second_history.requests == []


def test_a_stopped_download_resumes_with_the_first_unfinished_chunk(tmp_path: Path) -> None:
    time = VirtualTime()
    types = bar_types("EUR/USD.IDEALPRO", "1 min", "MIDPOINT")
    end = START + pd.Timedelta(days=5)

    with pytest.raises(DownloadError, match="162"):
        run(FakeHistory(time, fail_on=3), tmp_path, types, START, end, time)
    kept = read_group(tmp_path, "bar/EURUSD.IDEALPRO-1-MINUTE-MID-EXTERNAL").num_rows
    resumed = FakeHistory(time)
    report = run(resumed, tmp_path, types, START, end, time)

    assert kept == 2 * 1440
    assert [r[1] for r in resumed.requests] == [START + pd.Timedelta(days=d) for d in (3, 4, 5)]
    assert report.skipped == 2
    assert read_group(tmp_path, "bar/EURUSD.IDEALPRO-1-MINUTE-MID-EXTERNAL").num_rows == 5 * 1440


def test_a_chunk_reaching_the_present_is_fetched_again_next_time(tmp_path: Path) -> None:
    time = VirtualTime()
    types = bar_types("EUR/USD.IDEALPRO", "1 hour", "MIDPOINT")
    now = time.now()
    run(FakeHistory(time), tmp_path, types, now - pd.Timedelta(days=40), now, time)
    again = FakeHistory(time)
    run(again, tmp_path, types, now - pd.Timedelta(days=40), now, time)
    assert [r[1] for r in again.requests] == [now]


def test_a_long_download_keeps_within_ib_pacing(tmp_path: Path) -> None:
    time = VirtualTime()
    history = FakeHistory(time)
    types = bar_types("EUR/USD.IDEALPRO", "1 min", "BID_ASK")

    report = run(history, tmp_path, types, START, START + pd.Timedelta(days=45), time)

    sent = [(t, Chunk(BarType.from_str(bt), end, end, d).request()) for bt, end, d, t in history.requests]
    assert report.requests == 90
    assert violations(sent) == []
    assert max_in_window([t for t, _ in sent]) == 60
    assert report.waited_secs > 0
