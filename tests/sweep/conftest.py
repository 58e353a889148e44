"""Sweep tests: a real Dask scheduler and workers (`dask scheduler` / `dask worker` processes on 127.0.0.1, ports
chosen by the OS) and the shipped EUR/USD catalog over a few days, so each trial takes a fraction of a second."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from distributed import Client

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "catalog"
START, END = "2014-05-05", "2014-05-08"


@pytest.fixture
def sweep_config(tmp_path: Path) -> Callable[..., Path]:
    """The shipped config over three days of the real catalog, results in tmp; `replace` edits its text."""

    def write(**replace: str) -> Path:
        text = (REPO / "configs" / "paper.toml").read_text(encoding="utf-8")
        text = text.replace('catalog = "catalog"', f'catalog = "{CATALOG}"')
        text = text.replace('results = "results"', f'results = "{tmp_path / "results"}"')
        text = text.replace('start = "2014-05-01"', f'start = "{START}"').replace(
            'end = "2014-05-16"', f'end = "{END}"'
        )
        for old, new in replace.items():
            assert old in text
            text = text.replace(old, new)
        path = tmp_path / "sweep.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Dask scheduler and one `dask worker` process with 2 single-threaded worker processes, over TCP on
    127.0.0.1; yields the scheduler's address."""
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    common = {"cwd": REPO, "stdout": subprocess.DEVNULL, "stderr": (folder / "log").open("w")}
    scheduler = subprocess.Popen(
        [
            *dask,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            scheduler_file,
        ],
        **common,
    )
    workers = subprocess.Popen(
        [
            *dask,
            "worker",
            "--scheduler-file",
            scheduler_file,
            "--nworkers",
            "2",
            "--nthreads",
            "1",
            "--host",
            "127.0.0.1",
            "--no-dashboard",
        ],
        **common,
    )
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


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m nautilus_node ARGS` from the project root, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "nautilus_node", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
