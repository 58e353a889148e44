"""The nodes the status actor benchmark compares, and its instruction-count run.

Node: a BacktestEngine with a strategy subscribed to real EUR/USD quotes. Baseline: that node without the
status actor. Ours: the same node plus `StatusActor` observing the quote feed (a required feed, so every
quote passes its counter).

Run as a module under `valgrind --tool=callgrind --instr-atstart=no`, it counts the instructions each node
executes for the same quotes and prints them as one JSON line: instruction counts do not depend on the
machine's load, so they resolve differences that wall-clock time on a shared machine cannot. The baseline
and ours each run as two engines, built and measured interleaved (with an empty-actor node between), since
an engine's heap layout alone moves its count by a few tenths of a percent; the two baselines' spread is
printed as that noise. The garbage collector is paused during each measured run (both nodes allocate the
same objects per quote).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.common.actor import Actor
from nautilus_trader.common.component import MessageBus, TestClock
from nautilus_trader.config import ActorConfig, LoggingConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import TraderId, Venue
from nautilus_trader.model.objects import Money
from nautilus_trader.persistence.wranglers import QuoteTickDataWrangler
from nautilus_trader.test_kit.providers import TestInstrumentProvider

from nautilus_node.status.actor import StatusActor
from nautilus_node.status.config import StatusActorConfig
from nautilus_node.status.feeds import FeedCounter
from tests.status.strategies import BuyOnce, BuyOnceConfig

TICKS = Path("/work/shared/data/lean-eurusd-oanda/tick/eurusd")
DAYS = ("20140505", "20140506", "20140507")
VENUE = Venue("IDEALPRO")
TOPIC = f"data.quotes.{VENUE}.EUR/USD"
# Live, the snapshot is built once per wall-clock second; a backtest's simulated seconds pass thousands of
# times faster, so per-event runs keep the timer beyond their quotes and the snapshot is measured apart.
NO_SNAPSHOT_WITHIN_SECS = 30 * 86_400.0
WARM_UP = 500
MEASURED = 2_000
BUILDS = 20
PUBLISHES = 2_000
ORDER = ("baseline", "ours", "empty_actor", "ours", "baseline")


def load_quotes(days: tuple[str, ...] = DAYS, limit: int | None = None) -> list[QuoteTick]:
    """LEAN's real EUR/USD quotes for `days` (the first `limit` of them), as NautilusTrader quotes."""
    instrument = TestInstrumentProvider.default_fx_ccy("EUR/USD", VENUE)
    frames = []
    for day in days:
        with zipfile.ZipFile(TICKS / f"{day}_quote.zip") as archive:
            [name] = archive.namelist()
            frame = pd.read_csv(archive.open(name), header=None, names=["ms", "bid_price", "ask_price"], nrows=limit)
        frame.index = pd.Timestamp(day, tz="UTC") + pd.to_timedelta(frame.pop("ms"), unit="ms")
        frames.append(frame)
    data = pd.concat(frames)[:limit]
    data["bid_size"] = 1_000_000.0
    data["ask_size"] = 1_000_000.0
    return QuoteTickDataWrangler(instrument).process(data)


def node(actor: Actor | None) -> BacktestEngine:
    """The benchmark node: a quiet margin venue, EUR/USD, a strategy subscribed to its quotes, and `actor`."""
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
    instrument = TestInstrumentProvider.default_fx_ccy("EUR/USD", VENUE)
    engine.add_instrument(instrument)
    engine.add_strategy(BuyOnce(BuyOnceConfig(instrument_id=str(instrument.id), buy=False)))
    if actor is not None:
        engine.add_actor(actor)
    return engine


def status_actor(snapshot_path: str | None = None) -> StatusActor:
    """The status actor as the benchmark runs it: the quote feed required, no HTTP server."""
    config = StatusActorConfig(
        http_port=None,
        snapshot_path=snapshot_path,
        required_feeds=(f"EUR/USD.{VENUE}",),
        market_hours="always",
        interval_secs=NO_SNAPSHOT_WITHIN_SECS,
    )
    return StatusActor(config)


def empty_actor() -> Actor:
    """An `Actor` that does nothing: what any actor costs the node."""
    return Actor(ActorConfig(component_id="Empty"))


class Callgrind:
    """This process's instruction counter, through `callgrind_control` (the process runs under callgrind)."""

    def __init__(self) -> None:
        self._pid = str(os.getpid())
        self._control("--instr=on")
        self._control("--zero")
        self._overhead = self._read()  # what one zero + read costs this process

    def _control(self, *args: str) -> str:
        done = subprocess.run(["callgrind_control", *args, self._pid], capture_output=True, text=True, check=True)
        return done.stdout

    def _read(self) -> int:
        lines = self._control("-e", "Ir").splitlines()
        return sum(int(line.split()[2].replace(",", "")) for line in lines if line.strip().startswith("Th "))

    def count(self, work) -> int:  # type: ignore[no-untyped-def]
        """Instructions `work()` executes (all threads), with the garbage collector paused."""
        gc.collect()
        gc.disable()
        try:
            self._control("--zero")
            work()
            return self._read() - self._overhead
        finally:
            gc.enable()


def instruction_counts() -> dict[str, object]:
    """Instructions per quote of each node kind (one value per engine), per snapshot build, and per quote
    for the feed counter alone on a bare message bus."""
    quotes = load_quotes(DAYS[:1], limit=WARM_UP + MEASURED)
    warm_up, measured = quotes[:WARM_UP], quotes[WARM_UP:]
    makers = {"baseline": lambda: None, "ours": status_actor, "empty_actor": empty_actor}
    engines = []
    for name in ORDER:
        actor = makers[name]()
        engine = node(actor)
        engine.add_data(warm_up)
        engine.run(streaming=True)
        engine.clear_data()
        engines.append((name, engine, actor))
    counter = Callgrind()
    per_quote: dict[str, list[float]] = {name: [] for name in makers}
    for name, engine, _ in engines:
        engine.add_data(measured)
        per_quote[name].append(counter.count(lambda e=engine: e.run(streaming=True)) / len(measured))
        engine.clear_data()
    ours = next(actor for name, _, actor in engines if name == "ours")
    counted = ours.build_snapshot().feeds[0].count

    def builds() -> None:
        for _ in range(BUILDS):
            ours.refresh()

    per_build = counter.count(builds) / BUILDS
    for _, engine, _ in engines:
        engine.dispose()
    return {
        "quotes": len(measured),
        "counted": counted - len(warm_up),
        "per_quote": per_quote,
        "per_snapshot_build": per_build,
        "feed_counter_per_quote": _counter_alone(counter, measured[0]),
    }


def _counter_alone(counter: Callgrind, tick: QuoteTick) -> float:
    """Instructions the feed counter adds to publishing one quote, on two otherwise equal bare buses."""
    spent = {}
    for name in ("without", "with"):
        bus = MessageBus(TraderId("BENCH-001"), TestClock())
        bus.subscribe(topic=TOPIC, handler=lambda _: None)
        feed = FeedCounter()
        if name == "with":
            bus.subscribe(topic=TOPIC, handler=feed.handler)

        def publish(publish=bus.publish, feed=feed) -> None:  # type: ignore[no-untyped-def]
            for _ in range(PUBLISHES):
                publish(TOPIC, tick)
            feed.drain()

        publish()  # warm-up: the bus resolves the topic once
        spent[name] = counter.count(publish)
    return (spent["with"] - spent["without"]) / PUBLISHES


if __name__ == "__main__":
    sys.stdout.write(json.dumps(instruction_counts()) + "\n")
