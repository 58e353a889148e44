"""What a catalog holds: instruments, and per data type and identifier the time range and row count."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.catalog.store import file_interval


@dataclass(frozen=True)
class Entry:
    """One data directory of the catalog."""

    data_type: str
    identifier: str
    rows: int
    first: int
    last: int


def entries(catalog_dir: Path) -> list[Entry]:
    """Every (data type, identifier) directory, read from file names and parquet footers only."""
    data_dir = catalog_dir / "data"
    if not data_dir.is_dir():
        raise CatalogInputError(catalog_dir, "not a catalog (no data/ folder)")
    found = []
    for leaf in sorted({p.parent for p in data_dir.rglob("*.parquet")}):
        files = sorted(leaf.glob("*.parquet"))
        spans = [file_interval(f) for f in files]
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        relative = leaf.relative_to(data_dir)
        identifier = _identifier(files[0]) or "/".join(relative.parts[1:])
        found.append(Entry(relative.parts[0], identifier, rows, min(s[0] for s in spans), max(s[1] for s in spans)))
    return found


def _identifier(path: Path) -> str | None:
    """The bar type or instrument id a data file records (its directory name drops the '/')."""
    schema = pq.read_schema(path)
    meta = schema.metadata or {}
    for key in (b"bar_type", b"instrument_id"):
        if key in meta:
            return meta[key].decode()
    if "id" in schema.names:
        ids = pq.read_table(path, columns=["id"]).column("id")
        return str(ids[0]) if len(ids) else None
    return None


def instruments(catalog_dir: Path) -> list[str]:
    """One line per instrument definition in the catalog."""
    return [_describe(i) for i in ParquetDataCatalog(str(catalog_dir)).instruments()]


def _describe(instrument: Instrument) -> str:
    facts = [f"tick {instrument.price_increment}", f"size step {instrument.size_increment}"]
    if instrument.multiplier.as_decimal() != 1:
        facts.append(f"multiplier {instrument.multiplier}")
    expiration = getattr(instrument, "expiration_ns", None)
    if expiration:
        facts.append(f"expires {pd.Timestamp(expiration, tz='UTC'):%Y-%m-%d}")
    return f"{type(instrument).__name__} {instrument.id} ({', '.join(facts)})"


def render(catalog_dir: Path) -> str:
    """The catalog's content as a plain-text table, then its recorded sessions (a recording catalog may hold
    nothing else)."""
    from nautilus_node.record.sessions import list_sessions

    sessions = list_sessions(catalog_dir)
    if sessions and not (catalog_dir / "data").is_dir():
        return "\n".join([f"catalog {catalog_dir}", *_session_lines(sessions)])
    rows = entries(catalog_dir)
    lines = [f"catalog {catalog_dir}", "instruments:"]
    lines += [f"  {line}" for line in instruments(catalog_dir)] or ["  (none)"]
    lines.append("data:")
    lines.append(f"  {'type':<14} {'identifier':<44} {'rows':>10}  {'first (UTC)':<29}  last (UTC)")
    for e in rows:
        lines.append(f"  {e.data_type:<14} {e.identifier:<44} {e.rows:>10,}  {_time(e.first):<29}  {_time(e.last)}")
    if sessions:
        lines += _session_lines(sessions)
    return "\n".join(lines)


def _session_lines(sessions: list) -> list[str]:
    lines = ["recorded sessions:"]
    lines.append(
        f"  {'session':<20} {'first (UTC)':<24} {'last (UTC)':<24} {'quotes':>8} {'trades':>7} {'bars':>6} "
        f"{'orders':>6} {'fills':>6}"
    )
    for s in sessions:
        span = [_time(ns)[:-4] if ns is not None else "-" for ns in (s.first_ns, s.last_ns)]
        c = s.counts
        note = "" if s.complete else "  (not closed: killed or still recording)"
        lines.append(
            f"  {s.session_id:<20} {span[0]:<24} {span[1]:<24} {c['quotes']:>8,} {c['trades']:>7,} {c['bars']:>6,} "
            f"{c['orders']:>6,} {c['fills']:>6,}{note}"
        )
    return lines


def _time(ns: int) -> str:
    return pd.Timestamp(ns, tz="UTC").strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
