"""The gateway's account kept on disk (``--state FILE``): cash, positions, working orders, executions and the id
sequences survive a kill -9 and restart of the gateway process, as they do at IB.

The file is a pickle written atomically (a temporary file, fsync, rename) after every order event. Like a
script, it is trusted: load only files this gateway wrote.
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

from nautilus_node.simgateway.broker import Broker

log = logging.getLogger(__name__)

FORMAT = "nautilus_node simulated gateway state v1"


class StateFile:
    """Where one gateway's account lives between processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load_into(self, broker: Broker) -> bool:
        """Restore ``broker`` from the file; False when there is no file yet. Raises ValueError if unreadable."""
        if not self.path.exists():
            return False
        try:
            with self.path.open("rb") as f:
                stored = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            raise ValueError(f"state file {self.path}: unreadable ({exc})") from None
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            raise ValueError(f"state file {self.path}: not a simulated gateway state file")
        broker.restore(stored["broker"])
        log.info("account %s restored from %s", broker.account, self.path)
        return True

    def save(self, broker: Broker) -> None:
        partial = self.path.with_name(self.path.name + ".partial")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as f:
            pickle.dump({"format": FORMAT, "broker": broker.snapshot()}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, self.path)
