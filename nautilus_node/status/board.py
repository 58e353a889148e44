"""`StatusBoard`: the latest snapshot, handed from the node's event loop to the web server's thread."""

from __future__ import annotations

from collections.abc import Callable

from nautilus_node.status.charts import ChartUpdate
from nautilus_node.status.snapshot import Snapshot, encode

Listener = Callable[[bytes, ChartUpdate | None], None]


class StatusBoard:
    """Holds the latest snapshot and its JSON; publishing replaces both in one reference assignment and tells
    the listener (the web server), which must only hand the values over to its own thread."""

    def __init__(self) -> None:
        self._latest: tuple[Snapshot, bytes] | None = None
        self._listener: Listener | None = None

    def listen(self, listener: Listener | None) -> None:
        self._listener = listener

    def publish(self, snapshot: Snapshot, update: ChartUpdate | None = None) -> bytes:
        """Make `snapshot` the current one (with the chart points new since the last); returns its JSON."""
        data = encode(snapshot)
        self._latest = (snapshot, data)
        if self._listener is not None:
            self._listener(data, update)
        return data

    def latest(self) -> tuple[Snapshot, bytes] | None:
        """The current snapshot and its JSON, or `None` before the first one."""
        return self._latest
