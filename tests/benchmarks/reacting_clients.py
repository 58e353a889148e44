"""Three clients that react to a EUR/USD quote with one far-away limit order (at most one per quote burst):
IB's bare `ibapi` client (the floor), a raw NautilusTrader node, and our node (status actor on)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
import uvloop
from ibapi.client import EClient
from ibapi.contract import Contract
from ibapi.order import Order
from ibapi.wrapper import EWrapper
from nautilus_trader.adapters.interactive_brokers.common import IB
from nautilus_trader.adapters.interactive_brokers.factories import (
    InteractiveBrokersLiveDataClientFactory,
    InteractiveBrokersLiveExecClientFactory,
)
from nautilus_trader.config import LiveExecEngineConfig, StrategyConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.trading.strategy import Strategy

from nautilus_node.live import resilient_client
from nautilus_node.live.node import build_node_config, create_node, dispose_node, resilience_policy
from nautilus_node.nautilus_internals import forget_cached_ib_clients
from nautilus_node.settings import parse_settings

EURUSD = InstrumentId.from_str("EUR/USD.IDEALPRO")
MIN_GAP_SECS = 0.03  # one order per quote burst


def node_loop() -> asyncio.AbstractEventLoop:
    """The loop a node runs on outside tests: NautilusTrader's kernel installs uvloop's policy unless pytest is
    loaded, so `nautilus-node run` (and any TradingNode) runs on uvloop."""
    return uvloop.new_event_loop()


class ReactConfig(StrategyConfig, frozen=True):
    orders: int = 300
    also: tuple[str, ...] = ()  # more instruments whose quotes it subscribes to and counts, without reacting


class ReactToQuotes(Strategy):
    """One IOC BUY limit far under the market (cancelled at once, so nothing piles up) per EUR/USD quote burst;
    the quotes of the other instruments it follows are only counted."""

    def __init__(self, config: ReactConfig | None = None) -> None:
        super().__init__(config or ReactConfig())
        self.sent = 0
        self.other_quotes = 0
        self.done = threading.Event()
        self._last = 0.0
        self._qty = Quantity.from_int(20_000)
        self._price = Price(0.5, 5)

    def on_start(self) -> None:
        self.subscribe_quote_ticks(EURUSD)
        for instrument_id in self.config.also:
            self.subscribe_quote_ticks(InstrumentId.from_str(instrument_id))

    def on_quote_tick(self, tick: QuoteTick) -> None:
        if tick.instrument_id != EURUSD:
            self.other_quotes += 1
            return
        now = time.perf_counter()
        if self.sent >= self.config.orders or now - self._last < MIN_GAP_SECS:
            return
        self._last = now
        self.sent += 1
        order = self.order_factory.limit(EURUSD, OrderSide.BUY, self._qty, self._price, time_in_force=TimeInForce.IOC)
        self.submit_order(order)
        if self.sent >= self.config.orders:
            self.done.set()


@contextmanager
def running_node(
    port: int,
    account: str,
    tmp: Path,
    *,
    status: bool,
    resilience: bool,
    orders: int,
    inline_reader: bool = True,
    alerts: dict | None = None,
    also: tuple[str, ...] = (),
    resilience_options: dict | None = None,
) -> Iterator[tuple[TradingNode, ReactToQuotes]]:
    """A node against `port` with the reacting strategy, running in a thread until the block ends: with the
    status actor and the resilient client (and its continuous checks) as asked, or neither (a raw
    NautilusTrader node); `inline_reader` False runs the resilient client on NautilusTrader's own reader.
    `alerts`: its `[alerts]` section; `also`: more instruments loaded and followed; `resilience_options` adds
    to `[resilience]`."""
    settings = parse_settings(
        {
            "node": {"trader_id": "LAT-001", "log_level": "ERROR", "log_directory": str(tmp / "logs")},
            "gateway": {"port": port, "account": account, "client_id": 41},
            "instruments": {"load": ["EUR/USD.IDEALPRO", *also]},
            "status": {
                "enabled": status,
                "port": 0,
                "file": str(tmp / "status.json"),
                "required_feeds": ["EUR/USD.IDEALPRO"],
                "market_hours": "always",
            },
            "resilience": {"enabled": resilience, "inline_reader": inline_reader, **(resilience_options or {})},
            "alerts": alerts or {},
        },
        source="benchmark",
    )
    config = build_node_config(settings)
    if status or resilience:
        node = create_node(config, node_loop(), resilience_policy(settings))
    else:
        config = msgspec.structs.replace(config, exec_engine=LiveExecEngineConfig(reconciliation=True))
        resilient_client.uninstall()
        forget_cached_ib_clients()
        node = TradingNode(config=config, loop=node_loop())
        node.add_data_client_factory(IB, InteractiveBrokersLiveDataClientFactory)
        node.add_exec_client_factory(IB, InteractiveBrokersLiveExecClientFactory)
    strategy = ReactToQuotes(ReactConfig(orders=orders, also=also))
    node.trader.add_strategy(strategy)
    node.build()
    thread = threading.Thread(target=node.run, daemon=True)
    thread.start()
    try:
        yield node, strategy
    finally:
        node.get_event_loop().call_soon_threadsafe(node.stop)
        thread.join(30)
        dispose_node(node)


def run_node(
    port: int,
    account: str,
    tmp: Path,
    *,
    status: bool,
    resilience: bool,
    orders: int,
    timeout: float,
    inline_reader: bool = True,
    alerts: dict | None = None,
    while_running: Callable[[TradingNode], Callable[[], None]] | None = None,
) -> None:
    """Run a `running_node` until its strategy has sent `orders` orders; `while_running(node)` starts load
    beside the node and returns what stops it."""
    options = {"status": status, "resilience": resilience, "inline_reader": inline_reader, "alerts": alerts}
    with running_node(port, account, tmp, orders=orders, **options) as (node, strategy):
        stop_load = while_running(node) if while_running is not None else None
        try:
            if not strategy.done.wait(timeout):
                raise AssertionError(f"node sent {strategy.sent} of {orders} orders in {timeout} s")
            time.sleep(0.5)
        finally:
            if stop_load is not None:
                stop_load()


class _Reacting(EWrapper):
    def __init__(self, client: EClient, orders: int) -> None:
        super().__init__()
        self.client = client
        self.orders = orders
        self.sent = 0
        self.next_id = 0
        self.ready = threading.Event()
        self.done = threading.Event()
        self._last = 0.0
        self._contract = Contract()
        self._contract.symbol, self._contract.secType = "EUR", "CASH"
        self._contract.currency, self._contract.exchange = "USD", "IDEALPRO"

    def nextValidId(self, orderId: int) -> None:
        self.next_id = max(self.next_id, orderId)
        self.ready.set()

    def tickPrice(self, reqId, tickType, price, attrib) -> None:
        now = time.perf_counter()
        if self.sent >= self.orders or now - self._last < MIN_GAP_SECS:
            return
        self._last = now
        order = Order()
        order.action, order.orderType, order.totalQuantity = "BUY", "LMT", 20_000
        order.lmtPrice, order.tif = 0.5, "IOC"
        self.client.placeOrder(self.next_id, self._contract, order)
        self.next_id += 1
        self.sent += 1
        if self.sent >= self.orders:
            self.done.set()

    def error(self, *args: object) -> None:
        pass


def run_ibapi(port: int, orders: int, timeout: float) -> None:
    """IB's bare client: the same reaction, no framework."""
    client = EClient(None)
    wrapper = _Reacting(client, orders)
    client.wrapper = wrapper
    client.connect("127.0.0.1", port, 51)
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    try:
        if not wrapper.ready.wait(10):
            raise AssertionError("ibapi client got no nextValidId")
        client.reqMktData(1, wrapper._contract, "", False, False, [])
        if not wrapper.done.wait(timeout):
            raise AssertionError(f"ibapi client sent {wrapper.sent} of {orders} orders in {timeout} s")
        time.sleep(0.5)
    finally:
        client.disconnect()
        thread.join(5)
