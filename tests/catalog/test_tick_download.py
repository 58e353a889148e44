"""Tick download paging, de-duplication, resume and pacing, with IB replaced by an in-memory tape.

The stand-in (FakeTape) answers like reqHistoricalTicks anchored at a start time, either cutting a page at
exactly 1000 ticks or completing the last second as IB documents; the real adapter against the simulated
gateway is covered in test_tick_download_e2e.py. A virtual clock keeps pacing checks to milliseconds.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.objects import Price, Quantity

from nautilus_node.catalog.download import DownloadError
from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.catalog.instrument import eurusd_instrument
from nautilus_node.catalog.pacing import HistoricalRequest, Pacer, violations
from nautilus_node.catalog.tick_download import PAGE_TICKS, download_ticks, plan_ticks, tick_series
from nautilus_node.ib.instrument_ids import InstrumentIdError
from tests.catalog.helpers import VirtualTime, raw_column, read_group

INSTRUMENT = eurusd_instrument()
START = pd.Timestamp("2024-03-04 10:00", tz="UTC")
SECOND = 1_000_000_000


def quote(second: int, n: int) -> QuoteTick:
    """The n-th made-up quote, at `second` seconds after START (distinct prices so every row is distinct)."""
    ts = START.value + second * SECOND
    return QuoteTick(
        INSTRUMENT.id,
        Price(1.0 + n * 0.00001, 5),
        Price(1.2 + n * 0.00001, 5),
        Quantity(1_000_000, 0),
        Quantity(2_000_000, 0),
        ts,
        ts,
    )


def tape(seconds: list[int]) -> list[QuoteTick]:
    return [quote(s, n) for n, s in enumerate(sorted(seconds))]


class FakeTape:
    """Stands in for IB: up to 1000 ticks from the start second on, optionally completing the last second."""

    def __init__(
        self, ticks: list[QuoteTick], time: VirtualTime, complete_second: bool = True, fail_on: int | None = None
    ) -> None:
        self.tape, self.time, self.complete_second, self.fail_on = ticks, time, complete_second, fail_on
        self.requests: list[tuple[pd.Timestamp, float]] = []

    async def instrument(self, instrument_id):
        return INSTRUMENT

    async def ticks(self, instrument_id, what, start: pd.Timestamp) -> list[QuoteTick]:
        self.requests.append((start, self.time.secs))
        if self.fail_on is not None and len(self.requests) == self.fail_on:
            raise DownloadError("IB error 162: Historical data request pacing violation")
        self.time.secs += 0.1
        first = start.floor("s").value
        page = [t for t in self.tape if t.ts_event >= first]
        cut = page[:PAGE_TICKS]
        if self.complete_second and cut:
            cut += [t for t in page[PAGE_TICKS:] if t.ts_event == cut[-1].ts_event]
        return cut


def run(
    catalog: Path,
    source: FakeTape,
    end: pd.Timestamp,
    time: VirtualTime,
    pacer: Pacer | None = None,
    start: pd.Timestamp = START,
):
    pacer = pacer or Pacer(clock=time.monotonic)
    return asyncio.run(
        download_ticks(source, catalog, INSTRUMENT.id, "BID_ASK", start, end, pacer, now=time.now, sleep=time.sleep)
    )


def stored(catalog: Path) -> list[tuple[int, int, int]]:
    table = read_group(catalog, "quote_tick/EURUSD.IDEALPRO")
    return list(
        zip(
            table.column("ts_event").to_pylist(),
            raw_column(table, "bid_price").tolist(),
            raw_column(table, "ask_price").tolist(),
            strict=True,
        )
    )


def expected(ticks: list[QuoteTick]) -> list[tuple[int, int, int]]:
    return [(t.ts_event, t.bid_price.raw, t.ask_price.raw) for t in ticks]


# Two hours with bursts: three ticks in most seconds, so page boundaries split seconds.
BUSY = tape([s for s in range(0, 7200, 2) for _ in range(3)])


@pytest.mark.parametrize("complete_second", [False, True], ids=["cut-at-1000", "ib-completes-the-second"])
def test_paging_from_the_last_ticks_second_stores_every_tick_exactly_once(
    tmp_path: Path, complete_second: bool
) -> None:
    time = VirtualTime()
    source = FakeTape(BUSY, time, complete_second=complete_second)
    report = run(tmp_path, source, START + pd.Timedelta(hours=2), time)

    assert stored(tmp_path) == expected(BUSY)
    assert report.ticks_added == len(BUSY) == 10_800
    # 5,400 ticks an hour: six pages each, the sixth crossing the hour or, at the end of the tape, one more
    # request to learn that nothing follows its last second.
    assert report.requests == len(source.requests) == 13
    assert [s for s, _ in source.requests[:2]] == [START, pd.Timestamp(BUSY[999].ts_event, tz="UTC")]


def test_a_second_with_more_ticks_than_a_page_comes_whole_when_ib_completes_it(tmp_path: Path) -> None:
    burst = tape([5] * 1500 + list(range(10, 40)))
    time = VirtualTime()
    run(tmp_path, FakeTape(burst, time), START + pd.Timedelta(minutes=1), time)
    assert stored(tmp_path) == expected(burst)


def test_a_second_with_more_ticks_than_ib_gives_is_passed_rather_than_asked_for_forever(tmp_path: Path) -> None:
    burst = tape([5] * 1500 + list(range(10, 40)))
    time = VirtualTime()
    source = FakeTape(burst, time, complete_second=False)
    run(tmp_path, source, START + pd.Timedelta(minutes=1), time)
    assert stored(tmp_path) == expected(burst[:1000] + burst[1500:])
    assert [s.second for s, _ in source.requests] == [0, 5, 6, 39]


def test_an_hour_without_ticks_costs_one_request(tmp_path: Path) -> None:
    sparse = tape(list(range(7200, 7300)))
    time = VirtualTime()
    source = FakeTape(sparse, time)
    report = run(tmp_path, source, START + pd.Timedelta(hours=3), time)
    assert stored(tmp_path) == expected(sparse)
    assert [s for s, _ in source.requests] == [
        START,
        START + pd.Timedelta(hours=1),
        START + pd.Timedelta(hours=2),
        pd.Timestamp(sparse[-1].ts_event, tz="UTC"),
    ]
    assert report.requests == 4


def test_a_repeated_download_asks_for_nothing_and_a_stopped_one_resumes(tmp_path: Path) -> None:
    end = START + pd.Timedelta(hours=2)
    time = VirtualTime()
    with pytest.raises(DownloadError):
        run(tmp_path, FakeTape(BUSY, time, fail_on=8), end, time)
    assert len(stored(tmp_path)) == 5400  # the first hour landed whole

    resumed = FakeTape(BUSY, time)
    report = run(tmp_path, resumed, end, time)
    again = FakeTape(BUSY, time)
    repeat = run(tmp_path, again, end, time)

    assert stored(tmp_path) == expected(BUSY)
    assert (report.skipped, report.ticks_added) == (1, 5400)
    assert resumed.requests[0][0] == START + pd.Timedelta(hours=1)
    assert (repeat.requests, repeat.skipped, repeat.ticks_added, again.requests) == (0, 2, 0, [])


def test_a_chunk_reaching_into_the_present_is_fetched_again_next_time(tmp_path: Path) -> None:
    time = VirtualTime()
    now = START + pd.Timedelta(minutes=90)
    ticks = [t for t in BUSY if t.ts_event < now.value]

    def at_now() -> pd.Timestamp:
        return now

    source = FakeTape(ticks, time)
    for _ in range(2):
        asyncio.run(
            download_ticks(
                source,
                tmp_path,
                INSTRUMENT.id,
                "BID_ASK",
                START,
                now,
                Pacer(clock=time.monotonic),
                now=at_now,
                sleep=time.sleep,
            )
        )
    assert stored(tmp_path) == expected(ticks)
    assert [s for s, _ in source.requests].count(START + pd.Timedelta(hours=1)) == 2
    assert source.requests[0][0] == START


def test_a_long_download_keeps_within_ibs_pacing(tmp_path: Path) -> None:
    time = VirtualTime()
    source = FakeTape(BUSY, time)
    report = run(tmp_path, source, START + pd.Timedelta(hours=2), time)
    sent = [(t, HistoricalRequest(("EUR/USD.IDEALPRO", "BID_ASK"), "BID_ASK", start)) for start, t in source.requests]
    assert violations(sent) == []
    assert report.waited_secs > 0  # 13 quick requests for one contract: the two-second burst rule made it wait


def test_only_trades_and_bid_ask_ticks_can_be_downloaded() -> None:
    with pytest.raises(CatalogInputError, match="--ticks: 'MIDPOINT' is not one of TRADES, BID_ASK"):
        tick_series("EUR/USD.IDEALPRO", "MIDPOINT")
    with pytest.raises(InstrumentIdError, match="--instrument 'EURUSD': not an instrument id"):
        tick_series("EURUSD", "BID_ASK")


def test_chunks_are_hours_on_a_grid_from_the_start() -> None:
    chunks = plan_ticks(INSTRUMENT.id, "BID_ASK", START + pd.Timedelta(minutes=30), START + pd.Timedelta(hours=2))
    assert [(c.start.strftime("%H:%M"), c.end.strftime("%H:%M")) for c in chunks] == [
        ("10:30", "11:30"),
        ("11:30", "12:00"),
    ]
    assert chunks[0].series == "EUR/USD.IDEALPRO BID_ASK ticks"
