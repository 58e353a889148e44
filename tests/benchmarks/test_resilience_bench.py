"""Resilience benchmarks, on demand (`-m slow`, `-s` to see the figures):

- tick → order latency timed next to the simulated gateway (`frame_clock.py`): our node (status actor and
  resilient client on, its reader on the loop) beside a raw NautilusTrader node (baseline), IB's bare `ibapi`
  client (the floor) and our node on NautilusTrader's reader (`inline_reader = false`), n = 300 each; p50/p99,
  the ratios and the machine's load average, since the machine may be shared.
- recovery per disruption row: from the gateway accepting again (or the farm reporting OK) to the first new
  event of each feed kind, our node beside plain NautilusTrader.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from nautilus_node.simgateway import SimulatedGateway
from tests.benchmarks.frame_clock import percentile
from tests.benchmarks.gateway_process import GatewayProcess
from tests.benchmarks.goals import check_absolute_goal
from tests.benchmarks.reacting_clients import run_ibapi, run_node
from tests.resilience.harness import DISRUPTIONS, run_row, start_node

pytestmark = [pytest.mark.benchmark, pytest.mark.slow]
ORDERS = 300


@pytest.fixture(autouse=True)
def _on_demand(request: pytest.FixtureRequest) -> None:
    if "slow" not in (request.config.getoption("-m") or ""):
        pytest.skip("resilience benchmarks run on demand: -m slow")


STACKS = {"text 200": {"server_version": 200}, "protobuf 223": {}}  # the gateway's default range: clients get 223


def measure_stack(tmp: Path, gateway_options: dict) -> dict[str, tuple[float, float]]:
    """p50/p99 (ms) of each client against one simulated gateway (in its own process, with the relay)."""
    results: dict[str, tuple[float, float]] = {}
    with GatewayProcess(tick_interval=0.05, max_msg_rate=200, **gateway_options) as gateway:

        def node(label: str, **options: bool) -> Callable[[], None]:
            return lambda: run_node(gateway.port, gateway.account, tmp / label, orders=ORDERS, timeout=120, **options)

        runs = {
            "ibapi": lambda: run_ibapi(gateway.port, ORDERS, 120),
            "raw NautilusTrader": node("raw", status=False, resilience=False),
            "our node": node("ours", status=True, resilience=True),
            "ours, NT reader": node("fallback", status=True, resilience=True, inline_reader=False),
        }
        for name, run in runs.items():
            gateway.reset()
            run()
            latencies, encodings = gateway.latencies()
            latencies = latencies[-ORDERS:]
            assert len(latencies) == ORDERS, f"{name}: {len(latencies)} orders timed"
            results[name] = (percentile(latencies, 0.5) * 1e3, percentile(latencies, 0.99) * 1e3)
            expected = {"text"} if gateway.server_version <= 200 else {"binary"}
            assert encodings - {"text"} == expected - {"text"}, f"message ids seen: {encodings}"
    return results


def test_tick_to_order_latency_ours_beside_raw_nautilus_and_ibapi(tmp_path: Path):
    load_before = os.getloadavg()
    by_stack = {stack: measure_stack(tmp_path / stack.replace(" ", "-"), options) for stack, options in STACKS.items()}
    load_after = os.getloadavg()
    print()
    print(f"tick → order at the gateway, n={ORDERS} each (ms)")
    print(f"  machine load (1/5/15 min) before {_load(load_before)}, after {_load(load_after)}, {os.cpu_count()} CPUs")
    print("  " + " " * 20 + "".join(f"{stack:>24s}" for stack in by_stack))
    for name in next(iter(by_stack.values())):
        cells = "".join(f"   p50 {r[name][0]:5.2f}  p99 {r[name][1]:5.2f}" for r in by_stack.values())
        print(f"  {name:20s}{cells}")
    misses = []
    for stack, results in by_stack.items():
        ours, raw, floor = results["our node"], results["raw NautilusTrader"], results["ibapi"]
        fallback = results["ours, NT reader"]
        print(f"  {stack}:")
        print(f"    our/raw      p50 {ours[0] / raw[0]:.2f}x  p99 {ours[1] / raw[1]:.2f}x   (goal p50 <= 0.5x)")
        print(f"    our/ibapi    p50 {ours[0] / floor[0]:.2f}x  p99 {ours[1] / floor[1]:.2f}x   (goal p50 <= 2x)")
        print(f"    our/fallback p50 {ours[0] / fallback[0]:.2f}x  p99 {ours[1] / fallback[1]:.2f}x")
        for description, value, limit in (
            ("our p50 <= 2x bare ibapi's", ours[0] / floor[0], 2.0),
            ("our p50 <= 0.5x NautilusTrader's", ours[0] / raw[0], 0.5),
            ("our p99 <= 3 ms", ours[1], 3.0),
        ):
            print(f"    goal {description}: {value:.2f} {'met' if value <= limit else 'MISSED'}")
            if value > limit:
                misses.append(f"{stack}: {description}: {value:.2f}")
        assert ours[0] < raw[0], f"{stack}: the reader on the loop is not faster than NautilusTrader's: {results}"
    check_absolute_goal(not misses, f"{'; '.join(misses)} (machine load {_load(load_after)})")


def _load(averages: tuple[float, float, float]) -> str:
    return "/".join(f"{value:.2f}" for value in averages)


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
