"""Benchmarks marked `slow` (minutes long) run only when selected with `-m slow`."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected = config.getoption("-m") or ""
    for item in items:
        if item.path.is_relative_to(HERE) and item.get_closest_marker("slow") and "slow" not in selected:
            item.add_marker(pytest.mark.skip(reason="slow: select with -m slow"))
