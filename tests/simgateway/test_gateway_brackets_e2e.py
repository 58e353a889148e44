"""End to end: NautilusTrader bracket and GTD orders through the unmodified IB adapter in a TradingNode
against the simulated gateway, on its live EUR.USD random walk (no prices are forced)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from nautilus_trader.model.events import OrderAccepted, OrderEvent, OrderFilled
from nautilus_trader.model.identifiers import ClientOrderId, InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.trading.strategy import Strategy

from nautilus_node.simgateway import SimulatedGateway

from .live_nodes import wait_until

pytestmark = pytest.mark.e2e

EURUSD = InstrumentId.from_str("EUR/USD.IDEALPRO")


class LinkedOrdersConfig(StrategyConfig, frozen=True):
    instrument_id: InstrumentId
    kind: str = "bracket"  # bracket: MARKET entry with LIMIT take-profit and STOP_MARKET stop; gtd: a GTD limit
    exit_ticks: int = 4  # take-profit / stop distance from the touch, in ticks
    gtd_seconds: float = 3.0
    quotes_before_orders: int = 5


class LinkedOrders(Strategy):
    """Once quotes flow, submits one bracket (or one resting GTD limit) and records every order event."""

    def __init__(self, config: LinkedOrdersConfig) -> None:
        super().__init__(config)
        self.events: list[OrderEvent] = []
        self.ids: dict[str, ClientOrderId] = {}
        self.started = threading.Event()
        self._quotes = 0

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self.config.instrument_id)
        self.started.set()

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self._quotes += 1
        if self._quotes != self.config.quotes_before_orders:
            return
        instrument = self.cache.instrument(self.config.instrument_id)
        offset = self.config.exit_ticks * instrument.price_increment.as_double()
        qty = Quantity.from_int(20_000)
        if self.config.kind == "gtd":
            price = Price(tick.bid_price.as_double() - 50 * offset, instrument.price_precision)
            expire = self.clock.utc_now() + dt.timedelta(seconds=self.config.gtd_seconds)
            order = self.order_factory.limit(
                self.config.instrument_id, OrderSide.BUY, qty, price, time_in_force=TimeInForce.GTD, expire_time=expire
            )
            self.ids["gtd"] = order.client_order_id
            self.submit_order(order)
            return
        bracket = self.order_factory.bracket(
            self.config.instrument_id,
            OrderSide.BUY,
            qty,
            tp_price=Price(tick.ask_price.as_double() + offset, instrument.price_precision),
            sl_trigger_price=Price(tick.bid_price.as_double() - offset, instrument.price_precision),
            tp_post_only=False,
        )
        by_type = {order.order_type: order.client_order_id for order in bracket.orders}
        self.ids.update(entry=by_type[OrderType.MARKET], tp=by_type[OrderType.LIMIT], sl=by_type[OrderType.STOP_MARKET])
        self.submit_order_list(bracket)

    def on_order_event(self, event: OrderEvent) -> None:
        self.events.append(event)

    def status(self, name: str) -> OrderStatus | None:
        order = self.cache.order(self.ids[name]) if name in self.ids else None
        return order.status if order is not None else None

    def index(self, name: str, event_type: type) -> int:
        """Position in the event sequence of the first ``event_type`` event of order ``name``."""
        return next(
            i for i, e in enumerate(self.events) if isinstance(e, event_type) and e.client_order_id == self.ids[name]
        )


def test_a_nautilus_bracket_fills_its_entry_then_one_exit_and_the_gateway_cancels_the_other(
    gateway: SimulatedGateway, run_strategy
) -> None:
    """The adapter sends the bracket as entry + take-profit with transmit=False and the stop with
    transmit=True. IB (and so the gateway) acknowledges each order at once with openOrder PreSubmitted,
    which the adapter turns into OrderAccepted: the exits are ACCEPTED before the entry fills, but they
    only work (and can fill) after it has. The losing exit is cancelled by the gateway, not by
    NautilusTrader (the strategy does not manage contingent orders)."""
    strategy = LinkedOrders(LinkedOrdersConfig(instrument_id=EURUSD))
    node = run_strategy(gateway, strategy)
    assert strategy.started.wait(40), "strategy never started (adapter startup or reconciliation failed)"

    terminal = {OrderStatus.FILLED, OrderStatus.CANCELED}
    wait_until(lambda: {strategy.status(n) for n in ("tp", "sl")} <= terminal, 40, "both exits to finish")

    assert strategy.status("entry") == OrderStatus.FILLED
    winner, loser = ("tp", "sl") if strategy.status("tp") == OrderStatus.FILLED else ("sl", "tp")
    assert (strategy.status(winner), strategy.status(loser)) == (OrderStatus.FILLED, OrderStatus.CANCELED)
    entry_fill = strategy.index("entry", OrderFilled)
    assert strategy.index(winner, OrderAccepted) < entry_fill < strategy.index(winner, OrderFilled)
    fills = [e for e in strategy.events if isinstance(e, OrderFilled)]
    assert [f.client_order_id for f in fills] == [strategy.ids["entry"], strategy.ids[winner]]
    assert fills[1].order_side == OrderSide.SELL and fills[1].last_qty == Quantity.from_int(20_000)

    wait_until(lambda: node.node.portfolio.is_flat(EURUSD), 10, "the position to be flat")
    position = gateway.broker.position(next(s.con_id for s in gateway.universe if s.local_symbol == "EUR.USD"))
    assert position is not None and position.quantity == Decimal(0)
    assert gateway.broker.open_orders() == []


def test_a_nautilus_gtd_limit_is_cancelled_by_the_gateway_when_it_expires(
    gateway: SimulatedGateway, run_strategy
) -> None:
    """The adapter sends expire_time as goodTillDate ``yyyymmdd hh:mm:ss UTC``; at that time the gateway
    cancels the order (orderStatus Cancelled, as IB does) and the adapter maps IB's Cancelled to
    CANCELED, not EXPIRED."""
    strategy = LinkedOrders(LinkedOrdersConfig(instrument_id=EURUSD, kind="gtd", gtd_seconds=3.0))
    run_strategy(gateway, strategy)
    assert strategy.started.wait(40), "strategy never started"

    wait_until(lambda: strategy.status("gtd") == OrderStatus.ACCEPTED, 20, "the GTD order to be accepted")
    working = gateway.broker.open_orders()
    assert len(working) == 1 and working[0].request.tif == "GTD"
    assert working[0].request.good_till_date.endswith(" UTC")
    wait_until(lambda: strategy.status("gtd") == OrderStatus.CANCELED, 20, "the GTD order to be cancelled")
    assert gateway.broker.open_orders() == [] and gateway.broker.executions() == []


def test_a_nautilus_brackets_take_profit_fill_cancels_its_stop(gateway: SimulatedGateway, run_strategy) -> None:
    """Exits 40 ticks away (the walk does not reach them by itself); once the entry has filled, EUR.USD is moved
    through the take-profit: it fills and the gateway cancels the stop."""
    strategy = LinkedOrders(LinkedOrdersConfig(instrument_id=EURUSD, exit_ticks=40))
    run_strategy(gateway, strategy)
    assert strategy.started.wait(40), "strategy never started"
    wait_until(lambda: strategy.status("entry") == OrderStatus.FILLED, 30, "the entry to fill")
    wait_until(lambda: strategy.status("tp") == OrderStatus.ACCEPTED, 20, "the take-profit to work")
    take_profit = strategy.cache.order(strategy.ids["tp"]).price.as_double()
    gateway.faults.set_price("EUR.USD", take_profit + 0.001)
    wait_until(lambda: strategy.status("tp") == OrderStatus.FILLED, 20, "the take-profit to fill")
    wait_until(lambda: strategy.status("sl") == OrderStatus.CANCELED, 20, "the stop to be cancelled")
    fills = [e.client_order_id for e in strategy.events if isinstance(e, OrderFilled)]
    assert fills == [strategy.ids["entry"], strategy.ids["tp"]]
    assert gateway.broker.open_orders() == []
