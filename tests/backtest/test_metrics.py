"""The headline figures come from the account's whole balance record: checked against hand-worked cases and, for
real two-day and two-week backtests, against the formulas written out again here (quantstats' definitions) over
the `equity.csv` the run wrote; the tearsheet's monthly return is the account's."""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from nautilus_node.backtest.metrics import MIN_RELIABLE_DAILY_RETURNS, performance
from nautilus_node.cli import main
from nautilus_node.nautilus_internals import ANALYZER_DAILY_RETURNS

from .conftest import CATALOG, SHIPPED_CONFIG

UTC = "UTC"


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


def test_the_first_day_counts_from_the_starting_balance_and_a_weekend_counts_on_monday() -> None:
    balances = pd.Series(
        [101.0, 99.0, 100.0, 102.0],
        index=[_ts("2014-05-01 10:00"), _ts("2014-05-02 15:00"), _ts("2014-05-03 12:00"), _ts("2014-05-05 09:00")],
    )
    figures = performance(balances, 100.0, _ts("2014-05-01"), _ts("2014-05-06 23:00"))
    # Thu 100 -> 101, Fri -> 99, Mon (Sat's 100, then 102) -> 102, Tue unchanged
    assert list(figures.daily_returns.index.day) == [1, 2, 5, 6]
    np.testing.assert_allclose(figures.daily_returns.to_numpy(), [0.01, 99 / 101 - 1, 102 / 99 - 1, 0.0])
    assert figures.total_return == pytest.approx(0.02)
    assert figures.profit_factor == pytest.approx((1 + 3) / 2)  # gains 1 and 3 over the one loss of 2
    assert figures.max_drawdown == pytest.approx(99 / 101 - 1)
    assert figures.cagr == pytest.approx(1.02 ** (365.25 / 6) - 1)
    assert not figures.reliable


def test_a_loss_on_the_only_day_is_a_loss_in_every_figure() -> None:
    balances = pd.Series([99_000.0], index=[_ts("2014-05-01 12:00")])
    figures = performance(balances, 100_000.0, _ts("2014-05-01"), _ts("2014-05-01 23:00"))
    assert figures.daily_returns.tolist() == pytest.approx([-0.01])
    assert figures.sharpe_ratio is None  # one return has no spread
    assert figures.sortino_ratio == pytest.approx(-math.sqrt(252))
    assert figures.profit_factor == 0.0
    assert figures.max_drawdown == pytest.approx(-0.01)


def test_a_period_with_no_account_event_is_flat() -> None:
    figures = performance(pd.Series(dtype=float), 100.0, _ts("2014-05-05"), _ts("2014-05-09"))
    assert figures.daily_returns.tolist() == [0.0] * 5
    assert (figures.total_return, figures.max_drawdown, figures.sharpe_ratio, figures.profit_factor) == (
        0.0,
        0.0,
        None,
        None,
    )


