"""EMA cross over the real EUR/USD 1-minute bars: our `backtest` against raw NautilusTrader `BacktestNode`.

Baseline: raw `BacktestNode.run()` on the same `BacktestRunConfig` minus our progress actor, with no reports.
Ours, twice: the run as our command makes it (config file, venue and fee model, progress actor; no results
written), and the whole `backtest` command (that run plus CSV reports, charts, statistics.json).
Rates are data events (bars) per wall-clock second; goal ratio ours/raw <= 1.10. The sides alternate, round
by round, and each side's fastest round counts, so a burst of load on the shared machine hits all of them.
The EMAs are short so the run trades often (per-trade bookkeeping is where NautilusTrader spends its time).
"""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest
from nautilus_trader.backtest.node import BacktestNode

from nautilus_node.backtest.command import backtest_command
from nautilus_node.backtest.config import load_backtest_file
from nautilus_node.backtest.runner import build_run_config, run_backtest

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 3


def trade_heavy_config(tmp_path: Path) -> Path:
    text = (REPO / "configs" / "paper.toml").read_text(encoding="utf-8")
    text = text.replace('catalog = "catalog"', f'catalog = "{REPO / "catalog"}"')
    text = text.replace('results = "results"', f'results = "{tmp_path / "results"}"')
    text = text.replace("fast_ema_period = 30", "fast_ema_period = 10")
    text = text.replace("slow_ema_period = 120", "slow_ema_period = 20")
    text = text.replace("min_gap_bps = 0.5", "min_gap_bps = 0.0")
    path = tmp_path / "bench.toml"
    path.write_text(text, encoding="utf-8")
    return path


def raw_run(path: Path) -> tuple[float, int, int]:
    gc.collect()  # the previous round's garbage is not this side's cost
    config = build_run_config(load_backtest_file(path), str(path), strategy="ema_cross", progress=False)
    started = time.perf_counter()
    node = BacktestNode(configs=[config])
    (result,) = node.run()
    elapsed = time.perf_counter() - started
    node.dispose()
    return elapsed, result.iterations, result.total_orders


def our_engine_run(path: Path) -> tuple[float, int, int]:
    gc.collect()  # the previous round's garbage is not this side's cost
    started = time.perf_counter()
    config = build_run_config(load_backtest_file(path), str(path), strategy="ema_cross")
    run = run_backtest(config)
    elapsed = time.perf_counter() - started
    run.node.dispose()
    return elapsed, run.result.iterations, run.result.total_orders


def our_command(path: Path) -> tuple[float, int, int]:
    gc.collect()  # the previous round's garbage is not this side's cost
    started = time.perf_counter()
    outcome = backtest_command(path, strategy="ema_cross")
    elapsed = time.perf_counter() - started
    return elapsed, outcome.statistics["events"], outcome.statistics["orders"]


@pytest.mark.benchmark
def test_backtest_bench_ema_cross_against_raw_backtest_node(tmp_path: Path) -> None:
    path = trade_heavy_config(tmp_path)
    raw_run(path)  # warm-up: imports, catalog file cache
    raws, engines, commands = [], [], []
    for _ in range(ROUNDS):
        raws.append(raw_run(path))
        engines.append(our_engine_run(path))
        commands.append(our_command(path))
    raw, engine, command = min(raws), min(engines), min(commands)

    assert raw[1:] == engine[1:] == command[1:]  # same events, same orders
    print(
        f"\nEMA cross, {raw[1]:,} bar events, {raw[2]:,} orders, fastest of {ROUNDS} alternating rounds\n"
        f"  raw BacktestNode           : {raw[0]:6.2f} s  {raw[1] / raw[0]:9,.0f} events/s\n"
        f"  our run (no results)       : {engine[0]:6.2f} s  {engine[1] / engine[0]:9,.0f} events/s"
        f"  ratio {engine[0] / raw[0]:.3f} (goal <= 1.10)\n"
        f"  our backtest command       : {command[0]:6.2f} s  {command[1] / command[0]:9,.0f} events/s"
        f"  ratio {command[0] / raw[0]:.3f} (results written: +{command[0] - engine[0]:.2f} s)",
    )
    assert command[0] / raw[0] < 2.0  # a regression guard only: the 2-core machine is shared, timings are noisy
