"""The recorded sessions of a recording catalog: what each holds (span and counts), for `catalog list`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from nautilus_node.record.streams import MANIFEST, read_table, stream_files

COUNTED = {
    "quote_tick": "quotes",
    "trade_tick": "trades",
    "bar": "bars",
    "order_initialized": "orders",
    "order_filled": "fills",
}


@dataclass(frozen=True)
class SessionSummary:
    """One session: its id, the first and last timestamps of its market data, counts by kind, the manifest."""

    session_id: str
    first_ns: int | None
    last_ns: int | None
    counts: dict[str, int]
    manifest: dict[str, Any]

    @property
    def complete(self) -> bool:
        """Whether the node closed the session (False: it was killed or is still recording)."""
        return "ended_ns" in self.manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    """The session's `session.json` (empty when the node was killed before writing it)."""
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def summarize(folder: Path) -> SessionSummary:
    """Span and counts of the session in `folder`, read from its stream files' whole batches."""
    counts = dict.fromkeys(COUNTED.values(), 0)
    first, last = None, None
    for table_name, path in stream_files(folder):
        kind = COUNTED.get(table_name)
        if kind is None:
            continue
        table = read_table(path)
        if table is None:
            continue
        counts[kind] += table.num_rows
        if table_name in ("quote_tick", "trade_tick", "bar"):
            low, high = pc.min(table["ts_init"]).as_py(), pc.max(table["ts_init"]).as_py()
            first = low if first is None else min(first, low)
            last = high if last is None else max(last, high)
    return SessionSummary(folder.name, first, last, counts, read_manifest(folder))


def list_sessions(root: Path) -> list[SessionSummary]:
    """Every session under `<root>/live/`, oldest first."""
    live = root / "live"
    if not live.is_dir():
        return []
    return [summarize(folder) for folder in sorted(live.iterdir()) if folder.is_dir()]
