"""Quote storm, on demand (`-m slow`, `-s` for the figures): the highest quote rate over many instruments the
node keeps up with, and its tick → order latency meanwhile.

The node follows EUR/USD and 19 more instruments (FX pairs and US stocks) and sends an order for each EUR/USD
quote burst (`reacting_clients.py`). The simulated gateway runs with its timing relay in a process of their
own (`gateway_process.py`); it ticks EUR/USD every 50 ms and none of the others, whose quotes all come from
the relay: tickPrice frames (with their sizes) spread over their 19 subscriptions at rising rates in 3-second
steps, after a quiet interval as long as a step that gives the node's CPU without a storm. A step is
sustained when, half a second after it, the strategy has seen at least 98 % of the storm's quotes (no
backlog left growing) and the p99 of its tick → order latency during the step (the relay's figure, from the
gateway's EUR/USD quote to the node's placeOrder, n ≈ 60) is within `P99_BOUND_MS`. Our node (reader on the
loop) beside the same node on NautilusTrader's reader (`inline_reader = false`, the same thread hops as
NautilusTrader's own node), on both protocol stacks, with the node process's CPU per 1,000 storm frames
(above the quiet interval's) and the machine's load.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from nautilus_node.nautilus_internals import cached_ib_client
from nautilus_node.simgateway.products import FX_PAIRS, STOCKS
from tests.benchmarks.frame_clock import percentile
from tests.benchmarks.gateway_process import GatewayProcess
from tests.benchmarks.goals import check_absolute_goal
from tests.benchmarks.reacting_clients import ReactToQuotes, running_node
from tests.resilience.harness import wait_until

pytestmark = [pytest.mark.benchmark, pytest.mark.slow]
RATES = (250, 500, 1_000, 2_000, 4_000, 8_000, 12_000, 16_000, 24_000)  # storm frames per second
STEP_SECS = 3.0
KEPT_UP = 0.98
P99_BOUND_MS = 10.0
QUOTES_PER_FRAME = 2  # a tickPrice with its size: NautilusTrader makes a quote of each (price, then size)
STACKS = {"text 200": {"server_version": 200}, "protobuf 223": {}}
FX_STORM = ("GBP.USD", "USD.JPY", "AUD.USD", "USD.CHF", "USD.CAD", "NZD.USD", "EUR.GBP", "EUR.JPY", "GBP.JPY")
STOCK_STORM = ("AAPL", "MSFT", "NVDA", "AMZN", "TSLA", "JPM", "BAC", "V", "XOM", "KO")


@dataclass(frozen=True)
class StormInstrument:
    local_symbol: str
    instrument_id: str
    price: float


def storm_instruments() -> list[StormInstrument]:
    fx = {row.pair: row.price for row in FX_PAIRS}
    stocks = {row.symbol: row for row in STOCKS}
    chosen = [StormInstrument(pair, f"{pair.replace('.', '/')}.IDEALPRO", fx[pair]) for pair in FX_STORM]
    for symbol in STOCK_STORM:
        row = stocks[symbol]
        chosen.append(StormInstrument(symbol, f"{symbol}.{row.primary_exchange}", row.price))
    return chosen


@dataclass(frozen=True)
class Step:
    rate: int
    kept_up: float
    p99_ms: float
    orders: int
    cpu_ms_per_1000: float

    @property
    def sustained(self) -> bool:
        return self.kept_up >= KEPT_UP and self.p99_ms <= P99_BOUND_MS


@pytest.fixture(autouse=True)
def _on_demand(request: pytest.FixtureRequest) -> None:
    if "slow" not in (request.config.getoption("-m") or ""):
        pytest.skip("benchmarks run on demand: -m slow")


def storm_targets(port: int, instruments: list[StormInstrument]) -> list[tuple[int, float]]:
    """(request id, price) of the node's quote subscription for each storm instrument (read for the
    benchmark only)."""
    client = cached_ib_client("127.0.0.1", port, 41)
    assert client is not None, "the node's IB client is not cached"
    prices = {i.instrument_id: i.price for i in instruments}
    subscriptions = {s.name[0]: s.req_id for s in client._subscriptions.get_all() if s.name[1:] == ("market_data",)}
    missing = sorted(set(prices) - set(subscriptions))
    assert not missing, f"no quote subscription for {missing}"
    return [(subscriptions[name], price) for name, price in prices.items()]


def run_storm(stack_options: dict, tmp: Path, inline_reader: bool) -> list[Step]:
    """Each step's figures, until a step is not sustained."""
    instruments = storm_instruments()
    also = tuple(i.instrument_id for i in instruments)
    with GatewayProcess(tick_interval=0.05, max_msg_rate=200, **stack_options) as gateway:
        node_options = {"status": True, "resilience": True, "orders": 1_000_000, "inline_reader": inline_reader}
        quiet = {"quote_silence_secs": 120.0}  # the storm's instruments are silent between steps
        with running_node(gateway.port, gateway.account, tmp, also=also, resilience_options=quiet, **node_options) as (
            _,
            strategy,
        ):
            wait_until(lambda: strategy.sent >= 10 and strategy.other_quotes > 0, 60, "the node to trade and quote")
            gateway.stall([i.local_symbol for i in instruments])
            targets = storm_targets(gateway.port, instruments)
            time.sleep(0.5)
            cpu_before = time.process_time()
            time.sleep(STEP_SECS + 0.5)
            quiet_cpu = time.process_time() - cpu_before
            return list(_steps(gateway, strategy, targets, quiet_cpu))


