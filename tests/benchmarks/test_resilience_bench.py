"""Resilience benchmarks, on demand (`-m slow`, `-s` to see the figures):

- tick → order latency timed next to the simulated gateway (`frame_clock.py`): our node (status actor and
  resilient client on) beside a raw NautilusTrader node (baseline) and IB's bare `ibapi` client (the floor),
  n = 300 each; p50/p99 and the ratios our/raw and our/ibapi.
- recovery per disruption row: from the gateway accepting again (or the farm reporting OK) to the first new
  event of each feed kind, our node beside plain NautilusTrader.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from nautilus_node.simgateway import SimulatedGateway
from tests.benchmarks.frame_clock import FrameClock
from tests.benchmarks.reacting_clients import run_ibapi, run_node
from tests.resilience.harness import DISRUPTIONS, run_row, start_node

pytestmark = [pytest.mark.benchmark, pytest.mark.slow]
ORDERS = 300


@pytest.fixture(autouse=True)
def _on_demand(request: pytest.FixtureRequest) -> None:
    if "slow" not in (request.config.getoption("-m") or ""):
        pytest.skip("resilience benchmarks run on demand: -m slow")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def test_tick_to_order_latency_ours_beside_raw_nautilus_and_ibapi(tmp_path: Path):
    results: dict[str, tuple[float, float]] = {}
    gateway = SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.05, max_msg_rate=200)
    with gateway, FrameClock(gateway.port) as clock:
        account = gateway.account
        runs = {
            "ibapi": lambda: run_ibapi(clock.port, ORDERS, 120),
            "raw NautilusTrader": lambda: run_node(
                clock.port, account, tmp_path / "raw", status=False, resilience=False, orders=ORDERS, timeout=120
            ),
            "our node": lambda: run_node(
                clock.port, account, tmp_path / "ours", status=True, resilience=True, orders=ORDERS, timeout=120
            ),
        }
        for name, run in runs.items():
            clock.reset()
            run()
            latencies = clock.latencies[-ORDERS:]
            assert len(latencies) == ORDERS, f"{name}: {len(latencies)} orders timed"
            results[name] = (percentile(latencies, 0.5) * 1e3, percentile(latencies, 0.99) * 1e3)
    print()
    print(f"tick → order at the gateway, n={ORDERS} each (ms)")
    for name, (p50, p99) in results.items():
        print(f"  {name:20s} p50 {p50:6.2f}  p99 {p99:6.2f}")
    ours, raw, floor = results["our node"], results["raw NautilusTrader"], results["ibapi"]
    print(f"  our/raw   p50 {ours[0] / raw[0]:.2f}x  p99 {ours[1] / raw[1]:.2f}x   (goal <= 1.05x)")
    print(f"  our/ibapi p50 {ours[0] / floor[0]:.2f}x  p99 {ours[1] / floor[1]:.2f}x   (goal p50 <= 2x, p99 <= 5 ms)")
    assert statistics.fmean([ours[0], raw[0]]) > 0


ROWS = ["restart-short", "drop", "1100+1101", "1100+1102", "blip-silent", "blip-10225", "bars-10225", "quotes-322"]


@pytest.mark.parametrize("row", ROWS)
def test_recovery_per_row_ours_beside_plain_nautilus(tmp_path: Path, row: str):
    figures: dict[str, dict[str, float] | str] = {}
    for resilient in (True, False):
        label = "ours" if resilient else "plain"
        with SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.1) as gateway:
            live = start_node(gateway, tmp_path / label, resilient)
            try:
                figures[label] = run_row(gateway, live, DISRUPTIONS[row], timeout=40)
            except AssertionError as exc:
                figures[label] = f"not recovered ({str(exc).split(':')[0]})"
            finally:
                live.stop()
    print()
    for label, value in figures.items():
        text = value if isinstance(value, str) else ", ".join(f"{k} {v:.2f} s" for k, v in value.items())
        print(f"recovery {row:14s} {label:5s}: {text}")
    ours, plain = figures["ours"], figures["plain"]
    assert isinstance(ours, dict), f"our node did not recover from {row}: {ours}"
    if isinstance(plain, dict):
        print(f"recovery {row:14s} ratio ours/plain (slowest feed): {max(ours.values()) / max(plain.values()):.2f}x")
