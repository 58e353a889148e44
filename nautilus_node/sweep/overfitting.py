"""How much of a sweep's best result is luck: the deflated Sharpe ratio and the probability of backtest overfitting.

Deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014): the probability that the best
trial's true Sharpe ratio is above the one the luckiest of N unskilled trials would show, given the variance of
the trials' Sharpe ratios and the skew and kurtosis of the best trial's returns:

    SR0 = sqrt(V[SR_n]) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))      (g: Euler-Mascheroni)
    DSR = Z((SR - SR0) * sqrt(T - 1) / sqrt(1 - skew * SR + (kurtosis - 1) / 4 * SR^2))

with every Sharpe ratio per period (daily), not annualized, and T the best trial's number of returns.

Probability of backtest overfitting (Bailey, Borwein, López de Prado & Zhu, "The Probability of Backtest
Overfitting", 2015), by combinatorially symmetric cross-validation (CSCV): the T x N matrix of the trials' daily
returns is cut into S blocks of rows; for every choice of S/2 blocks as in-sample, the trial with the best
in-sample Sharpe ratio is ranked among all trials on the other half; PBO is the share of choices in which it
ranks at or below the median (logit of its relative rank <= 0).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

EULER_GAMMA = 0.5772156649015329
MAX_BLOCKS = 16
NORMAL = NormalDist()


def sharpe(returns: Sequence[float]) -> float | None:
    """Mean over standard deviation (sample) of per-period returns; None with fewer than two or no variation."""
    values = np.asarray(returns, dtype=float)
    if len(values) < 2:
        return None
    deviation = values.std(ddof=1)
    return float(values.mean() / deviation) if deviation > 0 else None


def expected_max_sharpe(trials: int, variance: float) -> float:
    """SR0: the Sharpe ratio the best of `trials` unskilled trials shows, from the trials' Sharpe variance."""
    if trials < 2:
        return 0.0
    tail = (1 - EULER_GAMMA) * NORMAL.inv_cdf(1 - 1 / trials) + EULER_GAMMA * NORMAL.inv_cdf(1 - 1 / (trials * math.e))
    return math.sqrt(variance) * tail


def deflated_sharpe(sr: float, observations: int, skew: float, kurtosis: float, trials: int, variance: float) -> float:
    """DSR for a per-period Sharpe ratio `sr` over `observations` returns (skew, non-excess kurtosis), the best
    of `trials` whose per-period Sharpe ratios have `variance`."""
    threshold = expected_max_sharpe(trials, variance)
    spread = 1 - skew * sr + (kurtosis - 1) / 4 * sr**2
    return NORMAL.cdf((sr - threshold) * math.sqrt(observations - 1) / math.sqrt(max(spread, 1e-12)))


def moments(returns: Sequence[float]) -> tuple[float, float]:
    """Skewness and (non-excess) kurtosis of `returns`, population moments as the paper uses them."""
    values = np.asarray(returns, dtype=float)
    centred = values - values.mean()
    deviation = math.sqrt(float((centred**2).mean()))
    if deviation == 0:
        return 0.0, 3.0
    return float((centred**3).mean() / deviation**3), float((centred**4).mean() / deviation**4)


@dataclass(frozen=True)
class DeflatedSharpe:
    """The best trial's deflated Sharpe ratio and what went into it."""

    value: float
    sharpe: float  # per period
    threshold: float  # SR0, per period
    trials: int
    observations: int

    def reading(self) -> str:
        """One line a person reads beside the best trial."""
        facts = (
            f"deflated Sharpe ratio {self.value:.2f} (daily Sharpe {self.sharpe:.3f} against {self.threshold:.3f} "
            f"expected from the luckiest of {self.trials} trials, {self.observations} daily returns): "
        )
        if self.value >= 0.95:
            return facts + "the edge very likely survives the number of trials tried"
        if self.value >= 0.5:
            return facts + "not distinguishable at 95 % from the best of as many lucky tries"
        return facts + "more likely the luck of picking the best of many than a real edge"


def deflate_best(returns: dict[str, Sequence[float]], best: str) -> DeflatedSharpe | None:
    """DSR of trial `best` among the trials `returns` (trial key → daily returns); None without enough data."""
    ratios = {key: r for key, values in returns.items() if (r := sharpe(values)) is not None}
    if best not in ratios or len(returns[best]) < 3:
        return None
    variance = float(np.var(list(ratios.values()), ddof=1)) if len(ratios) > 1 else 0.0
    skew, kurtosis = moments(returns[best])
    observations = len(returns[best])
    value = deflated_sharpe(ratios[best], observations, skew, kurtosis, len(returns), variance)
    return DeflatedSharpe(value, ratios[best], expected_max_sharpe(len(returns), variance), len(returns), observations)


@dataclass(frozen=True)
class Overfitting:
    """The probability of backtest overfitting and how it was measured."""

    pbo: float
    blocks: int
    splits: int
    trials: int
    observations: int

    def reading(self) -> str:
        """One line a person reads beside the walk-forward's summary."""
        facts = (
            f"probability of backtest overfitting {self.pbo:.0%} (CSCV: {self.trials} parameter sets, "
            f"{self.observations} daily returns in {self.blocks} blocks, {self.splits} splits): "
        )
        if self.pbo < 0.2:
            return facts + "the in-sample best usually stays above the median out of sample"
        if self.pbo < 0.5:
            return facts + "the in-sample best often falls below the median out of sample"
        return facts + "the in-sample best is more likely than not below the median out of sample: overfitted"


def probability_of_overfitting(matrix: np.ndarray, blocks: int | None = None) -> Overfitting | None:
    """PBO by CSCV of a T x N matrix of returns (rows: periods, columns: trials); None when it is too small.

    `blocks` (even) defaults to the most that leave at least two rows a block, at most `MAX_BLOCKS`."""
    rows, trials = matrix.shape
    if trials < 2:
        return None
    blocks = blocks or min(MAX_BLOCKS, (rows // 2) // 2 * 2)
    if blocks < 2 or rows // blocks < 2:
        return None
    size = rows // blocks
    parts = [matrix[i * size : (i + 1) * size] for i in range(blocks)]
    logits = []
    for chosen in itertools.combinations(range(blocks), blocks // 2):
        inside = np.vstack([parts[i] for i in chosen])
        outside = np.vstack([parts[i] for i in range(blocks) if i not in chosen])
        best = int(np.argmax(_sharpes(inside)))
        scores = _sharpes(outside)
        rank = float((scores < scores[best]).sum() + ((scores == scores[best]).sum() + 1) / 2)
        relative = rank / (trials + 1)
        logits.append(math.log(relative / (1 - relative)))
    pbo = sum(value <= 0 for value in logits) / len(logits)
    return Overfitting(pbo, blocks, len(logits), trials, size * blocks)


def _sharpes(block: np.ndarray) -> np.ndarray:
    """Per-column Sharpe ratios; a column without variation scores by the sign of its mean (± a large number)."""
    mean = block.mean(axis=0)
    deviation = block.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(deviation > 0, mean / np.where(deviation > 0, deviation, 1), np.sign(mean) * 1e9)
    return ratios