def _steps(gateway: GatewayProcess, strategy: ReactToQuotes, targets: list[tuple[int, float]], quiet_cpu: float):
    for rate in RATES:
        gateway.reset()
        quotes_before, cpu_before = strategy.other_quotes, time.process_time()
        sent = gateway.storm(targets, rate, STEP_SECS)
        time.sleep(0.5)
        cpu = time.process_time() - cpu_before - quiet_cpu
        latencies, _ = gateway.latencies()
        assert latencies, f"no order timed during the {rate}/s step"
        kept_up = (strategy.other_quotes - quotes_before) / (sent * QUOTES_PER_FRAME)
        step = Step(rate, kept_up, percentile(latencies, 0.99) * 1e3, len(latencies), cpu * 1e6 / sent)
        yield step
        if not step.sustained:
            return
        time.sleep(0.5)


def _load(averages: tuple[float, float, float]) -> str:
    return "/".join(f"{value:.2f}" for value in averages)


def test_quote_storm_sustained_rate_ours_beside_nautilus_reader(tmp_path: Path):
    results: dict[str, dict[str, list[Step]]] = {}
    load_before = os.getloadavg()
    for stack, options in STACKS.items():
        results[stack] = {}
        for label, inline in (("ours (reader on the loop)", True), ("NautilusTrader's reader", False)):
            results[stack][label] = run_storm(options, tmp_path / f"{stack[:4]}-{inline}", inline)
    load_after = os.getloadavg()
    print()
    instruments = len(storm_instruments())
    loads = f"load (1/5/15 min) before {_load(load_before)}, after {_load(load_after)}, {os.cpu_count()} CPUs"
    print(f"quote storm over {instruments} instruments, {STEP_SECS:.0f}-s steps, p99 bound {P99_BOUND_MS} ms; {loads}")
    misses = []
    for stack, by_reader in results.items():
        best = {}
        for label, steps in by_reader.items():
            for s in steps:
                verdict = "ok" if s.sustained else "BEHIND"
                print(
                    f"  {stack:12s} {label:27s} {s.rate:6d}/s  kept up {s.kept_up * 100:5.1f} %  "
                    f"tick → order p99 {s.p99_ms:6.2f} ms (n={s.orders:2d})  "
                    f"CPU {s.cpu_ms_per_1000:6.1f} ms/1000 frames  {verdict}"
                )
            best[label] = max((s.rate for s in steps if s.sustained), default=0)
        ours, theirs = best["ours (reader on the loop)"], best["NautilusTrader's reader"]
        print(
            f"  {stack}: highest sustained ours {ours}/s, NautilusTrader's reader {theirs}/s, "
            f"{ours / max(theirs, 1):.2f}x (goal >= 2x)"
        )
        if ours < 2 * theirs:
            misses.append(f"{stack}: ours {ours}/s < 2x NautilusTrader's reader {theirs}/s")
        assert ours >= theirs, f"{stack}: the reader on the loop sustains less than NautilusTrader's: {best}"
    check_absolute_goal(not misses, "; ".join(misses))
