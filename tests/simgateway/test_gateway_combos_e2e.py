"""End to end: a NautilusTrader 1.231 futures spread (an ES calendar, a generic spread instrument id) through the
unmodified IB adapter: the adapter builds the BAG from the legs, quotes it from the gateway and its order fills
as one combo with a fill per leg."""

from __future__ import annotations

import threading

import pytest
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide, OrderStatus
from nautilus_trader.model.events import OrderEvent, OrderFilled
from nautilus_trader.model.identifiers import ClientOrderId, InstrumentId, new_generic_spread_id
from nautilus_trader.model.objects import Quantity
from nautilus_trader.trading.strategy import Strategy

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.combos import COMBO_CON_ID

from .live_nodes import wait_until

pytestmark = pytest.mark.e2e


class SpreadOrderConfig(StrategyConfig, frozen=True):
    spread_id: InstrumentId


class SpreadOrder(Strategy):
    """On the spread's first quote, buys one spread at market; records its order events."""

    def __init__(self, config: SpreadOrderConfig) -> None:
        super().__init__(config)
        self.events: list[OrderEvent] = []
        self.quotes: list[QuoteTick] = []
        self.order_id: ClientOrderId | None = None
        self.submitted = threading.Event()

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self.config.spread_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.quotes.append(tick)
        if self.order_id is None:
            order = self.order_factory.market(self.config.spread_id, OrderSide.BUY, Quantity.from_int(1))
            self.order_id = order.client_order_id
            self.submit_order(order)
            self.submitted.set()

    def on_order_event(self, event: OrderEvent) -> None:
        self.events.append(event)


def test_a_nautilus_es_calendar_spread_is_quoted_and_fills_as_one_combo_with_a_fill_per_leg(
    gateway: SimulatedGateway, run_strategy
) -> None:
    front, back = sorted((s for s in gateway.universe if s.symbol == "ES"), key=lambda s: s.last_trade_date)[:2]
    gateway.faults.set_price(front.local_symbol, 5800.0)  # a calendar spread well away from zero: NautilusTrader
    gateway.faults.set_price(back.local_symbol, 5830.0)  # takes an average fill price of 0 for no price at all
    legs = [(InstrumentId.from_str(f"{s.local_symbol}.CME"), ratio) for s, ratio in ((front, 1), (back, -1))]
    spread_id = new_generic_spread_id(legs)
    strategy = SpreadOrder(SpreadOrderConfig(spread_id=spread_id))
    run_strategy(gateway, strategy, frozenset([spread_id]))
    assert strategy.submitted.wait(60), "no spread quote reached the strategy"
    wait_until(lambda: _status(strategy) == OrderStatus.FILLED, 30, "the spread order to fill")

    tick = strategy.quotes[0]
    assert tick.bid_price < tick.ask_price and tick.ask_price.as_double() < 0
    combo_fills = [e for e in strategy.events if isinstance(e, OrderFilled) and e.instrument_id == spread_id]
    assert len(combo_fills) == 1 and combo_fills[0].last_qty == Quantity.from_int(1)
    executions = {ex.spec.con_id: ex for ex in gateway.broker.executions()}
    assert set(executions) == {front.con_id, back.con_id, COMBO_CON_ID}
    net = executions[front.con_id].price - executions[back.con_id].price
    assert executions[COMBO_CON_ID].price == net
    # The adapter prices its combo fill at the first leg's execution price and carries the combo's average price
    # (orderStatus avgFillPrice: the net price) beside it.
    assert combo_fills[0].info["avg_px"].as_double() == pytest.approx(net)
    positions = {p.spec.con_id: p.quantity for p in gateway.broker.positions()}
    assert positions == {front.con_id: 1, back.con_id: -1}
    legs_held = {p.instrument_id for p in strategy.cache.positions_open()}
    assert legs_held == {leg for leg, _ in legs}  # the adapter books each leg fill as a position


def _status(strategy: SpreadOrder) -> OrderStatus | None:
    order = strategy.cache.order(strategy.order_id) if strategy.order_id is not None else None
    return order.status if order is not None else None
