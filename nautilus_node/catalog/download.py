"""Download historical bars from IB into the catalog: in chunks IB accepts, paced, resumable.

A download is split into chunks of one IB request each. Every chunk that comes back is written to the
catalog at once (all or nothing, no duplicates) and recorded in `<catalog>/.downloads.json`, so a
stopped download resumes with the first chunk it has not finished and a repeated one asks IB for
nothing. Chunks that reach into the last bar period are not recorded: their data may still grow.
A continuous future (`ES.CME`) is fetched in one request reaching back from now, as IB serves it.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd
from nautilus_trader.adapters.interactive_brokers.parsing.data import bar_spec_to_bar_size, what_to_show
from nautilus_trader.adapters.interactive_brokers.parsing.instruments import instrument_id_to_ib_contract
from nautilus_trader.model.data import Bar, BarSpecification, BarType
from nautilus_trader.model.enums import AggregationSource, BarAggregation, PriceType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument

from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.catalog.importer import catalog_instrument
from nautilus_node.catalog.pacing import HistoricalRequest, Pacer
from nautilus_node.catalog.store import write_atomically
from nautilus_node.errors import UserError
from nautilus_node.ib.instrument_ids import check_instrument_id

STATE_FILE = ".downloads.json"
PRICE_TYPES = {
    "TRADES": (PriceType.LAST,),
    "MIDPOINT": (PriceType.MID,),
    "BID": (PriceType.BID,),
    "ASK": (PriceType.ASK,),
    "BID_ASK": (PriceType.BID, PriceType.ASK),
}
_UNITS = {
    "sec": BarAggregation.SECOND,
    "min": BarAggregation.MINUTE,
    "hour": BarAggregation.HOUR,
    "day": BarAggregation.DAY,
    "week": BarAggregation.WEEK,
}


class HistoryFetcher(Protocol):
    """Where bars come from: one call is one IB historical-data request."""

    async def instrument(self, instrument_id: InstrumentId) -> Instrument: ...

    async def bars(self, bar_type: BarType, end: pd.Timestamp, duration: str) -> list[Bar]: ...


class DownloadError(UserError, RuntimeError):
    """A download that IB (or the connection) stopped; what finished stays in the catalog."""


@dataclass(frozen=True)
class Chunk:
    """One IB request: bars of `bar_type` closing in (start, end]."""

    bar_type: BarType
    start: pd.Timestamp
    end: pd.Timestamp
    duration: str

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def request(self) -> HistoricalRequest:
        what = what_to_show(self.bar_type)
        series = (str(self.bar_type.instrument_id), what)
        return HistoricalRequest(series, what, (str(self.bar_type), self.end.value, self.duration))


@dataclass
class DownloadReport:
    """What a download did."""

    requests: int = 0
    skipped: int = 0
    bars_added: int = 0
    waited_secs: float = 0.0


def bar_types(instrument_id: str, bar_size: str, what: str) -> list[BarType]:
    """The bar types for IB's `bar_size` ("1 min", "5 secs", "1 hour", "1 day") and `what` (TRADES, …)."""
    iid = check_instrument_id(instrument_id, where="--instrument")
    if what not in PRICE_TYPES:
        raise CatalogInputError("--what", f"{what!r} is not one of {', '.join(PRICE_TYPES)}")
    match = re.fullmatch(r"\s*(\d+)\s*(sec|min|hour|day|week)s?\s*", bar_size)
    result = []
    for price_type in PRICE_TYPES[what]:
        try:
            spec = BarSpecification(int(match[1]), _UNITS[match[2]], price_type) if match else None
            ib_size = bar_spec_to_bar_size(spec) if spec else ""
        except ValueError:
            ib_size = ""
        if not ib_size:
            raise CatalogInputError(
                "--bar-size",
                f"{bar_size!r} is not an IB bar size (e.g. '5 secs', '1 min', '15 mins', '1 hour', '1 day')",
            )
        result.append(BarType(iid, spec, AggregationSource.EXTERNAL))
    return result


def chunk_length(spec: BarSpecification) -> tuple[pd.Timedelta, str]:
    """How much history one request covers for a bar size, within IB's duration limits."""
    seconds = spec.timedelta.total_seconds()
    if seconds < 30:
        return pd.Timedelta(minutes=30), "1800 S"
    if seconds < 60:
        return pd.Timedelta(hours=4), "14400 S"
    if seconds < 120:
        return pd.Timedelta(days=1), "86400 S"
    if seconds < 3600:
        return pd.Timedelta(days=7), "1 W"
    if seconds < 86400:
        return pd.Timedelta(days=30), "1 M"
    return pd.Timedelta(days=365), "1 Y"


