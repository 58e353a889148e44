"""Terminal output for the catalog commands: progress lines and result tables (stderr/stdout via click)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from nautilus_node.catalog.download import Chunk, DownloadReport
from nautilus_node.catalog.store import GroupResult
from nautilus_node.catalog.tick_download import TickChunk, TickDownloadReport


@contextmanager
def file_progress() -> Iterator:
    """A progress callback that prints one line per file read, with a running row count, on stderr."""
    total = 0
    count = 0

    def progress(path: Path, rows: int) -> None:
        nonlocal total, count
        total += rows
        count += 1
        click.echo(f"[{count}] read {rows:>9,} rows  (total {total:,})  {path}", err=True)

    yield progress


def echo_results(results: list[GroupResult]) -> None:
    """One line per catalog directory touched: rows given and rows actually added."""
    for r in results:
        click.echo(f"{r.group}: {r.rows_added:,} added of {r.rows_given:,}")
    added = sum(r.rows_added for r in results)
    click.echo(f"done: {added:,} rows added" if added else "done: nothing new (already in the catalog)")


def chunk_progress(number: int, total: int, chunk: Chunk, bars: int) -> None:
    """One line per IB request on stderr."""
    click.echo(
        f"[{number}/{total}] {chunk.bar_type} {chunk.start:%Y-%m-%d %H:%M} .. {chunk.end:%Y-%m-%d %H:%M}: "
        f"{bars:,} bars",
        err=True,
    )


def echo_download(report: DownloadReport) -> None:
    """The download's totals."""
    click.echo(
        f"done: {report.requests} requests, {report.skipped} chunks already downloaded, "
        f"{report.bars_added:,} bars added, {report.waited_secs:.0f}s waited for IB pacing"
    )


def tick_progress(number: int, total: int, chunk: TickChunk, ticks: int, requests: int) -> None:
    """One line per chunk of ticks on stderr."""
    click.echo(
        f"[{number}/{total}] {chunk.series} {chunk.start:%Y-%m-%d %H:%M} .. {chunk.end:%Y-%m-%d %H:%M}: "
        f"{ticks:,} ticks in {requests} request{'s' if requests != 1 else ''}",
        err=True,
    )


def echo_tick_download(report: TickDownloadReport) -> None:
    """The tick download's totals."""
    click.echo(
        f"done: {report.requests} requests, {report.skipped} chunks already downloaded, "
        f"{report.ticks_added:,} ticks added, {report.waited_secs:.0f}s waited for IB pacing"
    )
