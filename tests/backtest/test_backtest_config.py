"""Bad backtest configs and arguments fail with one line naming the file, key and value; exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nautilus_node.backtest.config import load_backtest_file
from nautilus_node.backtest.runner import build_run_config
from nautilus_node.settings import ConfigError

from .conftest import REPO, SHIPPED_CONFIG


def test_shipped_config_builds_a_run_over_the_shipped_catalog() -> None:
    settings = load_backtest_file(SHIPPED_CONFIG)
    run = build_run_config(settings, str(SHIPPED_CONFIG), strategy="ema_cross", progress=False)

    assert [s.strategy_path for s in run.engine.strategies] == ["strategies.ema_cross:EMACrossStrategy"]
    assert [d.bar_types for d in run.data] == [
        ["EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL", "EUR/USD.IDEALPRO-1-MINUTE-ASK-EXTERNAL"],
    ]
    assert run.venues[0].fee_model.fee_model_path == "nautilus_node.backtest.fees:IBFeeModel"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("\n[backtest]\n", "\n[backtest]\nspeed = 3\n", "backtest.speed: unknown key"),
        ('account_type = "margin"', 'account_type = "futures"', "backtest.venues[0].account_type"),
        ('end = "2014-05-16"', 'end = "2014-04-01"', "backtest.end: '2014-04-01' is not after start"),
        ('end = "2014-05-16"', 'end = "tomorrow"', "backtest.end: expected an ISO date"),
        ('"EUR/USD.IDEALPRO-1-MINUTE-ASK-EXTERNAL"]', '"EURUSD-1-MINUTE"]', "backtest.data[0].bar_types[1]"),
        ('trade_size = "100000"', 'trade_size = "lots"', "strategies[0].config"),
        (
            'path = "strategies.ema_cross:EMACrossStrategy"',
            'path = "strategies.nope:X"',
            "strategies[0].path: module 'strategies.nope' not found",
        ),
    ],
)
def test_bad_config_is_a_one_line_error_naming_the_key(backtest_config, old: str, new: str, message: str) -> None:
    path = backtest_config(old, new)
    with pytest.raises(ConfigError) as error:
        build_run_config(load_backtest_file(path), str(path), progress=False)
    assert str(path) in str(error.value)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_catalog_is_named(backtest_config, tmp_path: Path) -> None:
    path = backtest_config(f'catalog = "{REPO / "catalog"}"', f'catalog = "{tmp_path / "nowhere"}"')
    with pytest.raises(ConfigError, match=r"backtest\.catalog: no catalog directory"):
        build_run_config(load_backtest_file(path), str(path))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nautilus_node", "backtest", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def test_cli_rejects_an_unknown_strategy_with_one_line_and_exit_2() -> None:
    result = run_cli("--strategy", "nonesuch")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: configs/paper.toml: --strategy 'nonesuch' matches no [[strategies]] entry "
        "(have: ema_cross, quote_reversion)",
    ]


def test_cli_names_a_missing_config_file() -> None:
    result = run_cli("configs/missing.toml")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: configs/missing.toml: config file not found"
    assert "Traceback" not in result.stderr
