"""Strategies the operator tests run in real nodes."""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.trading.strategy import Strategy


class BracketOnceConfig(StrategyConfig, frozen=True):
    instrument_id: str
    quantity: int = 10_000


class BracketOnce(Strategy):
    """On the first quote, submits one BUY market bracket: take-profit and stop-loss 50 pips away."""

    def __init__(self, config: BracketOnceConfig) -> None:
        super().__init__(config)
        self._instrument_id = InstrumentId.from_str(config.instrument_id)
        self._done = False

    def on_start(self) -> None:
        self.subscribe_quote_ticks(self._instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        if self._done:
            return
        self._done = True
        instrument = self.cache.instrument(self._instrument_id)
        mid = (tick.bid_price.as_decimal() + tick.ask_price.as_decimal()) / 2
        bracket = self.order_factory.bracket(
            self._instrument_id,
            OrderSide.BUY,
            Quantity.from_int(self.config.quantity),
            sl_trigger_price=instrument.make_price(mid - Decimal("0.005")),
            tp_price=instrument.make_price(mid + Decimal("0.005")),
        )
        self.submit_order_list(bracket)


class RestingLimitsConfig(StrategyConfig, frozen=True):
    limits: dict[str, str]  # instrument id -> buy limit price (far below the market)
    quantity: int = 1


class RestingLimits(Strategy):
    """Once every instrument has quoted, leaves one GTC buy limit working on each: orders of one strategy on
    several instruments."""

    def __init__(self, config: RestingLimitsConfig) -> None:
        super().__init__(config)
        self._waiting = {InstrumentId.from_str(key): price for key, price in config.limits.items()}

    def on_start(self) -> None:
        for instrument_id in self._waiting:
            self.subscribe_quote_ticks(instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        price = self._waiting.pop(tick.instrument_id, None)
        if price is None:
            return
        self.submit_order(
            self.order_factory.limit(
                tick.instrument_id,
                OrderSide.BUY,
                Quantity.from_int(self.config.quantity),
                Price.from_str(price),
                time_in_force=TimeInForce.GTC,
            )
        )
