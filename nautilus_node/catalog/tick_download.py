"""Download historical ticks (trades or quotes) from IB into the catalog: paged forward, paced, resumable.

The range is cut into one-hour chunks on a grid from the start. Within a chunk, requests page forward in
time: IB answers a request anchored at a start time with at most 1000 ticks (plus, to complete the last
second, the rest of that second), so the next request starts at the last tick's second and the ticks of
that second already held are dropped from its answer. A chunk is written to the catalog whole (all or
nothing, no duplicates) and, once it ended a few minutes ago, recorded in `<catalog>/.downloads.json`:
a stopped download resumes with the first chunk it has not finished and a repeated one asks IB for nothing.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd
from nautilus_trader.model.data import QuoteTick, TradeTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.persistence.funcs import class_to_filename

from nautilus_node.catalog.download import STATE_FILE, DownloadState
from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.catalog.importer import catalog_instrument
from nautilus_node.catalog.pacing import HistoricalRequest, Pacer
from nautilus_node.catalog.store import write_atomically
from nautilus_node.ib.instrument_ids import check_instrument_id

TICK_TYPES: dict[str, type] = {"TRADES": TradeTick, "BID_ASK": QuoteTick}
CHUNK_LENGTH = pd.Timedelta(hours=1)
SETTLE = pd.Timedelta(minutes=5)  # a chunk ending later than this before now may still gain ticks at IB
PAGE_TICKS = 1000
_SECOND = 1_000_000_000

Tick = QuoteTick | TradeTick


class TickFetcher(Protocol):
    """Where ticks come from: one `ticks` call is one IB reqHistoricalTicks anchored at `start`."""

    async def instrument(self, instrument_id: InstrumentId) -> Instrument: ...

    async def ticks(self, instrument_id: InstrumentId, what: str, start: pd.Timestamp) -> list[Tick]: ...


@dataclass(frozen=True)
class TickChunk:
    """The ticks of one instrument and kind with ts_event in [start, end)."""

    instrument_id: InstrumentId
    what: str
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def series(self) -> str:
        return f"{self.instrument_id} {self.what} ticks"

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


@dataclass
class TickDownloadReport:
    """What a tick download did."""

    requests: int = 0
    skipped: int = 0
    ticks_added: int = 0
    waited_secs: float = 0.0


@dataclass
class _Pages:
    """The paging state within one chunk: where the next request starts and what it has already given."""

    cursor: int
    held: int = 0
    kept: list[Tick] = field(default_factory=list)
    requests: int = 0


def tick_series(instrument_id: str, what: str) -> InstrumentId:
    """The instrument id for `--instrument`, checking `--ticks` (TRADES or BID_ASK)."""
    if what not in TICK_TYPES:
        raise CatalogInputError("--ticks", f"{what!r} is not one of {', '.join(TICK_TYPES)}")
    return check_instrument_id(instrument_id, where="--instrument")


def plan_ticks(instrument_id: InstrumentId, what: str, start: pd.Timestamp, end: pd.Timestamp) -> list[TickChunk]:
    """The chunks that cover [start, end), oldest first, each starting on a one-hour grid from `start`."""
    count = max(1, math.ceil((end - start) / CHUNK_LENGTH))
    return [
        TickChunk(instrument_id, what, start + i * CHUNK_LENGTH, min(start + (i + 1) * CHUNK_LENGTH, end))
        for i in range(count)
    ]


async def download_ticks(
    fetcher: TickFetcher,
    catalog_dir: Path,
    instrument_id: InstrumentId,
    what: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    pacer: Pacer,
    now: Callable[[], pd.Timestamp],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    progress: Callable[[int, int, TickChunk, int, int], None] | None = None,
) -> TickDownloadReport:
    """Fetch the `what` ticks over [start, end) not fetched before, within IB's pacing."""
    if start >= end:
        raise CatalogInputError("--start", f"start {start} is not before end {end}")
    state = DownloadState(catalog_dir / STATE_FILE)
    chunks = plan_ticks(instrument_id, what, start, end)
    todo = [c for c in chunks if not state.done(c.series, c.key)]
    report = TickDownloadReport(skipped=len(chunks) - len(todo))
    instrument = await fetcher.instrument(instrument_id) if todo else None
    new_definition = [instrument] if todo and catalog_instrument(catalog_dir, str(instrument.id)) is None else []
    group = f"{class_to_filename(TICK_TYPES[what])}/"
    for number, chunk in enumerate(todo, start=1):
        pages = await _fetch_chunk(fetcher, chunk, pacer, sleep, report)
        if pages.kept:
            results = write_atomically(catalog_dir, [*new_definition, *pages.kept])
            new_definition = []
            report.ticks_added += sum(r.rows_added for r in results if r.group.startswith(group))
        if chunk.end + SETTLE <= now():
            state.mark(chunk.series, chunk.key)
        if progress is not None:
            progress(number, len(todo), chunk, len(pages.kept), pages.requests)
    return report


async def _fetch_chunk(
    fetcher: TickFetcher,
    chunk: TickChunk,
    pacer: Pacer,
    sleep: Callable[[float], Awaitable[None]],
    report: TickDownloadReport,
) -> _Pages:
    """Page forward through one chunk until a page reaches its end or IB has nothing newer."""
    pages = _Pages(cursor=chunk.start.value)
    first, stop = chunk.start.value, chunk.end.value
    while True:
        request = HistoricalRequest((str(chunk.instrument_id), chunk.what), chunk.what, ("ticks", pages.cursor))
        while (wait := pacer.delay(request)) > 0:
            report.waited_secs += wait
            await sleep(wait)
        pacer.record(request)
        report.requests += 1
        pages.requests += 1
        page = await fetcher.ticks(chunk.instrument_id, chunk.what, pd.Timestamp(pages.cursor, tz="UTC"))
        fresh = _after_boundary(page, pages.cursor, pages.held)
        pages.kept += [t for t in fresh if first <= t.ts_event < stop]
        if not page or page[-1].ts_event >= stop:
            return pages
        if not fresh:
            if len(page) < PAGE_TICKS:
                return pages  # nothing after the boundary second: IB has no newer ticks yet
            pages.cursor, pages.held = pages.cursor + _SECOND, 0  # a second with more ticks than a page
            continue
        last = page[-1].ts_event
        pages.held = sum(1 for t in page if t.ts_event == last)
        pages.cursor = last


def _after_boundary(page: list[Tick], cursor: int, held: int) -> list[Tick]:
    """`page` without the first `held` ticks of second `cursor` (the previous page ended with them)."""
    fresh: list[Tick] = []
    skipped = 0
    for tick in page:
        if tick.ts_event < cursor:
            continue
        if tick.ts_event == cursor and skipped < held:
            skipped += 1
            continue
        fresh.append(tick)
    return fresh
