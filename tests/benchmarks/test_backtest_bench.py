"""EMA cross over the real EUR/USD 1-minute bars: our `backtest` against raw NautilusTrader `BacktestNode`.

Baseline: raw `BacktestNode.run()` on the same `BacktestRunConfig` minus our progress actor, with no reports.
Ours: the whole `backtest` command (config file, progress actor, run, CSV reports, charts, statistics).
Both rates are data events (bars) per wall-clock second; goal ratio ours/raw <= 1.10. The sides alternate,
round by round, and each side's fastest round counts, so a burst of load on the shared machine hits both.
The EMAs are short so the run trades often (per-trade bookkeeping is where NautilusTrader spends its time).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from nautilus_trader.backtest.node import BacktestNode

from nautilus_node.backtest.command import backtest_command
from nautilus_node.backtest.config import load_backtest_file
from nautilus_node.backtest.runner import build_run_config

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
    config = build_run_config(load_backtest_file(path), str(path), strategy="ema_cross", progress=False)
    started = time.perf_counter()
    node = BacktestNode(configs=[config])
    (result,) = node.run()
    elapsed = time.perf_counter() - started
    node.dispose()
    return elapsed, result.iterations, result.total_orders


def our_run(path: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    outcome = backtest_command(path, strategy="ema_cross")
    elapsed = time.perf_counter() - started
    return elapsed, outcome.statistics["events"], outcome.statistics["orders"]


@pytest.mark.benchmark
def test_backtest_bench_ema_cross_against_raw_backtest_node(tmp_path: Path) -> None:
    path = trade_heavy_config(tmp_path)
    raw_run(path)  # warm-up: imports, catalog file cache
    raws, ourses = [], []
    for _ in range(ROUNDS):
        raws.append(raw_run(path))
        ourses.append(our_run(path))
    raw, ours = min(raws), min(ourses)

    assert raw[1] == ours[1] and raw[2] == ours[2]  # same events, same orders
    raw_rate, our_rate = raw[1] / raw[0], ours[1] / ours[0]
    ratio = ours[0] / raw[0]
    print(
        f"\nEMA cross, {raw[1]:,} bar events, {raw[2]:,} orders, fastest of {ROUNDS} alternating rounds\n"
        f"  raw BacktestNode           : {raw[0]:6.2f} s  {raw_rate:9,.0f} events/s\n"
        f"  our backtest command       : {ours[0]:6.2f} s  {our_rate:9,.0f} events/s\n"
        f"  ratio ours/raw            : {ratio:.3f} (goal <= 1.10)",
    )
    assert ratio < 2.0  # a regression guard only: the 2-core machine is shared, so timings are noisy
