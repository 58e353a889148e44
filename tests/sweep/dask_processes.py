"""A real Dask cluster in processes: `dask scheduler` and `dask worker` (2 single-threaded worker processes) over
TCP on 127.0.0.1, ports chosen by the OS. Used by the sweep tests and the sweep benchmark."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from distributed import Client

REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def external_dask_cluster(folder: Path) -> Iterator[str]:
    """Start the scheduler and workers (their log in `folder/log`), wait for both workers, yield the scheduler's
    address; stop every process on exit."""
    scheduler_file = folder / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    environment = {**os.environ, "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}  # as docs/sweeps.md advises
    common = {"cwd": REPO, "env": environment, "stdout": subprocess.DEVNULL, "stderr": (folder / "log").open("w")}
    scheduler = subprocess.Popen(
        [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
         scheduler_file],
        **common,
    )  # fmt: skip
    workers = subprocess.Popen(
        [*dask, "worker", "--scheduler-file", scheduler_file, "--nworkers", "2", "--nthreads", "1",
         "--host", "127.0.0.1", "--no-dashboard"],
        **common,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not scheduler_file.exists() and time.monotonic() < deadline and scheduler.poll() is None:
            time.sleep(0.2)
        assert scheduler_file.exists(), (folder / "log").read_text()
        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in (workers, scheduler):
            process.terminate()
        for process in (workers, scheduler):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            if process.poll() is None:
                process.kill()
                process.wait()
