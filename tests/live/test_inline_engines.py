"""`inline_engines.py` on NautilusTrader's real `LiveDataEngine` (its message bus, cache and queue task on a
running loop): a quote with nothing queued ahead reaches its subscriber before `process` returns; one that
arrives while others wait is queued behind them (order kept); from another thread it is queued as
NautilusTrader queues it; a handler that raises goes to the engine's own queue-exception handler. A whole node
with the switch on and off is measured by tests/benchmarks/test_resilience_bench.py."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.data_engine import LiveDataEngine
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId, TraderId
from nautilus_trader.model.objects import Price, Quantity

from nautilus_node.live.inline_engines import INLINE_QUEUES, InlineEnqueue, install_inline_engines

EURUSD = InstrumentId.from_str("EUR/USD.IDEALPRO")
TOPIC = f"data.quotes.{EURUSD.venue}.{EURUSD.symbol}"


def quote(n: int) -> QuoteTick:
    bid = Decimal("1.10000") + Decimal(n) / Decimal(100_000)
    return QuoteTick(
        EURUSD, Price(bid, 5), Price(bid + Decimal("0.00005"), 5), Quantity.from_int(1), Quantity.from_int(1), n, n
    )


class Engine:
    """A started `LiveDataEngine` on a loop of its own thread, its data queue made inline."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        clock = LiveClock()
        self.msgbus = MessageBus(TraderId("TESTER-001"), clock)
        self.engine = LiveDataEngine(self.loop, self.msgbus, Cache(), clock)
        self.seen: list[int] = []
        self.msgbus.subscribe(TOPIC, lambda tick: self.seen.append(tick.ts_event))
        enqueuer = self.engine._data_enqueuer
        self.inline = InlineEnqueue(self.engine, enqueuer, self.engine._handle_data, "Data")
        enqueuer.enqueue = self.inline
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.call(self.engine.start)

    def call(self, fn, *args):
        """Run `fn(*args)` on the loop and return its result."""

        async def run():
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def wait_seen(self, count: int) -> list[int]:
        async def settle() -> None:
            while len(self.seen) < count:
                await asyncio.sleep(0.01)

        asyncio.run_coroutine_threadsafe(asyncio.wait_for(settle(), 10), self.loop).result(15)
        return list(self.seen)

    def close(self) -> None:
        self.call(self.engine.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture
def data_engine() -> Iterator[Engine]:
    engine = Engine()
    yield engine
    engine.close()


def test_a_quote_with_nothing_ahead_reaches_the_strategy_before_process_returns(data_engine: Engine) -> None:
    def process_and_look() -> list[int]:
        data_engine.engine.process(quote(1))
        return list(data_engine.seen)

    assert data_engine.call(process_and_look) == [1]
    assert data_engine.inline.handled_at_once == 1


def test_a_quote_behind_queued_ones_waits_its_turn(data_engine: Engine) -> None:
    def queue_two_then_process() -> list[int]:
        data_engine.engine._data_queue.put_nowait(quote(1))  # as NautilusTrader's own enqueue leaves them
        data_engine.engine._data_queue.put_nowait(quote(2))
        data_engine.engine.process(quote(3))
        data_engine.engine.process(quote(4))
        return list(data_engine.seen)

    assert data_engine.call(queue_two_then_process) == []
    assert data_engine.wait_seen(4) == [1, 2, 3, 4]
    assert data_engine.inline.handled_at_once == 0
    data_engine.call(data_engine.engine.process, quote(5))  # the queue drained: at once again
    assert data_engine.seen[-1] == 5 and data_engine.inline.handled_at_once == 1


def test_from_another_thread_a_quote_is_queued_as_nautilus_queues_it(data_engine: Engine) -> None:
    data_engine.engine.process(quote(1))  # this test's thread, not the loop's
    assert data_engine.wait_seen(1) == [1]
    assert data_engine.inline.handled_at_once == 0


def test_a_handler_that_raises_goes_to_the_engines_queue_exception_handler(data_engine: Engine) -> None:
    failures: list[tuple[str, str]] = []
    data_engine.engine._handle_queue_exception = lambda exc, kind: failures.append((kind, str(exc)))

    def broken(tick: QuoteTick) -> None:
        raise ValueError("strategy bug")

    data_engine.msgbus.subscribe(TOPIC, broken)
    data_engine.call(data_engine.engine.process, quote(1))
    assert failures == [("Data", "strategy bug")]


@pytest.mark.parametrize(("engine_name", "enqueuer_name", "handler_name", "kind"), INLINE_QUEUES)
def test_a_live_nodes_engines_have_what_inline_engines_replaces_and_calls(
    engine_name: str, enqueuer_name: str, handler_name: str, kind: str
) -> None:
    """NautilusTrader's kernel builds these engines with these enqueuers and queue handlers (1.231's names)."""
    node = TradingNode(config=TradingNodeConfig(trader_id="TESTER-001"), loop=asyncio.new_event_loop())
    try:
        engine = getattr(node.kernel, engine_name)
        enqueuer = getattr(engine, enqueuer_name)
        assert callable(enqueuer.enqueue) and callable(getattr(engine, handler_name))
        assert isinstance(enqueuer._queue, asyncio.Queue) and enqueuer._loop is node.get_event_loop()
        assert callable(enqueuer._enqueue_nowait_safely) and callable(engine._handle_queue_exception)
        installed = install_inline_engines(node.kernel)
        assert any(inline is enqueuer.enqueue for inline in installed)
    finally:
        node.dispose()
