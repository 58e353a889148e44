"""8 EMA-cross trials over the shipped EUR/USD (2014-05-01..15, 1-minute bid/ask bars): our sweep on Dask against
the baseline, the same 8 `BacktestRunConfig`s run one after another through raw `BacktestNode` in one process.

Printed: the sequential time; the sweep on a 2-worker local cluster (the run alone, and with the cluster's start),
its speedup (goal >= 1.7x on 2 cores) and the per-trial overhead of Dask; the same trials on an external scheduler
with 2 worker processes over TCP; and, from the measured per-trial time and overhead, the projected wall time of
1,000 trials on 8, 32 and 128 workers. Every sweep's metrics equal the sequential ones exactly. The 2-core machine
may be shared: the figures say how loaded it was (load average) beside them. Beside the goal, the machine's own
ceiling: the same raw runs split over 2 plain processes, which shows what 2 cores give two independent runs here.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from pathlib import Path

import pytest
from nautilus_trader.backtest.config import BacktestRunConfig
from nautilus_trader.backtest.node import BacktestNode

from nautilus_node.backtest.catalog_location import CatalogLocation
from nautilus_node.sweep.executor import Cluster, check_catalog, open_cluster, run_on_cluster
from nautilus_node.sweep.factory import TrialFactory
from nautilus_node.sweep.trial import TrialResult, TrialSpec, run_trial
from tests.sweep.dask_processes import external_dask_cluster

REPO = Path(__file__).resolve().parents[2]
TRIALS = 8
NOOP_TASKS = 200


def specs(tmp_path: Path) -> list[TrialSpec]:
    text = (REPO / "configs" / "paper.toml").read_text(encoding="utf-8")
    text = text.replace('catalog = "catalog"', f'catalog = "{REPO / "catalog"}"')
    path = tmp_path / "bench.toml"
    path.write_text(text, encoding="utf-8")
    factory = TrialFactory.load(path, "ema_cross", chunk_size=1_000_000)
    start, end = factory.period(None, None)
    built = [factory.trial({"fast_ema_period": fast, "slow_ema_period": 120}, start, end) for fast in range(5, 45, 5)]
    assert all(isinstance(s, TrialSpec) for s in built)
    return built  # type: ignore[return-value]


def sequential_raw(trials: list[TrialSpec]) -> float:
    started = time.perf_counter()
    for spec in trials:
        _raw_backtest(spec.config_json)
    return time.perf_counter() - started


def _raw_backtest(config_json: str) -> None:
    node = BacktestNode(configs=[BacktestRunConfig.parse(config_json)])
    node.run()
    node.dispose()


def parallel_raw(trials: list[TrialSpec], processes: int) -> float:
    """The machine's own ceiling: the same raw runs split over plain processes (no Dask), each warmed up first."""
    configs = [spec.config_json for spec in trials]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.map(_raw_backtest, configs[:processes], chunksize=1)  # warm-up: imports, first engine, per process
        started = time.perf_counter()
        pool.map(_raw_backtest, configs, chunksize=1)
        return time.perf_counter() - started


def on_cluster(cluster: Cluster, trials: list[TrialSpec]) -> tuple[float, list[TrialResult]]:
    results: list[TrialResult] = []
    started = time.perf_counter()
    run_on_cluster(cluster, trials, results.append, total=len(trials))
    return time.perf_counter() - started, results


def warm_up(cluster: Cluster, spec: TrialSpec) -> None:
    """One trial on every worker first, as the sequential side has its warm-up run: imports, first engine."""
    workers = list(cluster.client.scheduler_info()["workers"])
    futures = [cluster.client.submit(run_trial, spec, workers=[w], pure=False) for w in workers]
    cluster.client.gather(futures)


def noop_overhead(cluster: Cluster) -> float:
    """Seconds per task of Dask alone: submit, schedule, run nothing, return a small result."""
    started = time.perf_counter()
    futures = [cluster.client.submit(_small_result, i, pure=False) for i in range(NOOP_TASKS)]
    cluster.client.gather(futures)
    return (time.perf_counter() - started) * cluster.workers / NOOP_TASKS


def _small_result(number: int) -> dict[str, int]:
    return {"trial": number}


def metrics_by_key(results: list[TrialResult]) -> dict[str, dict]:
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    return {r.key: r.metrics for r in results}


@pytest.mark.benchmark
@pytest.mark.timeout(900)  # the 2-core machine may be shared: the default 300 s can pass in a busy minute
def test_sweep_bench_8_ema_cross_trials_on_2_workers_against_sequential_backtest_node(tmp_path: Path) -> None:
    trials = specs(tmp_path)
    run_trial(trials[0])  # warm-up in this process: imports, catalog file cache
    load_before = os.getloadavg()[0]
    sequential = sequential_raw(trials)
    ceiling = parallel_raw(trials, 2)
    expected = metrics_by_key([run_trial(s) for s in trials])

    started = time.perf_counter()
    with open_cluster(workers=2) as cluster:
        check_catalog(cluster, CatalogLocation.parse(str(REPO / "catalog")))  # workers load NautilusTrader here
        warm_up(cluster, trials[0])
        startup = time.perf_counter() - started
        local, local_results = on_cluster(cluster, trials)
        overhead_noop = noop_overhead(cluster)
    with external_dask_cluster(tmp_path) as address, open_cluster(scheduler=address) as cluster:
        check_catalog(cluster, CatalogLocation.parse(str(REPO / "catalog")))
        warm_up(cluster, trials[0])
        external, external_results = on_cluster(cluster, trials)
    load_after = os.getloadavg()[0]

    assert metrics_by_key(local_results) == expected == metrics_by_key(external_results)
    per_trial = sum(r.wall_seconds for r in local_results) / TRIALS  # measured on the workers
    overhead = max(0.0, local * 2 / TRIALS - per_trial)  # wall time of a trial slot beyond the trial itself
    projections = "\n".join(
        f"    {workers:>3} workers: {math.ceil(1000 / workers) * (per_trial + overhead) + startup:8.1f} s"
        for workers in (8, 32, 128)
    )
    print(
        f"\n8 EMA-cross trials over 2 weeks of 1-minute EUR/USD bars "
        f"(load average {load_before:.1f} before, {load_after:.1f} after, {os.cpu_count()} cores)\n"
        f"  sequential raw BacktestNode : {sequential:6.2f} s  ({sequential / TRIALS:.3f} s a trial)\n"
        f"  raw, 2 plain processes      : {ceiling:6.2f} s  speedup {sequential / ceiling:.2f}x "
        f"(the machine's ceiling for 2 parallel runs, no Dask)\n"
        f"  sweep, local cluster x2     : {local:6.2f} s  speedup {sequential / local:.2f}x (goal >= 1.7x); "
        f"{ceiling / local:.0%} of the ceiling\n"
        f"    with the cluster's start  : {local + startup:6.2f} s  speedup {sequential / (local + startup):.2f}x "
        f"(start-up and warm-up {startup:.2f} s, once per sweep)\n"
        f"  sweep, external scheduler x2: {external:6.2f} s  speedup {sequential / external:.2f}x\n"
        f"  trial time on a worker      : {per_trial:6.3f} s; Dask overhead per trial {overhead:.3f} s "
        f"({overhead / per_trial:.1%}); an empty task {overhead_noop * 1000:.1f} ms\n"
        f"  projected 1,000 trials (ceil(1000/W) x (trial + overhead) + start-up):\n{projections}"
    )
    assert len({r.worker for r in local_results}) == 2  # both workers ran trials; timings are not asserted
