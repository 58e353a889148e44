"""Alerts never delay trading, on demand (`-m slow`, `-s` to see the figures): tick → order latency timed next to
the simulated gateway (`frame_clock.py`), our node as in `test_resilience_bench.py` (baseline) beside the same
node with two alert destinations that hang (an apprise json:// target and a webhook, both accepting connections
and never answering) while alerts are raised at 50 a second with unique keys (none suppressed: every one
queued for both destinations, whose queues fill and drop). n = 300 each; p50/p99 and the ratios. Goal: within
the run-to-run noise of the baseline (ratio <= 1.2, p99 included).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from nautilus_trader.live.node import TradingNode

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.status.actor import StatusActor
from nautilus_node.status.alerts import Alert
from tests.benchmarks.frame_clock import FrameClock, percentile
from tests.benchmarks.goals import check_absolute_goal
from tests.benchmarks.reacting_clients import run_node
from tests.operator.receivers import Hanging

pytestmark = [pytest.mark.benchmark, pytest.mark.slow]
ORDERS = 300
ALERTS_PER_SEC = 50.0
GOAL = 1.2


@pytest.fixture(autouse=True)
def _on_demand(request: pytest.FixtureRequest) -> None:
    if "slow" not in (request.config.getoption("-m") or ""):
        pytest.skip("alert latency benchmark runs on demand: -m slow")


def flood(raised: list[int]):  # type: ignore[no-untyped-def]
    """Raise unique alerts into the node's alerter from a thread until stopped; counts them in `raised`."""

    def start(node: TradingNode):  # type: ignore[no-untyped-def]
        [actor] = [a for a in node.trader.actors() if isinstance(a, StatusActor)]
        alerter = actor.controls.alerter if actor.controls is not None else None
        assert alerter is not None
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(1 / ALERTS_PER_SEC):
                n = raised[0] = raised[0] + 1
                alerter.raise_alert(Alert(key=f"load:{n}", kind="alert", title="load", message=str(n), at="-"))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def stop_flood() -> None:
            stop.set()
            thread.join(5)
            view = alerter.view()
            assert all(d.sent == 0 for d in view.destinations)  # both hung throughout
            assert sum(d.dropped for d in view.destinations) > 0  # their queues filled and shed the oldest

        return stop_flood

    return start


def test_tick_to_order_latency_with_hanging_alert_destinations_beside_without(tmp_path: Path):
    results: dict[str, tuple[float, float]] = {}
    raised = [0]
    hanging = Hanging()
    alerts = {
        "urls": [f"json://127.0.0.1:{hanging.port}/?rto=600&cto=600"],
        "webhooks": [f"http://127.0.0.1:{hanging.port}/hook"],
        "timeout_secs": 600.0,
        "rate_per_minute": 100_000,
        "dedup_secs": 0.0,
    }
    gateway = SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.05, max_msg_rate=200)
    try:
        with gateway, FrameClock(gateway.port) as clock:
            account = gateway.account
            runs = {
                "our node": lambda: run_node(
                    clock.port, account, tmp_path / "ours", status=True, resilience=True, orders=ORDERS, timeout=120
                ),
                "with hanging alerts": lambda: run_node(
                    clock.port,
                    account,
                    tmp_path / "alerts",
                    status=True,
                    resilience=True,
                    orders=ORDERS,
                    timeout=120,
                    alerts=alerts,
                    while_running=flood(raised),
                ),
            }
            for name, run in runs.items():
                clock.reset()
                run()
                latencies = clock.latencies[-ORDERS:]
                assert len(latencies) == ORDERS, f"{name}: {len(latencies)} orders timed"
                results[name] = (percentile(latencies, 0.5) * 1e3, percentile(latencies, 0.99) * 1e3)
    finally:
        hanging.close()
    base, alerted = results["our node"], results["with hanging alerts"]
    print()
    print(f"tick → order at the gateway, n={ORDERS} each (ms); {raised[0]} alerts raised into two hanging destinations")
    for name, (p50, p99) in results.items():
        print(f"  {name:20s} p50 {p50:6.2f}  p99 {p99:6.2f}")
    print(f"  hanging/our  p50 {alerted[0] / base[0]:.2f}x  p99 {alerted[1] / base[1]:.2f}x   (goal <= {GOAL}x)")
    assert raised[0] > 0
    check_absolute_goal(alerted[0] / base[0] <= GOAL, f"p50 ratio {alerted[0] / base[0]:.2f}x, goal <= {GOAL}x")
    check_absolute_goal(alerted[1] / base[1] <= GOAL, f"p99 ratio {alerted[1] / base[1]:.2f}x, goal <= {GOAL}x")
