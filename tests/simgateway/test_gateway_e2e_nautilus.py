"""End to end: the unmodified NautilusTrader IB adapter in a TradingNode against the simulated gateway."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from nautilus_trader.adapters.interactive_brokers import factories
from nautilus_trader.adapters.interactive_brokers.common import IB, IBContract
from nautilus_trader.adapters.interactive_brokers.config import (
    InteractiveBrokersDataClientConfig,
    InteractiveBrokersExecClientConfig,
    InteractiveBrokersInstrumentProviderConfig,
    SymbologyMethod,
)
from nautilus_trader.adapters.interactive_brokers.factories import (
    InteractiveBrokersLiveDataClientFactory,
    InteractiveBrokersLiveExecClientFactory,
)
from nautilus_trader.config import (
    LiveExecEngineConfig,
    LoggingConfig,
    StrategyConfig,
    TradingNodeConfig,
)
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.data import Bar, BarType, QuoteTick
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.events import OrderCanceled, OrderFilled
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.trading.strategy import Strategy

from nautilus_node.node import dispose_node
from nautilus_node.simgateway import SimulatedGateway

pytestmark = pytest.mark.e2e

EURUSD = InstrumentId.from_str("EUR/USD.IDEALPRO")


class ProbeConfig(StrategyConfig, frozen=True):
    instrument_id: InstrumentId
    quotes_before_orders: int = 5
    bar_types: tuple[str, ...] = ()
    order_qty: int = 20_000
    orders: tuple[str, ...] = ("market",)  # any of: market, marketable_limit, resting_limit
    cancel_resting: bool = False


class Probe(Strategy):
    """Subscribes to quotes (and bars); once quotes flow, submits the configured orders."""

    def __init__(self, config: ProbeConfig) -> None:
        super().__init__(config)
        self.quotes: list[QuoteTick] = []
        self.bars: list[Bar] = []
        self.fills: list[OrderFilled] = []
        self.cancels: list[OrderCanceled] = []
        self.started = threading.Event()
        self._ordered = False

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self.config.instrument_id)
        for bar_type in self.config.bar_types:
            self.subscribe_bars(BarType.from_str(bar_type))
        self.started.set()

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.quotes.append(tick)
        if self._ordered or len(self.quotes) < self.config.quotes_before_orders:
            return
        self._ordered = True
        instrument = self.cache.instrument(self.config.instrument_id)
        step = instrument.price_increment.as_double()
        qty = Quantity.from_int(self.config.order_qty)
        for kind in self.config.orders:
            if kind == "market":
                self.submit_order(self.order_factory.market(self.config.instrument_id, OrderSide.BUY, qty))
                continue
            offset = 10 * step if kind == "marketable_limit" else -200 * step
            base = tick.ask_price if kind == "marketable_limit" else tick.bid_price
            price = Price(base.as_double() + offset, instrument.price_precision)
            self.submit_order(
                self.order_factory.limit(
                    self.config.instrument_id, OrderSide.BUY, qty, price, time_in_force=TimeInForce.GTC
                )
            )

    def on_order_accepted(self, event) -> None:
        order = self.cache.order(event.client_order_id)
        if self.config.cancel_resting and order.order_type.name == "LIMIT" and order.filled_qty == 0:
            price = order.price.as_double()
            if price < self.quotes[-1].bid_price.as_double():
                self.cancel_order(order)

    def on_bar(self, bar: Bar) -> None:
        self.bars.append(bar)

    def on_order_filled(self, event: OrderFilled) -> None:
        self.fills.append(event)

    def on_order_canceled(self, event: OrderCanceled) -> None:
        self.cancels.append(event)


def _node_config(port: int, account: str) -> TradingNodeConfig:
    provider = InteractiveBrokersInstrumentProviderConfig(
        symbology_method=SymbologyMethod.IB_SIMPLIFIED,
        load_contracts=frozenset(
            [
                IBContract(secType="CASH", symbol="EUR", currency="USD", exchange="IDEALPRO"),
                IBContract(secType="STK", symbol="SPY", exchange="SMART", primaryExchange="ARCA", currency="USD"),
            ]
        ),
    )
    return TradingNodeConfig(
        trader_id="SIM-001",
        logging=LoggingConfig(log_level="WARNING"),
        exec_engine=LiveExecEngineConfig(reconciliation=True),
        data_clients={
            IB: InteractiveBrokersDataClientConfig(
                ibg_host="127.0.0.1",
                ibg_port=port,
                ibg_client_id=11,
                instrument_provider=provider,
                request_timeout_secs=10,
            )
        },
        exec_clients={
            IB: InteractiveBrokersExecClientConfig(
                ibg_host="127.0.0.1",
                ibg_port=port,
                ibg_client_id=11,
                account_id=account,
                instrument_provider=provider,
                request_timeout_secs=10,
            )
        },
        timeout_connection=20.0,
        timeout_reconciliation=10.0,
        timeout_portfolio=10.0,
        timeout_disconnection=5.0,
        timeout_post_stop=1.0,
    )


class RunningNode:
    """A TradingNode running its event loop on a background thread."""

    def __init__(self, node: TradingNode) -> None:
        self.node = node
        self._thread = threading.Thread(target=node.run, daemon=True)

    def start(self) -> RunningNode:
        self._thread.start()
        return self

    def stop(self) -> None:
        loop = self.node.get_event_loop()
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(self.node.stop)
        self._thread.join(30)
        dispose_node(self.node)


def _clear_adapter_caches() -> None:
    factories.IB_CLIENTS.clear()
    factories.IB_INSTRUMENT_PROVIDERS.clear()
    factories.GATEWAYS.clear()


@pytest.fixture
def run_node(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[RunningNode, Probe]]]:
    monkeypatch.setenv("IB_MAX_CONNECTION_ATTEMPTS", "3")
    running: list[RunningNode] = []

    def start(gateway: SimulatedGateway, probe_config: ProbeConfig) -> tuple[RunningNode, Probe]:
        _clear_adapter_caches()
        node = TradingNode(config=_node_config(gateway.port, gateway.account), loop=asyncio.new_event_loop())
        probe = Probe(probe_config)
        node.trader.add_strategy(probe)
        node.add_data_client_factory(IB, InteractiveBrokersLiveDataClientFactory)
        node.add_exec_client_factory(IB, InteractiveBrokersLiveExecClientFactory)
        node.build()
        handle = RunningNode(node).start()
        running.append(handle)
        return handle, probe

    yield start
    for handle in running:
        handle.stop()
    _clear_adapter_caches()


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_trading_node_receives_quotes_and_gets_a_market_order_filled(gateway: SimulatedGateway, run_node) -> None:
    _, probe = run_node(gateway, ProbeConfig(instrument_id=EURUSD))

    assert probe.started.wait(40), "strategy never started (adapter startup or reconciliation failed)"
    _wait(lambda: len(probe.quotes) >= 5, 20, "five EUR/USD quotes")
    assert all(q.bid_price < q.ask_price for q in probe.quotes)
    _wait(lambda: len(probe.fills) >= 1, 20, "the market order fill")

    fill = probe.fills[0]
    assert fill.last_qty == Quantity.from_int(20_000)
    assert fill.order_side == OrderSide.BUY
    position = gateway.broker.position(next(s.con_id for s in gateway.universe if s.local_symbol == "EUR.USD"))
    assert position is not None and position.quantity == Decimal(20_000)
    assert fill.last_px.as_double() == pytest.approx(gateway.broker.executions()[0].price)


def test_limit_orders_fill_or_cancel_and_bars_arrive(gateway: SimulatedGateway, run_node) -> None:
    config = ProbeConfig(
        instrument_id=EURUSD,
        orders=("marketable_limit", "resting_limit"),
        cancel_resting=True,
        bar_types=("EUR/USD.IDEALPRO-5-SECOND-MID-EXTERNAL", "EUR/USD.IDEALPRO-10-SECOND-BID-EXTERNAL"),
    )
    _, probe = run_node(gateway, config)

    assert probe.started.wait(40), "strategy never started"
    _wait(lambda: len(probe.fills) >= 1 and len(probe.cancels) >= 1, 25, "a limit fill and a cancel")
    assert probe.fills[0].last_px.as_double() == pytest.approx(gateway.broker.executions()[0].price)
    assert gateway.broker.open_orders() == []
    _wait(lambda: {b.bar_type.spec.step for b in probe.bars} >= {5, 10}, 40, "5-second and 10-second bars")
    assert all(b.low <= b.open <= b.high and b.low <= b.close <= b.high for b in probe.bars)


def test_a_new_node_reconciles_the_open_order_and_position(gateway: SimulatedGateway, run_node) -> None:
    first, probe = run_node(gateway, ProbeConfig(instrument_id=EURUSD, orders=("market", "resting_limit")))
    assert probe.started.wait(40), "strategy never started"
    _wait(lambda: len(probe.fills) >= 1 and len(gateway.broker.open_orders()) == 1, 20, "a fill and a resting order")
    first.stop()

    second, probe2 = run_node(gateway, ProbeConfig(instrument_id=EURUSD, orders=()))
    assert probe2.started.wait(40), "second node never started"
    cache = second.node.kernel.cache
    _wait(lambda: len(cache.orders_open()) == 1 and len(cache.positions_open()) == 1, 20, "reconciled state")
    order, position = cache.orders_open()[0], cache.positions_open()[0]
    working = gateway.broker.open_orders()[0]
    assert order.venue_order_id.value in {str(working.order_id), f"PERM-{working.perm_id}"}
    assert order.quantity == Quantity.from_int(20_000)
    assert position.quantity == Quantity.from_int(20_000) and position.instrument_id == EURUSD
