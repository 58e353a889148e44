"""End to end: NautilusTrader's trailing stops, an IB price condition and a what-if order through the unmodified
IB adapter (1.231) in a TradingNode against the simulated gateway, on SPY with prices moved by the gateway's
fault controller."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from nautilus_trader.adapters.interactive_brokers.common import IBOrderTags
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide, OrderStatus, TrailingOffsetType
from nautilus_trader.model.events import OrderEvent, OrderFilled, OrderRejected
from nautilus_trader.model.identifiers import ClientOrderId, InstrumentId
from nautilus_trader.model.objects import Quantity
from nautilus_trader.trading.strategy import Strategy

from nautilus_node.simgateway import SimulatedGateway

from .live_nodes import wait_until

pytestmark = pytest.mark.e2e

SPY = InstrumentId.from_str("SPY.ARCA")


class OneOrderConfig(StrategyConfig, frozen=True):
    kind: str  # trail | trail_limit | price_condition | what_if
    condition_price: float = 0.0
    condition_con_id: int = 0
    quotes_before_order: int = 3


class OneOrder(Strategy):
    """Once SPY quotes flow, submits one order of the configured kind and records its events."""

    def __init__(self, config: OneOrderConfig) -> None:
        super().__init__(config)
        self.events: list[OrderEvent] = []
        self.order_id: ClientOrderId | None = None
        self.submitted = threading.Event()
        self._quotes = 0

    def on_start(self) -> None:
        self.subscribe_quote_ticks(SPY)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self._quotes += 1
        if self._quotes != self.config.quotes_before_order:
            return
        qty = Quantity.from_int(10)
        factory = self.order_factory
        kind = self.config.kind
        if kind == "trail":
            order = factory.trailing_stop_market(SPY, OrderSide.SELL, qty, trailing_offset=Decimal("1.00"))
        elif kind == "trail_limit":
            order = factory.trailing_stop_limit(
                SPY,
                OrderSide.BUY,
                qty,
                limit_offset=Decimal("0.50"),
                trailing_offset=Decimal("50"),  # basis points: 0.5 %
                trailing_offset_type=TrailingOffsetType.BASIS_POINTS,
            )
        else:
            conditions = []
            if kind == "price_condition":
                price = {"conId": self.config.condition_con_id, "isMore": True, "price": self.config.condition_price}
                conditions = [{"type": "price", **price}]
            tags = IBOrderTags(whatIf=kind == "what_if", conditions=conditions)
            order = factory.market(SPY, OrderSide.BUY, qty, tags=[tags.value])
        self.order_id = order.client_order_id
        self.submit_order(order)
        self.submitted.set()

    def on_order_event(self, event: OrderEvent) -> None:
        self.events.append(event)

    @property
    def status(self) -> OrderStatus | None:
        order = self.cache.order(self.order_id) if self.order_id is not None else None
        return order.status if order is not None else None


def _start(gateway: SimulatedGateway, run_strategy, config: OneOrderConfig) -> OneOrder:
    strategy = OneOrder(config)
    run_strategy(gateway, strategy)
    assert strategy.submitted.wait(40), "the strategy never submitted (adapter startup or market data failed)"
    return strategy


def _working(gateway: SimulatedGateway):
    wait_until(lambda: len(gateway.broker.open_orders()) == 1, 20, "the order to work on the gateway")
    return gateway.broker.open_orders()[0]


def _mid(gateway: SimulatedGateway) -> float:
    spec = next(s for s in gateway.universe if s.local_symbol == "SPY")
    return round(gateway.broker.market_price(spec), 2)


def test_a_nautilus_trailing_stop_market_follows_spy_up_and_fills_when_it_turns(
    gateway: SimulatedGateway, run_strategy
) -> None:
    strategy = _start(gateway, run_strategy, OneOrderConfig(kind="trail"))
    order = _working(gateway)
    assert (order.request.order_type, order.request.aux_price, order.status) == ("TRAIL", 1.0, "Submitted")
    mid = _mid(gateway)
    gateway.faults.set_price("SPY", mid + 3)
    wait_until(lambda: (gateway.broker.open_orders() or [order])[0].trail_stop >= mid + 1.5, 10, "the stop to rise")
    stop = gateway.broker.open_orders()[0].trail_stop
    gateway.faults.set_price("SPY", stop - 1)
    wait_until(lambda: strategy.status == OrderStatus.FILLED, 20, "the trailing stop to fill")
    fill = next(e for e in strategy.events if isinstance(e, OrderFilled))
    assert fill.order_side == OrderSide.SELL and fill.last_px.as_double() <= stop


def test_a_nautilus_trailing_stop_limit_by_basis_points_fills_at_its_limit_offset(
    gateway: SimulatedGateway, run_strategy
) -> None:
    strategy = _start(gateway, run_strategy, OneOrderConfig(kind="trail_limit"))
    order = _working(gateway)
    req = order.request
    assert (req.order_type, req.trailing_percent, req.lmt_price_offset) == ("TRAIL LIMIT", 0.5, 0.5)
    stop = order.trail_stop
    assert stop is not None
    gateway.faults.set_price("SPY", stop + 0.1)
    wait_until(lambda: strategy.status == OrderStatus.FILLED, 20, "the trailing limit to fill")
    fill = next(e for e in strategy.events if isinstance(e, OrderFilled))
    assert fill.order_side == OrderSide.BUY and fill.last_px.as_double() <= stop + 0.5 + 1e-9


def test_a_nautilus_order_with_an_ib_price_condition_waits_for_the_price(
    gateway: SimulatedGateway, run_strategy
) -> None:
    spy_id = next(s.con_id for s in gateway.universe if s.local_symbol == "SPY")
    threshold = round(_spy_start(gateway) + 50, 2)
    config = OneOrderConfig(kind="price_condition", condition_price=threshold, condition_con_id=spy_id)
    strategy = _start(gateway, run_strategy, config)
    order = _working(gateway)
    assert order.status == "PreSubmitted" and order.awaiting_conditions
    wait_until(lambda: strategy.status == OrderStatus.ACCEPTED, 20, "the conditional order to be accepted")
    assert gateway.broker.executions() == []
    gateway.faults.set_price("SPY", threshold + 5)
    wait_until(lambda: strategy.status == OrderStatus.FILLED, 20, "the conditional order to fill")


def _spy_start(gateway: SimulatedGateway) -> float:
    return next(s.start_price for s in gateway.universe if s.local_symbol == "SPY")


def test_a_nautilus_what_if_order_is_answered_with_margin_and_not_placed(
    gateway: SimulatedGateway, run_strategy
) -> None:
    """The adapter reports IB's what-if answer as a rejection whose reason holds the OrderState."""
    strategy = _start(gateway, run_strategy, OneOrderConfig(kind="what_if"))
    wait_until(lambda: strategy.status == OrderStatus.REJECTED, 20, "the what-if answer")
    rejected = next(e for e in strategy.events if isinstance(e, OrderRejected))
    assert '"initMarginChange"' in rejected.reason and '"commissionAndFeesCurrency": "USD"' in rejected.reason
    assert gateway.broker.open_orders() == [] and gateway.broker.executions() == []
