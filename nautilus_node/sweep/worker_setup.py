"""Preloaded into each local worker process: Ctrl-C in the terminal reaches the whole process group, and the
sweep (not its workers) answers it, cancelling the trials and closing the cluster, so workers ignore SIGINT."""

from __future__ import annotations

import signal
from typing import Any


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, run in the worker process when it starts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
