"""`new-strategy NAME` writes a strategy, its config and a test; the new strategy backtests at once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nautilus_node.scaffold import StrategyNameError, new_strategy

from .conftest import CATALOG


def project(tmp_path: Path) -> Path:
    """An empty project tree with the real catalog, as a strategy author's checkout would have."""
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "__init__.py").write_text("")
    (tmp_path / "catalog").symlink_to(CATALOG)
    return tmp_path


def test_new_strategy_backtests_at_once_and_its_test_passes(tmp_path: Path) -> None:
    root = project(tmp_path)
    files = new_strategy("mean_revert", root)
    env = {**os.environ, "PYTHONPATH": str(root)}

    run = subprocess.run(
        [sys.executable, "-m", "nautilus_node", "backtest", "configs/mean_revert.toml", "--no-progress"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "final balance" in run.stdout
    fills = next((root / "results").iterdir()) / "fills.csv"
    assert "MeanRevertStrategy-000" in fills.read_text()

    test = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(files.test)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert test.returncode == 0, test.stdout + test.stderr
    assert "1 passed" in test.stdout


@pytest.mark.e2e
def test_the_new_strategy_runs_quietly_and_trades_on_the_simulated_gateway(tmp_path: Path) -> None:
    root = project(tmp_path)
    new_strategy("mean_revert", root)
    run = subprocess.run(
        [sys.executable, "-m", "nautilus_node", "run", "configs/mean_revert.toml", "--sim", "--for", "40s"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), "NAUTILUS_NODE_STATUS_PORT": "0"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-2000:]
    assert "strategies running: MeanRevertStrategy-000" in run.stdout
    assert re.search(r"^fills\s+[1-9]\d* recent", run.stdout, re.MULTILINE), run.stdout
    assert re.search(r"^positions 1\n\s+EUR/USD.IDEALPRO (LONG|SHORT) ", run.stdout, re.MULTILINE), run.stdout
    assert "[INFO]" not in run.stdout + run.stderr  # the console shows warnings and the node's own lines only


def test_new_strategy_refuses_to_overwrite(tmp_path: Path) -> None:
    root = project(tmp_path)
    new_strategy("trend", root)
    with pytest.raises(StrategyNameError, match="already exists"):
        new_strategy("trend", root)


@pytest.mark.parametrize("name", ["MeanRevert", "2fast", "class", "mean-revert", ""])
def test_new_strategy_rejects_names_that_are_not_modules(tmp_path: Path, name: str) -> None:
    with pytest.raises(StrategyNameError, match="is not a module name"):
        new_strategy(name, tmp_path)
    assert not any(tmp_path.iterdir())


def test_cli_new_strategy_bad_name_is_one_line_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nautilus_node", "new-strategy", "Bad-Name"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "'Bad-Name' is not a module name" in result.stderr
