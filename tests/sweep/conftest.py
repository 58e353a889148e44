"""Sweep tests: a real Dask scheduler and workers (`dask scheduler` / `dask worker` processes on 127.0.0.1, ports
chosen by the OS) and the shipped EUR/USD catalog over a few days, so each trial takes a fraction of a second."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.sweep.dask_processes import external_dask_cluster

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
    with external_dask_cluster(tmp_path_factory.mktemp("dask")) as address:
        yield address


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
