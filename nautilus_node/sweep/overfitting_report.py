"""The overfitting lines of a sweep's report, and `overfitting.json` beside its tables.

Beside the best trial: its deflated Sharpe ratio among the sweep's trials. A walk-forward has no single best
trial: there each parameter set's in-sample windows are joined into one history of daily returns (each business
day once, from the first fold that covers it), the deflated Sharpe ratio is that of the set with the best Sharpe
ratio over its history, among all sets, and the probability of backtest overfitting is measured by CSCV over the
same histories.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from nautilus_node.sweep.overfitting import deflate_best, probability_of_overfitting, sharpe
from nautilus_node.sweep.trial import TrialResult

OVERFITTING_FILE = "overfitting.json"


def overfitting_lines(results: list[TrialResult], metric: str, walk_forward: bool, directory: Path) -> list[str]:
    """The report's lines (one per measure), written to `directory/overfitting.json` too."""
    facts: dict[str, Any] = {}
    lines = []
    if walk_forward:
        histories = _in_sample_histories(results)
        returns = {key: list(days.values()) for key, days in histories.items()}
        ratios = {key: r for key, values in returns.items() if (r := sharpe(values)) is not None}
        best_key = max(ratios, key=ratios.__getitem__, default=None)
        chosen = json.loads(best_key) if best_key is not None else None
    else:
        pool = [r for r in results if r.sample == "all" and r.ok and r.daily_returns]
        best = max(pool, key=lambda r: _score(r, metric), default=None)
        returns = {r.key: list(r.daily_returns.values()) for r in pool}
        best_key, chosen = (best.key, best.params) if best is not None else (None, None)
    deflated = deflate_best(returns, best_key) if best_key is not None else None
    if deflated is None:
        lines.append("deflated Sharpe ratio: n/a (needs trials with at least three daily returns that vary)")
    else:
        facts["deflated_sharpe"] = {"params": chosen, **deflated.__dict__}
        lines.append(deflated.reading())
    if walk_forward:
        overfitting = probability_of_overfitting(_aligned(histories))
        if overfitting is None:
            lines.append("probability of backtest overfitting: n/a (needs two parameter sets and four daily returns)")
        else:
            facts["probability_of_overfitting"] = overfitting.__dict__
            lines.append(overfitting.reading())
    (directory / OVERFITTING_FILE).write_text(json.dumps(facts, indent=2, default=str) + "\n", encoding="utf-8")
    return lines


def _score(result: TrialResult, metric: str) -> float:
    score = result.score(metric)
    return float("-inf") if score is None else score


def _in_sample_histories(results: list[TrialResult]) -> dict[str, dict[str, float]]:
    """Parameter set (as JSON) → its in-sample daily returns by business day, each day once (the first fold's)."""
    histories: dict[str, dict[str, float]] = {}
    for result in sorted((r for r in results if r.sample == "in" and r.ok), key=lambda r: r.fold or 0):
        days = histories.setdefault(json.dumps(result.params, sort_keys=True), {})
        for day, value in result.daily_returns.items():
            days.setdefault(day, value)
    return histories


def _aligned(histories: dict[str, dict[str, float]]) -> np.ndarray:
    """Business days x parameter sets, on the days every set has."""
    if len(histories) < 2:
        return np.empty((0, len(histories)))
    common = sorted(set.intersection(*(set(days) for days in histories.values())))
    return np.array([[days[day] for days in histories.values()] for day in common])
