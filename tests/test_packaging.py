"""What the package installs: `nautilus_node` only. The example strategies stay in the project directory, so a
user's own `strategies/` (in the directory a command runs in) is the one a config's `strategies.…` names."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONSOLE_SCRIPT = Path(sys.executable).with_name("nautilus-node")

OWN_STRATEGY = """
from nautilus_trader.config import StrategyConfig
from nautilus_trader.trading.strategy import Strategy


class MineConfig(StrategyConfig, frozen=True):
    size: int = 1


class Mine(Strategy):
    pass
"""


def test_the_wheel_holds_nautilus_node_and_no_top_level_strategies_package(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    command = [uv] if uv else [sys.executable, "-m", "uv"]
    built = subprocess.run(
        [*command, "build", "--wheel", "--out-dir", str(tmp_path), str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = tmp_path.glob("nautilus_node-*.whl")
    top_level = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert "nautilus_node" in top_level
    assert "strategies" not in top_level
    assert all(name == "nautilus_node" or name.endswith(".dist-info") for name in top_level), top_level


def test_the_console_script_loads_the_users_own_strategies_from_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "__init__.py").write_text("")
    (tmp_path / "strategies" / "mine.py").write_text(OWN_STRATEGY)
    (tmp_path / "node.toml").write_text(
        '[[strategies]]\npath = "strategies.mine:Mine"\nconfig_path = "strategies.mine:MineConfig"\n'
    )
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "check", "node.toml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("strategies: Mine")


def test_the_example_strategies_still_load_from_the_project_directory() -> None:
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "check", "configs/sim.toml"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("strategies: EMACrossStrategy, QuoteReversionStrategy")
