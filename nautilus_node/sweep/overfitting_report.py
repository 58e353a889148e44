"""The overfitting lines of a sweep's report, and `overfitting.json` beside its tables.

Beside the best trial: its deflated Sharpe ratio among the trials of the sweep (in a walk-forward, among the
last fold's in-sample trials, the choice a walk-forward would trade next). For a walk-forward, the probability of
backtest overfitting by CSCV over every parameter set's daily returns in the in-sample windows (each business
day once: from the first fold that covers it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from nautilus_node.sweep.overfitting import deflate_best, probability_of_overfitting
from nautilus_node.sweep.trial import TrialResult

OVERFITTING_FILE = "overfitting.json"


def overfitting_lines(results: list[TrialResult], metric: str, walk_forward: bool, directory: Path) -> list[str]:
    """The report's lines (one per measure), written to `directory/overfitting.json` too."""
    facts: dict[str, Any] = {}
    lines = []
    pool = _last_fold_in_sample(results) if walk_forward else [r for r in results if r.sample == "all"]
    pool = [r for r in pool if r.ok and r.daily_returns]
    best = max(pool, key=lambda r: _score(r, metric), default=None)
    deflated = deflate_best({r.key: list(r.daily_returns.values()) for r in pool}, best.key) if best else None
    if deflated is None:
        lines.append("deflated Sharpe ratio: n/a (needs trials with at least three daily returns that vary)")
    else:
        facts["deflated_sharpe"] = {"trial_key": best.key, "params": best.params, **deflated.__dict__}
        lines.append(deflated.reading())
    if walk_forward:
        overfitting = probability_of_overfitting(_in_sample_matrix(results))
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


def _last_fold_in_sample(results: list[TrialResult]) -> list[TrialResult]:
    inside = [r for r in results if r.sample == "in" and r.fold is not None]
    last = max((r.fold for r in inside), default=None)
    return [r for r in inside if r.fold == last]


def _in_sample_matrix(results: list[TrialResult]) -> np.ndarray:
    """Business days x parameter sets of in-sample daily returns, on the days every set has."""
    series: dict[str, dict[str, float]] = {}
    for result in sorted((r for r in results if r.sample == "in" and r.ok), key=lambda r: r.fold or 0):
        days = series.setdefault(json.dumps(result.params, sort_keys=True), {})
        for day, value in result.daily_returns.items():
            days.setdefault(day, value)
    if len(series) < 2:
        return np.empty((0, len(series)))
    common = sorted(set.intersection(*(set(days) for days in series.values())))
    return np.array([[days[day] for days in series.values()] for day in common])
