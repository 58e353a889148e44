"""A strategy that buys once and rests one order, unless it already holds them: run, killed with -9 and run
again, it must adopt its position and working order (NautilusTrader's order claims) and place nothing twice."""

from __future__ import annotations

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.trading.strategy import Strategy


class BuyAndRestConfig(StrategyConfig, frozen=True):
    instrument_id: str = "EUR/USD.IDEALPRO"
    quantity: int = 20_000


class BuyAndRest(Strategy):
    def __init__(self, config: BuyAndRestConfig) -> None:
        super().__init__(config)
        self._instrument_id = InstrumentId.from_str(config.instrument_id)
        self._done = False

    def on_start(self) -> None:
        self._done = bool(self.cache.orders(strategy_id=self.id))
        if self._done:
            self.log.warning(f"adopted {len(self.cache.orders(strategy_id=self.id))} orders; placing nothing")
        self.subscribe_quote_ticks(self._instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        if self._done:
            return
        self._done = True
        quantity = Quantity.from_int(self.config.quantity)
        self.submit_order(self.order_factory.market(self._instrument_id, OrderSide.BUY, quantity))
        instrument = self.cache.instrument(self._instrument_id)
        price = Price(tick.bid_price.as_double() - 200 * instrument.price_increment.as_double(), 5)
        limit = self.order_factory.limit(
            self._instrument_id, OrderSide.BUY, quantity, price, time_in_force=TimeInForce.GTC
        )
        self.submit_order(limit)