def plan(bar_type: BarType, start: pd.Timestamp, end: pd.Timestamp) -> list[Chunk]:
    """The requests that cover (start, end], oldest first, each ending on a fixed grid from `start`."""
    length, duration = chunk_length(bar_type.spec)
    count = max(1, math.ceil((end - start) / length))
    return [Chunk(bar_type, start + i * length, min(start + (i + 1) * length, end), duration) for i in range(count)]


def is_continuous_future(instrument_id: InstrumentId) -> bool:
    """Whether the id names IB's continuous future: a futures family's symbol alone (`ES.CME`, `CL.NYMEX`)."""
    try:
        return instrument_id_to_ib_contract(instrument_id, instrument_id.venue.value).secType == "CONTFUT"
    except ValueError:
        return False


def continuous_plan(bar_type: BarType, start: pd.Timestamp, end: pd.Timestamp, now: pd.Timestamp) -> list[Chunk]:
    """A continuous future's history comes only up to now (IB takes no end time for a CONTFUT, and the adapter
    sends none), stitched across its rolls: one request whose duration reaches back from now to `start`."""
    seconds = max(1, math.ceil((now - start).total_seconds()))
    duration = f"{seconds} S" if seconds <= 86400 else f"{math.ceil(seconds / 86400)} D"
    return [Chunk(bar_type, start, end, duration)]


async def download(
    fetcher: HistoryFetcher,
    catalog_dir: Path,
    types: list[BarType],
    start: pd.Timestamp,
    end: pd.Timestamp,
    pacer: Pacer,
    now: Callable[[], pd.Timestamp],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    progress: Callable[[int, int, Chunk, int], None] | None = None,
) -> DownloadReport:
    """Fetch every chunk of `types` over (start, end] not fetched before, within IB's pacing."""
    if start >= end:
        raise CatalogInputError("--start", f"start {start} is not before end {end}")
    state = DownloadState(catalog_dir / STATE_FILE)
    continuous = is_continuous_future(types[0].instrument_id)
    chunks = [c for t in types for c in (continuous_plan(t, start, end, now()) if continuous else plan(t, start, end))]
    chunks.sort(key=lambda c: (c.end, str(c.bar_type)))
    todo = [c for c in chunks if not state.done(str(c.bar_type), c.key)]
    report = DownloadReport(skipped=len(chunks) - len(todo))
    instrument = await fetcher.instrument(types[0].instrument_id) if todo else None
    new_definition = [instrument] if todo and catalog_instrument(catalog_dir, str(instrument.id)) is None else []
    for number, chunk in enumerate(todo, start=1):
        request = chunk.request()
        while (wait := pacer.delay(request)) > 0:
            report.waited_secs += wait
            await sleep(wait)
        pacer.record(request)
        report.requests += 1
        bars = [
            b
            for b in await fetcher.bars(chunk.bar_type, chunk.end, chunk.duration)
            if chunk.start.value < b.ts_init <= chunk.end.value
        ]
        if bars:
            results = write_atomically(catalog_dir, [*new_definition, *bars])
            new_definition = []
            report.bars_added += sum(r.rows_added for r in results if r.group.startswith("bar/"))
        if chunk.end + chunk.bar_type.spec.timedelta <= now():
            state.mark(str(chunk.bar_type), chunk.key)
        if progress is not None:
            progress(number, len(todo), chunk, len(bars))
    return report


class DownloadState:
    """Finished chunks per series (a bar type, or an instrument's ticks), kept in a small JSON file written
    atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.finished: dict[str, list[str]] = json.loads(path.read_text()) if path.exists() else {}
        except (OSError, ValueError) as exc:
            raise CatalogInputError(path, f"unreadable download state ({exc})") from None

    def done(self, series: str, key: str) -> bool:
        return key in self.finished.get(series, ())

    def mark(self, series: str, key: str) -> None:
        self.finished.setdefault(series, []).append(key)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".json.partial")
        partial.write_text(json.dumps(self.finished, indent=1, sort_keys=True))
        partial.replace(self.path)
