"""Strategies the status tests run in real nodes (backtest and live)."""

from __future__ import annotations

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.trading.strategy import Strategy


class BuyOnceConfig(StrategyConfig, frozen=True):
    instrument_id: str
    quantity: int = 10_000
    buy: bool = True
    after_quotes: int = 1


class BuyOnce(Strategy):
    """Subscribes to quotes and (when `buy`) buys once, on the `after_quotes`-th quote."""

    def __init__(self, config: BuyOnceConfig) -> None:
        super().__init__(config)
        self._instrument_id = InstrumentId.from_str(config.instrument_id)
        self._bought = not config.buy
        self._quotes = 0

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self._instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self._quotes += 1
        if not self._bought and self._quotes >= self.config.after_quotes:
            self._bought = True
            quantity = Quantity.from_int(self.config.quantity)
            self.submit_order(self.order_factory.market(self._instrument_id, OrderSide.BUY, quantity))


class RestingOrdersConfig(StrategyConfig, frozen=True):
    instrument_id: str


class RestingOrders(Strategy):
    """On the first quote, leaves two orders working far from the market: a GTC buy limit and a DAY sell
    stop-limit."""

    def __init__(self, config: RestingOrdersConfig) -> None:
        super().__init__(config)
        self._instrument_id = InstrumentId.from_str(config.instrument_id)
        self._placed = False

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self._instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        if self._placed:
            return
        self._placed = True
        quantity = Quantity.from_int(10_000)
        self.submit_order(
            self.order_factory.limit(
                self._instrument_id, OrderSide.BUY, quantity, Price.from_str("1.00000"), time_in_force=TimeInForce.GTC
            )
        )
        self.submit_order(
            self.order_factory.stop_limit(
                self._instrument_id,
                OrderSide.SELL,
                quantity,
                price=Price.from_str("0.99000"),
                trigger_price=Price.from_str("0.99500"),
                time_in_force=TimeInForce.DAY,
            )
        )
