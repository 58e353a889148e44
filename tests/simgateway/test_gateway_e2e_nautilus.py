"""End to end: the unmodified NautilusTrader IB adapter in a TradingNode against the simulated gateway, on the
text stack (a gateway serving up to 200) and on the protobuf one (223, what NautilusTrader's ibapi negotiates)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from nautilus_trader.config import (
    StrategyConfig,
)
from nautilus_trader.model.data import Bar, BarType, QuoteTick
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.events import OrderCanceled, OrderFilled
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.trading.strategy import Strategy

from nautilus_node.simgateway import SimulatedGateway

from .conftest import TWO_STACKS
from .live_nodes import RunningNode, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("gateway", TWO_STACKS, indirect=True)]

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


@pytest.fixture
def run_node(run_strategy) -> Callable[[SimulatedGateway, ProbeConfig], tuple[RunningNode, Probe]]:
    def start(gateway: SimulatedGateway, probe_config: ProbeConfig) -> tuple[RunningNode, Probe]:
        probe = Probe(probe_config)
        return run_strategy(gateway, probe), probe

    return start


def test_trading_node_receives_quotes_and_gets_a_market_order_filled(gateway: SimulatedGateway, run_node) -> None:
    _, probe = run_node(gateway, ProbeConfig(instrument_id=EURUSD))
    assert probe.started.wait(40), "strategy never started (adapter startup or reconciliation failed)"
    assert gateway.session_versions == [gateway.server_version]  # 200 on the text stack, 223 on protobuf
    wait_until(lambda: len(probe.quotes) >= 5, 20, "five EUR/USD quotes")
    assert all(q.bid_price < q.ask_price for q in probe.quotes)
    wait_until(lambda: len(probe.fills) >= 1, 20, "the market order fill")

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
    wait_until(lambda: len(probe.fills) >= 1 and len(probe.cancels) >= 1, 25, "a limit fill and a cancel")
    assert probe.fills[0].last_px.as_double() == pytest.approx(gateway.broker.executions()[0].price)
    assert gateway.broker.open_orders() == []
    wait_until(lambda: {b.bar_type.spec.step for b in probe.bars} >= {5, 10}, 40, "5-second and 10-second bars")
    assert all(b.low <= b.open <= b.high and b.low <= b.close <= b.high for b in probe.bars)


def test_a_new_node_reconciles_the_open_order_and_position(gateway: SimulatedGateway, run_node) -> None:
    first, probe = run_node(gateway, ProbeConfig(instrument_id=EURUSD, orders=("market", "resting_limit")))
    assert probe.started.wait(40), "strategy never started"
    wait_until(
        lambda: len(probe.fills) >= 1 and len(gateway.broker.open_orders()) == 1, 20, "a fill and a resting order"
    )
    first.stop()

    second, probe2 = run_node(gateway, ProbeConfig(instrument_id=EURUSD, orders=()))
    assert probe2.started.wait(40), "second node never started"
    cache = second.node.kernel.cache
    wait_until(lambda: len(cache.orders_open()) == 1 and len(cache.positions_open()) == 1, 20, "reconciled state")
    order, position = cache.orders_open()[0], cache.positions_open()[0]
    working = gateway.broker.open_orders()[0]
    assert order.venue_order_id.value in {str(working.order_id), f"PERM-{working.perm_id}"}
    assert order.quantity == Quantity.from_int(20_000)
    assert position.quantity == Quantity.from_int(20_000) and position.instrument_id == EURUSD
