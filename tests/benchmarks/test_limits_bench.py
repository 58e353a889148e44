"""The risk limits' cost per quote: the daily-loss check runs on every quote of an instrument held.

Node: a BacktestEngine with a strategy that buys EUR/USD on the first of LEAN's real quotes of 2014-05-05
and holds it, and the status actor. Baseline: that node with the status actor and no limits. Ours: the same
with `max_daily_loss` (re-reckoned from NautilusTrader's portfolio at each quote) and `max_position`. Both fed
the same quotes in alternating chunks, compared by the median per-chunk time ratio, with a second baseline
node as the measurement's own noise. Reference: the baseline plus a no-op handler on the same quote topic,
the floor any event-handler check pays for NautilusTrader calling into Python once per quote. Goal: within
2 % of the baseline's quote throughput (machine-dependent: a warning unless strict); the run fails when the
node with the check takes 25 % more time per quote than the one with the no-op handler (a regression such as
re-reckoning NautilusTrader's portfolio PnL per quote, which took 2.2 times the baseline's time).
"""

from __future__ import annotations

import statistics
import time
from decimal import Decimal

import pytest
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import TraderId
from nautilus_trader.model.objects import Money
from nautilus_trader.test_kit.providers import TestInstrumentProvider

from nautilus_node.status.actor import StatusActor
from nautilus_node.status.config import StatusActorConfig
from tests.benchmarks.goals import check_absolute_goal
from tests.benchmarks.status_actor_nodes import NO_SNAPSHOT_WITHIN_SECS, VENUE, load_quotes
from tests.status.strategies import BuyOnce, BuyOnceConfig

pytestmark = pytest.mark.benchmark

CHUNK = 500
TRIALS = 2
GOAL = 0.02
OVER_NO_OP_LIMIT = 0.25
INSTRUMENT = f"EUR/USD.{VENUE}"


def holding_node(limits: dict[str, object], no_op_handler: bool = False) -> tuple[BacktestEngine, StatusActor]:
    engine = BacktestEngine(
        BacktestEngineConfig(trader_id=TraderId("BENCH-001"), logging=LoggingConfig(bypass_logging=True)),
    )
    engine.add_venue(
        VENUE,
        OmsType.NETTING,
        AccountType.MARGIN,
        [Money(1_000_000, USD)],
        base_currency=USD,
        default_leverage=Decimal(50),
    )
    engine.add_instrument(TestInstrumentProvider.default_fx_ccy("EUR/USD", VENUE))
    engine.add_strategy(BuyOnce(BuyOnceConfig(instrument_id=INSTRUMENT)))
    actor = StatusActor(
        StatusActorConfig(
            http_port=None,
            snapshot_path=None,
            market_hours="always",
            interval_secs=NO_SNAPSHOT_WITHIN_SECS,
            **limits,  # type: ignore[arg-type]
        )
    )
    engine.add_actor(actor)
    if no_op_handler:
        engine.kernel.msgbus.subscribe(topic=f"data.quotes.{VENUE}.EUR/USD", handler=lambda quote: None)
    return engine, actor


def test_limits_cost_per_quote_of_an_instrument_held():
    ticks = load_quotes(days=("20140505",))
    chunks: list[dict[str, float]] = []
    for _ in range(TRIALS):
        nodes = {
            "baseline": holding_node({}),
            "baseline_again": holding_node({}),
            "no_op_handler": holding_node({}, no_op_handler=True),
            "ours": holding_node({"max_daily_loss": 1e9, "max_position": {INSTRUMENT: 1e9}}),
        }
        for i, start in enumerate(range(0, len(ticks), CHUNK)):
            chunk = ticks[start : start + CHUNK]
            spent = {}
            for name in sorted(nodes, reverse=i % 2 == 1):
                engine, _ = nodes[name]
                engine.add_data(chunk)
                started = time.perf_counter()
                engine.run(streaming=True)
                spent[name] = time.perf_counter() - started
                engine.clear_data()
            chunks.append(spent)
        _, ours = nodes["ours"]
        [loss] = [use for use in ours.build_snapshot().limits if use.name == "max_daily_loss"]
        [position] = [use for use in ours.build_snapshot().limits if use.name == "max_position"]
        assert position.used == 10_000  # the position was held: every quote went through the loss check
        assert loss.limit == 1e9
        for engine, _ in nodes.values():
            engine.end()
            engine.dispose()
    ratios = {name: statistics.median(c[name] / c["baseline"] for c in chunks) for name in chunks[0]}
    rate = CHUNK / statistics.median(c["baseline"] for c in chunks)
    per_quote_us = (ratios["ours"] - 1) / rate * 1e6
    print(
        f"\nrisk limits' cost per quote of an instrument held (baseline: the same node, status actor without limits); "
        f"goal < {GOAL:.0%}\n"
        f"  {len(ticks):,} real EUR/USD quotes, {TRIALS} trials x {len(chunks) // TRIALS} chunks of {CHUNK}, "
        "alternating\n"
        f"  baseline {rate:,.0f} quotes/s   ours {rate / ratios['ours']:,.0f} quotes/s   ratio {ratios['ours']:.4f} "
        f"({per_quote_us:+.1f} us per quote)\n"
        f"  noise: a second baseline node ratio {ratios['baseline_again']:.4f}\n"
        f"  reference: a no-op handler on the quote topic ratio {ratios['no_op_handler']:.4f}; "
        f"ours over it {ratios['ours'] / ratios['no_op_handler']:.4f}"
    )
    check_absolute_goal(ratios["ours"] < 1 + GOAL, f"limits cost ratio {ratios['ours']:.4f}, goal < {1 + GOAL}")
    assert ratios["ours"] / ratios["no_op_handler"] < 1 + OVER_NO_OP_LIMIT
