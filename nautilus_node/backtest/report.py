"""Results of a finished backtest: statistics JSON, NautilusTrader's reports as CSV, equity/drawdown charts,
the tearsheet where its dependencies are installed, and a summary table for the terminal.

Layout of `results/<run-id>/`: `statistics.json`, `orders.csv`, `fills.csv`, `positions.csv`,
`equity.csv` (the series the charts plot), `account-balance.png`, `balance-drawdown.png` and NautilusTrader's
interactive `tearsheet.html`. A run without fills draws no chart (there is nothing to plot).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.objects import Money

from nautilus_node.backtest.metrics import MIN_RELIABLE_DAILY_RETURNS, Performance, performance
from nautilus_node.backtest.order_outcomes import order_reasons
from nautilus_node.backtest.runner import BacktestRun
from nautilus_node.nautilus_internals import use_analyzer_returns

CHART_SIZE_INCHES = (10, 4)
CHART_DPI = 100
CHART_MARGINS = {"left": 0.09, "right": 0.98, "top": 0.88, "bottom": 0.2}
_UNRELIABLE = f"  (unreliable: {{days}} daily returns, fewer than {MIN_RELIABLE_DAILY_RETURNS})"


def equity_series(run: BacktestRun) -> pd.DataFrame:
    """Account balance (total) after every account event, per currency, with its drawdown from the peak."""
    frames = []
    for venue in run.config.venues:
        report = run.engine.trader.generate_account_report(Venue(venue.name))
        if report.empty:
            continue
        frame = pd.DataFrame(
            {"venue": venue.name, "currency": report["currency"], "balance": report["total"].astype(float)},
        )
        frames.append(frame)
    equity = pd.concat(frames) if frames else pd.DataFrame(columns=["venue", "currency", "balance"])
    equity.index.name = "timestamp"
    peaks = equity.groupby(["venue", "currency"])["balance"].cummax()
    equity["drawdown"] = equity["balance"] / peaks - 1.0
    return equity


def account_performance(run: BacktestRun, equity: pd.DataFrame) -> Performance:
    """The figures of `metrics` for the first venue's account in its starting currency over the run's period."""
    venue = run.config.venues[0]
    starting = Money.from_str(venue.starting_balances[0])
    curve = equity[(equity["venue"] == venue.name) & (equity["currency"] == starting.currency.code)]
    return performance(
        curve["balance"],
        float(starting.as_decimal()),
        pd.Timestamp(run.result.backtest_start, unit="ns", tz="UTC"),
        pd.Timestamp(run.result.backtest_end, unit="ns", tz="UTC"),
    )


def statistics(run: BacktestRun, equity: pd.DataFrame, fills: int, trades: int) -> dict[str, Any]:
    """The headline figures (`metrics`, from the account's whole balance record), with NautilusTrader's PnL
    statistics alongside."""
    venue = run.config.venues[0]
    starting = Money.from_str(venue.starting_balances[0])
    account = run.engine.portfolio.account(Venue(venue.name))
    final = account.balance_total(starting.currency)
    commissions = {str(c): float(m.as_decimal()) for c, m in account.commissions().items()}
    pnls = run.result.stats_pnls.get(starting.currency.code, {})
    figures = account_performance(run, equity).as_dict()
    return {
        "run_id": run.result.run_id,
        "period": {
            "start": pd.Timestamp(run.result.backtest_start, unit="ns", tz="UTC").isoformat(),
            "end": pd.Timestamp(run.result.backtest_end, unit="ns", tz="UTC").isoformat(),
        },
        "currency": starting.currency.code,
        "starting_balance": float(starting.as_decimal()),
        "final_balance": float(final.as_decimal()),
        **figures,
        "total_return": float(final.as_decimal() / starting.as_decimal() - 1),  # exact, where floats round
        "win_rate": _number(pnls.get("Win Rate")),
        "trades": trades,
        "orders": run.result.total_orders,
        "fills": fills,
        "commissions": commissions,
        "events": run.result.iterations,
        "wall_seconds": (run.result.run_finished - run.result.run_started) / 1e9,
        "nautilus": {
            "pnls": {k: {n: _number(v) for n, v in d.items()} for k, d in run.result.stats_pnls.items()},
        },
    }


def write_results(run: BacktestRun, directory: Path) -> dict[str, Any]:
    """Write every result file into `directory` (created) and return the statistics."""
    directory.mkdir(parents=True, exist_ok=True)
    trader = run.engine.trader
    orders = trader.generate_orders_report()
    if not orders.empty:
        orders["reason"] = orders.index.map(order_reasons(run.engine.cache.orders()))
    orders.to_csv(directory / "orders.csv")
    fills = trader.generate_fills_report()
    fills.to_csv(directory / "fills.csv")
    positions = trader.generate_positions_report()
    positions.to_csv(directory / "positions.csv")
    closed = int(positions["ts_closed"].notna().sum()) if "ts_closed" in positions else 0
    equity = equity_series(run)
    equity.to_csv(directory / "equity.csv")
    stats = statistics(run, equity, fills=len(fills), trades=closed)
    if len(fills):
        _chart(equity, "balance", "Account balance", directory / "account-balance.png")
        _chart(
            equity, "drawdown", "Account balance: drawdown from peak", directory / "balance-drawdown.png", percent=True
        )
        stats["tearsheet"] = _tearsheet(run, account_performance(run, equity), directory / "tearsheet.html")
    else:
        stats["tearsheet"] = "skipped: no fills"
    (directory / "statistics.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return stats


def summary_table(stats: dict[str, Any], directory: Path) -> str:
    """A small aligned table of the headline figures for the terminal."""
    currency = stats["currency"]
    commissions = ", ".join(f"{v:,.2f} {k}" for k, v in stats["commissions"].items()) or "0"
    rows = [
        ("period", f"{stats['period']['start'][:16]} .. {stats['period']['end'][:16]}"),
        ("starting balance", f"{stats['starting_balance']:,.2f} {currency}"),
        ("final balance", f"{stats['final_balance']:,.2f} {currency}"),
        ("total return", f"{stats['total_return']:+.4%}"),
        ("CAGR", "n/a" if stats["cagr"] is None else f"{stats['cagr']:+.2%}"),
        (
            "sharpe / sortino / PF",
            f"{_fmt(stats['sharpe_ratio'])} / {_fmt(stats['sortino_ratio'])} / {_fmt(stats['profit_factor'])}"
            f"{'' if stats['reliable'] else _UNRELIABLE.format(days=stats['daily_returns'])}",
        ),
        ("max drawdown", f"{stats['max_drawdown']:.4%}"),
        ("win rate", "n/a" if stats["win_rate"] is None else f"{stats['win_rate']:.2%}"),
        ("trades / orders / fills", f"{stats['trades']} / {stats['orders']} / {stats['fills']}"),
        ("commissions", commissions),
        ("data points, wall time", f"{stats['events']:,} in {stats['wall_seconds']:.2f} s"),
        ("results", str(directory)),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _chart(equity: pd.DataFrame, column: str, title: str, path: Path, percent: bool = False) -> None:
    fig = Figure(figsize=CHART_SIZE_INCHES, dpi=CHART_DPI)
    ax = fig.subplots()
    for (venue, currency), group in equity.groupby(["venue", "currency"]):
        values = group[column] * (100.0 if percent else 1.0)
        ax.step(group.index, values, where="post", label=f"{venue} {currency}", linewidth=1.2)
        if percent:
            ax.fill_between(group.index, values, 0, step="post", alpha=0.3)
    ax.set_title(title)
    ax.set_ylabel("%" if percent else "balance")
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False, ncols=4)  # above the plot, clear of data
    fig.autofmt_xdate()
    fig.subplots_adjust(**CHART_MARGINS)  # fixed margins: tight_layout costs ~0.1 s a chart
    fig.savefig(path)


def _tearsheet(run: BacktestRun, figures: Performance, path: Path) -> str:
    """NautilusTrader's interactive HTML tearsheet (plotly), its series and return statistics on our daily
    returns."""
    from nautilus_trader.analysis.tearsheet import create_tearsheet

    use_analyzer_returns(run.engine.portfolio.analyzer, figures.daily_returns)
    create_tearsheet(run.engine, output_path=str(path))
    return path.name


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
