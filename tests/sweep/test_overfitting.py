"""The deflated Sharpe ratio and the probability of backtest overfitting: the papers' own numbers and cases
checked by hand, then both lines in a real sweep's report."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nautilus_node.sweep.command import SweepRequest, sweep_command
from nautilus_node.sweep.overfitting import (
    DeflatedSharpe,
    Overfitting,
    deflate_best,
    deflated_sharpe,
    expected_max_sharpe,
    probability_of_overfitting,
)


def test_the_deflated_sharpe_ratio_of_the_papers_numerical_example() -> None:
    # Bailey & López de Prado (2014), section 4: annualized SR 2.5 found after N = 100 trials whose annualized
    # Sharpe ratios vary by 0.5, T = 1250 daily returns, skewness -3, kurtosis 10: SR0 ≈ 0.1132, DSR ≈ 0.9004.
    daily_sr, daily_variance = 2.5 / math.sqrt(250), 0.5 / 250
    assert expected_max_sharpe(100, daily_variance) == pytest.approx(0.1132, abs=5e-5)
    assert deflated_sharpe(daily_sr, 1250, -3.0, 10.0, 100, daily_variance) == pytest.approx(0.9004, abs=1e-4)


def test_with_one_trial_it_is_the_probabilistic_sharpe_ratio() -> None:
    # SR0 = 0; normal returns (skew 0, kurtosis 3): Z(0.1 * sqrt(100) / sqrt(1 + 0.5 * 0.01)) = Z(0.99751) = 0.8407
    assert deflated_sharpe(0.1, 101, 0.0, 3.0, 1, 0.0) == pytest.approx(0.8407, abs=1e-4)


def test_more_trials_deflate_the_same_sharpe_ratio_more() -> None:
    values = [deflated_sharpe(0.15, 250, 0.0, 3.0, n, 0.002) for n in (2, 10, 100, 1000)]
    assert values == sorted(values, reverse=True) and values[0] > 0.9 > values[-1]


def test_deflate_best_reads_the_trials_daily_returns() -> None:
    rng = np.random.default_rng(3)
    returns = {f"t{i}": rng.normal(0.0005, 0.01, 60).tolist() for i in range(20)}
    best = max(returns, key=lambda k: np.mean(returns[k]) / np.std(returns[k], ddof=1))
    result = deflate_best(returns, best)
    assert isinstance(result, DeflatedSharpe) and (result.trials, result.observations) == (20, 60)
    assert result.sharpe > result.threshold > 0  # the best of 20 beats the expected maximum only by luck here
    assert (result.value < 0.95 and "not distinguishable" in result.reading()) or "luck" in result.reading()


def test_an_in_sample_best_that_is_always_the_out_of_sample_worst_is_overfitted_for_sure() -> None:
    # Two trials, two blocks: a wins the first block and loses the second, b the other way round.
    matrix = np.array([[1.0, -1.0], [1.2, -1.2], [-1.0, 1.0], [-1.2, 1.2]])
    assert probability_of_overfitting(matrix) == Overfitting(1.0, blocks=2, splits=2, trials=2, observations=4)


def test_a_trial_best_everywhere_is_not_overfitted() -> None:
    matrix = np.array([[1.0, -1.0], [1.2, -1.1], [0.9, -1.0], [1.3, -1.2]])
    assert probability_of_overfitting(matrix).pbo == 0.0


def test_pure_noise_is_overfitted_about_half_the_time() -> None:
    result = probability_of_overfitting(np.random.default_rng(1).normal(0, 0.01, (200, 50)))
    assert (result.blocks, result.splits) == (16, 12870)  # C(16, 8)
    assert 0.35 < result.pbo < 0.65
    assert result.reading().endswith("more likely than not below the median out of sample: overfitted")


def test_too_little_data_gives_no_figure() -> None:
    assert probability_of_overfitting(np.zeros((3, 4))) is None
    assert probability_of_overfitting(np.zeros((10, 1))) is None


def test_a_walk_forward_sweep_reports_both_beside_its_best(sweep_config, dask_scheduler) -> None:
    config = sweep_config(**{'end = "2014-05-08"': 'end = "2014-05-13"'})
    request = SweepRequest(
        config=config,
        strategy="ema_cross",
        params=("fast_ema_period=10,20,40",),
        in_sample="4D",
        out_of_sample="1D",
        scheduler=dask_scheduler,
        metric="return",
    )
    printed: list[str] = []
    directory = sweep_command(request, echo=printed.append).directory
    facts = json.loads((directory / "overfitting.json").read_text())
    deflated = next(line for line in printed if line.startswith("deflated Sharpe ratio "))
    overfit = next(line for line in printed if line.startswith("probability of backtest overfitting "))
    assert f"luckiest of {facts['deflated_sharpe']['trials']} trials" in deflated
    assert facts["deflated_sharpe"]["trials"] == 3  # the parameter sets, each over its joined in-sample windows
    # The days `backtest` counts in the joined in-sample windows (each window's weekdays and its last day)
    in_sample_days = {
        day
        for line in (directory / "trials.jsonl").read_text().splitlines()
        if (trial := json.loads(line))["sample"] == "in" and trial["params"] == facts["deflated_sharpe"]["params"]
        for day in trial["daily_returns"]
    }
    assert facts["deflated_sharpe"]["observations"] == len(in_sample_days) >= 5
    pbo = facts["probability_of_overfitting"]
    assert pbo["trials"] == 3 and pbo["blocks"] >= 2 and 0.0 <= pbo["pbo"] <= 1.0
    assert f"{pbo['pbo']:.0%}" in overfit
