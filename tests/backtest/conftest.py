"""Backtest tests run over the shipped real EUR/USD catalog (`catalog/`) with small config files in tmp."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "catalog"
SHIPPED_CONFIG = REPO / "configs" / "paper.toml"


@pytest.fixture
def backtest_config(tmp_path: Path) -> Callable[..., Path]:
    """Write the shipped backtest config with its catalog and results paths pointed at real/tmp folders and
    `old` text replaced by `new`; returns its path."""

    def write(old: str | None = None, new: str = "") -> Path:
        text = SHIPPED_CONFIG.read_text(encoding="utf-8")
        text = text.replace('catalog = "catalog"', f'catalog = "{CATALOG}"')
        text = text.replace('results = "results"', f'results = "{tmp_path / "results"}"')
        if old is not None:
            assert old in text, f"{old!r} is not in the shipped config"
            text = text.replace(old, new, 1)
        path = tmp_path / "backtest.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
