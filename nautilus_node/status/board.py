"""`StatusBoard`: the latest snapshot, handed from the node's event loop to the HTTP threads."""

from __future__ import annotations

from nautilus_node.status.snapshot import Snapshot, encode


class StatusBoard:
    """Holds the latest snapshot and its JSON; publishing replaces both in one reference assignment."""

    def __init__(self) -> None:
        self._latest: tuple[Snapshot, bytes] | None = None

    def publish(self, snapshot: Snapshot) -> bytes:
        """Make `snapshot` the current one; returns its JSON."""
        data = encode(snapshot)
        self._latest = (snapshot, data)
        return data

    def latest(self) -> tuple[Snapshot, bytes] | None:
        """The current snapshot and its JSON, or `None` before the first one."""
        return self._latest
