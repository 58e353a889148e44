"""Both example strategies trade over the real EUR/USD data, and the results folder holds real charts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from nautilus_node.backtest.command import backtest_command
from nautilus_node.backtest.report import CHART_DPI, CHART_SIZE_INCHES

EXPECTED_FILES = {
    "statistics.json",
    "orders.csv",
    "fills.csv",
    "positions.csv",
    "equity.csv",
    "account-balance.png",
    "balance-drawdown.png",
    "tearsheet.html",
}


@pytest.mark.parametrize(
    ("strategy", "start", "end"),
    [("ema_cross", None, None), ("quote_reversion", "2014-05-05", "2014-05-07")],
)
def test_example_strategy_trades_over_the_real_eurusd_data(backtest_config, strategy, start, end) -> None:
    outcome = backtest_command(backtest_config(), strategy=strategy, start=start, end=end, progress=False)
    stats = json.loads((outcome.directory / "statistics.json").read_text())
    fills = pd.read_csv(outcome.directory / "fills.csv")
    positions = pd.read_csv(outcome.directory / "positions.csv")

    assert {p.name for p in outcome.directory.iterdir()} >= EXPECTED_FILES
    assert set(fills["strategy_id"]) == {stats_strategy_id(strategy)}
    assert stats["fills"] == len(fills) >= 10
    assert stats["trades"] == positions["ts_closed"].notna().sum() >= 5
    assert stats["commissions"]["USD"] == pytest.approx(
        fills["commission"].str.removesuffix(" USD").astype(float).sum()
    )
    assert stats["final_balance"] == pytest.approx(stats["starting_balance"] * (1 + stats["total_return"]))
    for key in ("sharpe_ratio", "sortino_ratio", "max_drawdown", "win_rate"):
        assert key in stats
    assert "final balance" in outcome.summary and str(outcome.directory) in outcome.summary


def stats_strategy_id(strategy: str) -> str:
    return {"ema_cross": "EMACrossStrategy-000", "quote_reversion": "QuoteReversionStrategy-000"}[strategy]


def test_charts_plot_the_account_balances(backtest_config) -> None:
    outcome = backtest_command(backtest_config(), strategy="ema_cross", progress=False)
    equity = pd.read_csv(outcome.directory / "equity.csv", index_col="timestamp")
    stats = outcome.statistics

    # The plotted series is the account's balance history: it starts at the starting balance, ends at the
    # final balance, and moves by each fill's realized PnL and commission in between.
    assert equity["balance"].iloc[0] == stats["starting_balance"]
    assert equity["balance"].iloc[-1] == stats["final_balance"]
    assert equity["balance"].nunique() > 10
    assert equity["drawdown"].min() == pytest.approx(stats["max_drawdown"])
    assert (equity["drawdown"] <= 0).all()

    for name in ("account-balance.png", "balance-drawdown.png"):
        image = imread(outcome.directory / name)
        height, width = image.shape[:2]
        assert (width, height) == (CHART_SIZE_INCHES[0] * CHART_DPI, CHART_SIZE_INCHES[1] * CHART_DPI)
        rgb = image[..., :3]
        coloured = np.abs(rgb - rgb.mean(axis=2, keepdims=True)).max(axis=2) > 0.1  # the plotted line/fill
        assert coloured.mean() > 0.002, f"{name} has no plotted series"
        # The line spans the plot horizontally: coloured pixels in most columns of the axes area.
        columns = coloured.any(axis=0)
        assert columns.sum() > 0.6 * width, f"{name}: the series does not span the time axis"


def test_the_tearsheet_is_nautilus_traders_interactive_html(backtest_config) -> None:
    outcome = backtest_command(backtest_config(), strategy="ema_cross", start="2014-05-05", end="2014-05-07")
    html = (outcome.directory / "tearsheet.html").read_text()
    assert outcome.statistics["tearsheet"] == "tearsheet.html"
    assert "plotly" in html.lower() and "Equity" in html


def test_a_run_without_fills_draws_no_chart(backtest_config) -> None:
    config = backtest_config("min_gap_bps = 0.5", "min_gap_bps = 100000.0")
    outcome = backtest_command(
        config, strategy="ema_cross", start="2014-05-05", end="2014-05-06", progress=False, allow_empty=True
    )
    assert not list(outcome.directory.glob("*.png")) and not (outcome.directory / "tearsheet.html").exists()
    assert outcome.statistics["tearsheet"] == "skipped: no fills"
