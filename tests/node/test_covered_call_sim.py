"""The covered call example (configs/covered_call.toml) on `run --sim`: SPY's chain loads at start, the strategy
buys its 100 shares and sells a call from the chain, and both fills show in the run's summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.node.conftest import PROJECT_ROOT, run_cli

pytestmark = pytest.mark.e2e

CALL_SOLD = re.compile(r"SPY {3}\d{6}C\d{8}\.\w+ SELL 1 @ \d+\.\d+")


def test_the_covered_call_buys_its_shares_and_sells_a_call_from_the_chain(tmp_path: Path) -> None:
    text = (PROJECT_ROOT / "configs" / "covered_call.toml").read_text(encoding="utf-8")
    for old, new in (
        ('log_directory = "logs"', f'log_directory = "{tmp_path / "logs"}"'),
        ('file = "status/status.json"', f'file = "{tmp_path / "status.json"}"'),
        ("option_chain_days = 45", "option_chain_days = 12"),  # a smaller chain: a quicker start
        ("max_days = 45", "max_days = 12"),  # a weekly 5 to 12 days out is listed on any day
    ):
        assert old in text
        text = text.replace(old, new)
    config = tmp_path / "covered_call.toml"
    config.write_text(text, encoding="utf-8")
    result = run_cli("run", str(config), "--sim", "--for", "10s", timeout=180)
    console = result.stdout + result.stderr
    assert result.returncode == 0, console
    assert "SPY.ARCA BUY 100 @ " in console, console
    assert CALL_SOLD.search(console), console
    assert "SPY.ARCA: IB 100, strategies 100 (CoveredCallStrategy-000 100)" in console
