"""Strategies the operator tests run in real nodes."""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Quantity
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
