"""Recorded sessions made by the real command line: `run --sim --record` of the EMA cross example. The 2-minute
session is `slow`: it runs only when selected with `-m slow`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.node.conftest import PROJECT_ROOT, cli_environment, run_cli

SIM_CONFIG = PROJECT_ROOT / "configs" / "sim.toml"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected = config.getoption("-m") or ""
    for item in items:
        if item.get_closest_marker("slow") and "slow" not in selected:
            item.add_marker(pytest.mark.skip(reason="slow: select with -m slow"))


def ema_cross_config(folder: Path, recordings: Path, flush_interval_secs: float = 1.0) -> Path:
    """configs/sim.toml with only its EMA cross strategy, recording into `recordings`, status file in `folder`."""
    text = SIM_CONFIG.read_text(encoding="utf-8")
    start = text.index('[[strategies]]\npath = "strategies.quote_reversion')
    text = text[:start] + text[text.index("[status]") :]
    text = text.replace('file = "status/status.json"', f'file = "{folder / "status.json"}"')
    text += f'\n[record]\ncatalog = "{recordings}"\nflush_interval_secs = {flush_interval_secs}\n'
    text = text.replace('log_directory = "logs"', f'log_directory = "{folder / "logs"}"')
    path = folder / "ema_cross.toml"
    path.write_text(text, encoding="utf-8")
    return path


def env_in(folder: Path) -> dict[str, str]:
    """The environment to run the CLI from `folder` (its results/ land there) with the project's strategies
    importable."""
    return {"PYTHONPATH": str(PROJECT_ROOT)}


def session_ids(recordings: Path) -> list[str]:
    return sorted(p.name for p in (recordings / "live").iterdir())


__all__ = ["cli_environment", "ema_cross_config", "env_in", "run_cli", "session_ids"]