def _independent(equity: pd.DataFrame, starting: float, start: str, end: str) -> dict[str, float]:
    """quantstats' formulas, on calendar-day closes of the balance kept on weekdays and the last day."""
    balance = equity["balance"].astype(float)
    balance.index = pd.to_datetime(balance.index, utc=True)
    days = pd.date_range(_ts(start).normalize(), _ts(end).normalize(), freq="D")
    closes = balance.groupby(balance.index.normalize()).last().reindex(days).ffill().fillna(starting)
    kept = closes[(closes.index.dayofweek < 5) | (closes.index == days[-1])]
    returns = pd.concat([pd.Series([starting]), kept.reset_index(drop=True)]).pct_change().dropna()
    pnl = pd.concat([pd.Series([starting]), kept.reset_index(drop=True)]).diff().dropna()
    downside = np.sqrt((returns[returns < 0] ** 2).sum() / len(returns))
    record = pd.concat([pd.Series([starting]), balance.reset_index(drop=True)])
    years = ((days[-1] - days[0]).days + 1) / 365.25
    return {
        "daily_returns": len(returns),
        "total_return": kept.iloc[-1] / starting - 1,
        "sharpe_ratio": returns.mean() / returns.std() * np.sqrt(252),
        "sortino_ratio": returns.mean() / downside * np.sqrt(252),
        "profit_factor": pnl[pnl > 0].sum() / -pnl[pnl < 0].sum(),
        "max_drawdown": (record / record.cummax() - 1).min(),
        "cagr": (kept.iloc[-1] / starting) ** (1 / years) - 1,
    }


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("metrics")
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    text = text.replace('catalog = "catalog"', f'catalog = "{CATALOG}"')
    text = text.replace('results = "results"', f'results = "{folder / "results"}"')
    path = folder / "backtest.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _monthly_heatmap(tearsheet: Path) -> dict[str, float]:
    """The monthly return cells (%) of the tearsheet's heatmap, by "YYYY-Mon" (plotly stores them as float64)."""
    html = tearsheet.read_text(encoding="utf-8")
    match = re.search(r'"x":\[([^\]]*)\],"y":\[([^\]]*)\],"z":\{"dtype":"f8","bdata":"([^"]+)"[^}]*\},"zmid"', html)
    assert match, "no monthly returns heatmap in the tearsheet"
    months, years = json.loads(f"[{match[1]}]"), json.loads(f"[{match[2]}]")
    cells = base64.b64decode(match[3])
    values = struct.unpack(f"<{len(cells) // 8}d", cells)
    assert len(years) == 1, "one year expected"
    return {f"{years[0]}-{month}": value for month, value in zip(months, values, strict=True)}


@pytest.mark.parametrize(
    ("start", "end", "days"), [("2014-05-01", "2014-05-03", 2), ("2014-05-01", "2014-05-16", 12)], ids=["2d", "2w"]
)
def test_a_backtests_figures_equal_the_independent_computation_and_agree_in_sign(
    config: Path, start: str, end: str, days: int
) -> None:
    result = CliRunner().invoke(
        main, ["backtest", str(config), "--strategy", "ema_cross", "--no-progress", "--start", start, "--end", end]
    )
    assert result.exit_code == 0, result.output
    directory = Path(re.search(r"^results\s+(\S+)$", result.output, re.M)[1])
    stats = json.loads((directory / "statistics.json").read_text(encoding="utf-8"))
    equity = pd.read_csv(directory / "equity.csv", index_col="timestamp")
    expected = _independent(equity, stats["starting_balance"], stats["period"]["start"], stats["period"]["end"])
    assert stats["daily_returns"] == expected["daily_returns"] == days
    for name in ("total_return", "sharpe_ratio", "sortino_ratio", "profit_factor", "max_drawdown", "cagr"):
        assert stats[name] == pytest.approx(expected[name], rel=1e-9, abs=1e-12), name
    sign = math.copysign(1, stats["total_return"])
    assert stats["total_return"] != 0
    assert math.copysign(1, stats["sharpe_ratio"]) == math.copysign(1, stats["sortino_ratio"]) == sign
    assert (stats["profit_factor"] > 1) == (sign > 0)
    assert stats["reliable"] is (days >= MIN_RELIABLE_DAILY_RETURNS) is False
    assert f"(unreliable: {days} daily returns, fewer than {MIN_RELIABLE_DAILY_RETURNS})" in result.output
    assert _monthly_heatmap(directory / "tearsheet.html") == {
        "2014-May": pytest.approx(stats["total_return"] * 100, rel=1e-9)
    }


def test_nautilus_trader_still_drops_the_first_day(config: Path) -> None:
    """While NautilusTrader's analyzer loses day 1, backtest/metrics.py is needed; when this fails, it is not."""
    from nautilus_node.backtest.config import load_backtest_file
    from nautilus_node.backtest.runner import build_run_config, run_backtest

    settings = load_backtest_file(config)
    run_config = build_run_config(
        settings, str(config), strategy="ema_cross", start="2014-05-01", end="2014-05-03", progress=False
    )
    run = run_backtest(run_config)
    try:
        returns = run.engine.portfolio.analyzer.portfolio_returns()
    finally:
        run.node.dispose()
    assert list(returns.index.day) == [2], f"fixed upstream? {ANALYZER_DAILY_RETURNS}"
