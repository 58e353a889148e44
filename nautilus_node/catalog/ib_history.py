"""Downloads into the catalog from IB Gateway, over `ib.connection`'s short-lived connection.

A request IB refuses stops the download with a `DownloadError`; what finished stays in the catalog.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pandas as pd

from nautilus_node.catalog import DOWNLOAD_CLIENT_ID
from nautilus_node.catalog.download import Chunk, DownloadError, DownloadReport, bar_types, download
from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.catalog.pacing import Pacer, PacingRules
from nautilus_node.catalog.tick_download import TickChunk, TickDownloadReport, download_ticks, tick_series
from nautilus_node.ib.accounts import DEFAULT_PORT
from nautilus_node.ib.connection import NO_HISTORICAL_DATA, IBConnection, IBRequestError, with_connection


def download_from_ib(
    catalog_dir: Path,
    instrument_id: str,
    bar_size: str,
    what: str,
    start: str,
    end: str,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    client_id: int = DOWNLOAD_CLIENT_ID,
    connect_timeout: float = 20.0,
    rules: PacingRules | None = None,
    progress: Callable[[int, int, Chunk, int], None] | None = None,
) -> DownloadReport:
    """Download bars over (start, end] (UTC unless the times say otherwise) from IB Gateway into the catalog."""
    types = bar_types(instrument_id, bar_size, what)
    first, last = requested_span(start, end)

    async def fetch(ib: IBConnection) -> DownloadReport:
        return await download(
            ib, catalog_dir, types, first, last, Pacer(rules or PacingRules()), now=utc_now, progress=progress
        )

    return _download(host, port, client_id, connect_timeout, fetch)


def download_ticks_from_ib(
    catalog_dir: Path,
    instrument_id: str,
    what: str,
    start: str,
    end: str,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    client_id: int = DOWNLOAD_CLIENT_ID,
    connect_timeout: float = 20.0,
    rules: PacingRules | None = None,
    progress: Callable[[int, int, TickChunk, int, int], None] | None = None,
) -> TickDownloadReport:
    """Download TRADES or BID_ASK ticks over [start, end) (UTC unless the times say otherwise) into the catalog."""
    iid = tick_series(instrument_id, what)
    first, last = requested_span(start, end)

    async def fetch(ib: IBConnection) -> TickDownloadReport:
        return await download_ticks(
            ib, catalog_dir, iid, what, first, last, Pacer(rules or PacingRules()), now=utc_now, progress=progress
        )

    try:
        return _download(host, port, client_id, connect_timeout, fetch)
    except DownloadError as exc:
        if what == "TRADES" and NO_HISTORICAL_DATA in str(exc):
            raise DownloadError(f"{exc} (IB has no trades for {iid}; try --ticks BID_ASK)") from None
        raise


def _download[T](
    host: str, port: int, client_id: int, connect_timeout: float, fetch: Callable[[IBConnection], Awaitable[T]]
) -> T:
    """Run `fetch` over a connection; an IB error that stops it is the download's error."""
    try:
        return with_connection(host, port, client_id, connect_timeout, fetch)
    except IBRequestError as exc:
        raise DownloadError(str(exc)) from None


def utc_now() -> pd.Timestamp:
    """The current time as a UTC timestamp."""
    return pd.Timestamp.now(tz="UTC")


def requested_span(start: str, end: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """`--start` and `--end` as UTC timestamps, the end capped at now (IB has no future history)."""
    return parse_time("--start", start), min(parse_time("--end", end), utc_now().floor("s"))


def parse_time(option: str, text: str) -> pd.Timestamp:
    """A date or date-time as a UTC timestamp (UTC assumed when no zone is given)."""
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise CatalogInputError(option, f"{text!r} is not a date or date-time") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
