"""The best trials of a sweep: a table for the terminal, and on request each one's full backtest report (the
`backtest` command's own results folder), re-run here from the trial's run config."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from nautilus_trader.backtest.config import BacktestRunConfig

from nautilus_node.backtest.metrics import MIN_RELIABLE_DAILY_RETURNS
from nautilus_node.sweep.trial import TrialResult, TrialSpec

SHOWN = [
    "total_return",
    "sharpe_ratio",
    "sortino_ratio",
    "max_drawdown",
    "profit_factor",
    "daily_returns",
    "trades",
    "wall_seconds",
]


def best_table(table: pd.DataFrame, params: list[str], metric: str, top: int) -> str:
    """The `top` trials by score, best first, with their parameters and headline metrics."""
    scored = table[table["score"].notna()].copy()
    if scored.empty:
        return f"no trial has a {metric} score"
    scored["score"] = scored["score"].astype(float)
    best = scored.sort_values("score", ascending=False, kind="stable").head(top)
    columns = ["trial", *[f"param_{p}" for p in params], "score", *SHOWN]
    shown = best[columns].rename(columns=lambda c: c.removeprefix("param_")).rename(columns={"score": metric})
    text = f"best {len(best)} of {len(scored)} by {metric}:\n" + shown.to_string(
        index=False, float_format="{:.4g}".format
    )
    return text + unreliable_note(table)


def unreliable_note(table: pd.DataFrame) -> str:
    """A line saying how many trials' ratios rest on too few daily returns to trust (nothing when none do)."""
    if "reliable" not in table:
        return ""
    unreliable = int((table["reliable"] == False).sum())  # noqa: E712  # None (failed) is neither
    if not unreliable:
        return ""
    return (
        f"\nunreliable: {unreliable} of {len(table)} trials have fewer than {MIN_RELIABLE_DAILY_RETURNS} daily "
        "returns (daily_returns); their sharpe, sortino and profit factor say little"
    )


def write_best_reports(
    results: list[TrialResult], specs: dict[str, TrialSpec], metric: str, count: int, directory: Path
) -> list[str]:
    """Run the `count` best trials again here and write each one's full report under `directory/best/`."""
    from nautilus_node.backtest.report import write_results
    from nautilus_node.backtest.runner import run_backtest

    scored = sorted((r for r in results if r.score(metric) is not None), key=lambda r: -r.score(metric))
    lines = []
    for rank, result in enumerate(scored[:count], start=1):
        run = run_backtest(BacktestRunConfig.parse(specs[result.key].config_json))
        try:
            target = directory / "best" / f"{rank}-{result.key}"
            stats = write_results(run, target)
        finally:
            run.node.dispose()
        params = ", ".join(f"{k}={v}" for k, v in result.params.items())
        lines.append(f"report {rank} ({params}; return {stats['total_return']:+.4%}): {target}")
    return lines
