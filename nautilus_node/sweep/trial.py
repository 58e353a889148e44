"""One trial of a sweep: a `BacktestRunConfig` (as JSON, so it travels to any worker) run through NautilusTrader's
`BacktestNode`, reduced to a small row of metrics. It runs wherever Dask puts it; it never raises, so a failing
trial is a row with its error, not a stopped sweep.
"""

from __future__ import annotations

import gc
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec
from nautilus_trader.backtest.config import BacktestRunConfig

from nautilus_node.sweep.space import Value

DEFAULT_METRIC = "return"  # its sign is the result's, however short the window (a ratio's may not be)
METRICS = {
    "return": "total_return",
    "sharpe": "sharpe_ratio",
    "sortino": "sortino_ratio",
    "drawdown": "max_drawdown",  # a negative fraction: closer to 0 is better, so higher is better for all
    "profit_factor": "profit_factor",
}
METRIC_COLUMNS = [
    "total_return",
    "sharpe_ratio",
    "sortino_ratio",
    "max_drawdown",
    "profit_factor",
    "cagr",
    "daily_returns",
    "reliable",
    "win_rate",
    "final_balance",
    "trades",
    "orders",
    "fills",
    "events",
]


@dataclass(frozen=True)
class TrialSpec:
    """What a worker needs to run one trial, and its key: what identifies it across runs of the same sweep."""

    key: str
    params: dict[str, Value]
    config_json: bytes
    start: str
    end: str
    fold: int | None = None
    sample: str = "all"  # "all"; in a walk-forward: "in" (choosing) or "out" (scoring)


@dataclass(frozen=True)
class TrialResult:
    """A finished trial: its metrics, or the error that stopped it; wall time and the worker that ran it."""

    key: str
    params: dict[str, Value]
    start: str
    end: str
    fold: int | None
    sample: str
    metrics: dict[str, float | int | bool | None]
    error: str | None
    wall_seconds: float
    worker: str
    daily_returns: dict[str, float] = field(default_factory=dict)  # business day → return (overfitting measures)

    @property
    def ok(self) -> bool:
        """True when the backtest ran to the end."""
        return self.error is None

    def score(self, metric: str) -> float | None:
        """The value of `metric` (a `METRICS` name), None when failed or undefined."""
        value = self.metrics.get(METRICS[metric]) if self.ok else None
        return None if value is None else float(value)


def trial_key(config: BacktestRunConfig) -> str:
    """A stable name for a trial: the hash of its whole run config (strategy parameters, period, data, venue),
    leaving out the chunk size, which changes memory use but not results."""
    return hashlib.sha256(msgspec.structs.replace(config, chunk_size=None).json()).hexdigest()[:16]


def failed(spec: TrialSpec, error: str, wall_seconds: float = 0.0, worker: str = "") -> TrialResult:
    """The result of a trial that did not run to the end."""
    return TrialResult(
        spec.key, spec.params, spec.start, spec.end, spec.fold, spec.sample, {}, error, wall_seconds, worker
    )


def run_trial(spec: TrialSpec) -> TrialResult:
    """Run the trial here and return its metrics; every failure becomes the result's error."""
    from nautilus_node.backtest.runner import run_backtest

    started = time.perf_counter()
    worker = _worker_name()
    gc.freeze()  # what lives before the trial (modules, the worker) stays out of the collection after it: 0.1 s
    try:
        run = run_backtest(BacktestRunConfig.parse(spec.config_json))
        try:
            metrics, returns = trial_figures(run)
        finally:
            run.node.dispose()
    except Exception as exc:
        result = failed(spec, f"{type(exc).__name__}: {exc}".splitlines()[0], time.perf_counter() - started, worker)
    else:
        result = TrialResult(
            spec.key,
            spec.params,
            spec.start,
            spec.end,
            spec.fold,
            spec.sample,
            metrics,
            None,
            time.perf_counter() - started,
            worker,
            returns,
        )
    gc.collect()  # NautilusTrader's streaming session (of a failed run too) must be dropped on this thread, not later
    return result


def trial_figures(run: Any) -> tuple[dict[str, float | int | bool | None], dict[str, float]]:
    """The figures a sweep compares, from the statistics our `backtest` reports, and the account's return on each
    trading day of the period (the first from the starting balance), keyed by day: the series the overfitting
    measures use. The balance record is built once for both."""
    from nautilus_node.backtest.report import account_performance, equity_series, statistics

    trader = run.engine.trader
    positions = trader.generate_positions_report()
    closed = int(positions["ts_closed"].notna().sum()) if "ts_closed" in positions else 0
    equity = equity_series(run)
    stats = statistics(run, equity, fills=len(trader.generate_fills_report()), trades=closed)
    returns = account_performance(run, equity).daily_returns
    metrics = {name: stats.get(name) for name in METRIC_COLUMNS}
    return metrics, {f"{day:%Y-%m-%d}": float(value) for day, value in returns.items()}


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"
