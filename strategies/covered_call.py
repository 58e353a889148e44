"""A covered call: hold shares of a stock and sell one call per 100 of them, chosen from the loaded option chain
by delta and expiry; roll it (buy it back, sell the next) as it nears expiry or goes deep in the money.

On the first quote of the stock the strategy buys `shares` at market. Once they are held it picks, among the
chain's calls on the stock expiring in `min_days`..`max_days`, the one whose delta is nearest `target_delta`,
subscribes to its quotes and, at its first quote, sells `shares / multiplier` of it at market. On every stock
quote it checks the short call: with `roll_days` or fewer left, or its delta at `roll_delta` or more, it buys
the call back at market and, once that has filled, sells the next one. A call left to expire is settled by the
broker (worthless, or assigned: the shares are called away and the strategy buys them again).

NautilusTrader's IB adapter does not deliver IB's option greeks as data, so the strategy estimates delta itself
with Black-Scholes at `volatility` (no dividends) from the stock's mid; live and in a backtest alike.

Lifecycle for authors: `on_start` finds the stock and its calls in the cache (live: `instruments.option_chains`
loads them; in a backtest: the catalog) and subscribes to the stock's quotes; `on_quote_tick` drives the steps
above; `on_order_filled` and the other order events clear the one order in flight. `on_stop` cancels working
orders and keeps the positions (a covered call is held across restarts).
"""

from __future__ import annotations

import math
from decimal import Decimal

from nautilus_trader.config import NonNegativeInt, PositiveFloat, PositiveInt, StrategyConfig
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OptionKind, OrderSide
from nautilus_trader.model.events import OrderCanceled, OrderDenied, OrderExpired, OrderFilled, OrderRejected
from nautilus_trader.model.identifiers import ClientOrderId, InstrumentId
from nautilus_trader.model.instruments import Instrument, OptionContract
from nautilus_trader.trading.strategy import Strategy

NANOS_PER_DAY = 86_400 * 1_000_000_000


class CoveredCallConfig(StrategyConfig, frozen=True):
    """Parameters of `CoveredCallStrategy`.

    underlying_id: the stock, e.g. "SPY.ARCA"; its calls must be loaded (live: instruments.option_chains).
    shares: how many shares to hold (a call is sold per multiplier of them, 100 for US options).
    target_delta: the delta of the call to sell.
    min_days / max_days: the expiries to choose from, in days from now.
    roll_days: roll the short call when this many days or fewer are left.
    roll_delta: roll it when its delta reaches this (deep in the money).
    volatility: the annual volatility the strategy's delta estimates use.
    rate: the risk-free rate they use.
    """

    underlying_id: InstrumentId
    shares: PositiveInt = 100
    target_delta: PositiveFloat = 0.30
    min_days: NonNegativeInt = 5
    max_days: PositiveInt = 45
    roll_days: NonNegativeInt = 1
    roll_delta: PositiveFloat = 0.70
    volatility: PositiveFloat = 0.16
    rate: float = 0.04


def call_delta(spot: float, strike: float, years: float, volatility: float, rate: float) -> float:
    """Black-Scholes delta of a European call without dividends."""
    t = max(years, 1e-6)
    d1 = (math.log(spot / strike) + (rate + 0.5 * volatility * volatility) * t) / (volatility * math.sqrt(t))
    return 0.5 * math.erfc(-d1 / math.sqrt(2.0))


class CoveredCallStrategy(Strategy):
    """Holds shares and sells calls against them, rolling as they expire; see the module docstring."""

    def __init__(self, config: CoveredCallConfig) -> None:
        super().__init__(config)
        self.stock: Instrument | None = None
        self.calls: list[OptionContract] = []
        self.short_call: OptionContract | None = None  # the call sold (or about to be)
        self.rolls = 0
        self._in_flight: ClientOrderId | None = None
        self._spot: float | None = None

    def on_start(self) -> None:
        """Find the stock and its calls, subscribe to the stock's quotes."""
        self.stock = self.cache.instrument(self.config.underlying_id)
        if self.stock is None:
            self.log.error(f"Instrument {self.config.underlying_id} not found in the cache")
            self.stop()
            return
        symbol = self.config.underlying_id.symbol.value
        self.calls = [
            i
            for i in self.cache.instruments()
            if isinstance(i, OptionContract) and i.underlying == symbol and i.option_kind == OptionKind.CALL
        ]
        if not self.calls:
            self.log.error(f"No calls on {symbol} in the cache (load its chain: instruments.option_chains)")
            self.stop()
            return
        self.short_call = self._held_call()
        if self.short_call is not None:
            self.subscribe_quote_ticks(self.short_call.id)
        self.subscribe_quote_ticks(self.config.underlying_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        if self._in_flight is not None:
            return
        if tick.instrument_id == self.config.underlying_id:
            self._spot = (tick.bid_price.as_double() + tick.ask_price.as_double()) / 2
            self._on_stock_quote()
        elif self.short_call is not None and tick.instrument_id == self.short_call.id:
            self._sell_call_if_due()

    def _on_stock_quote(self) -> None:
        assert self.stock is not None
        held = self._quantity(self.stock.id)
        if held < self.config.shares:
            self._submit(self.stock.id, OrderSide.BUY, Decimal(self.config.shares) - held)
            return
        if self.short_call is None:
            self.short_call = self._choose_call()
            if self.short_call is not None:
                self.subscribe_quote_ticks(self.short_call.id)
        elif self._quantity(self.short_call.id) < 0 and self._roll_due(self.short_call):
            self.rolls += 1
            self._submit(self.short_call.id, OrderSide.BUY, -self._quantity(self.short_call.id))

    def _sell_call_if_due(self) -> None:
        assert self.short_call is not None and self.stock is not None
        wanted = -Decimal(self.config.shares // int(self.short_call.multiplier.as_double()))
        short = self._quantity(self.short_call.id)
        if self._quantity(self.stock.id) >= self.config.shares and short > wanted:
            self._submit(self.short_call.id, OrderSide.SELL, short - wanted)

    def _choose_call(self) -> OptionContract | None:
        """The call expiring in min_days..max_days whose delta is nearest target_delta."""
        now = self.clock.timestamp_ns()
        window = [
            c
            for c in self.calls
            if self.config.min_days * NANOS_PER_DAY <= c.expiration_ns - now <= self.config.max_days * NANOS_PER_DAY
        ]
        if not window or self._spot is None:
            return None
        return min(window, key=lambda c: abs(self._delta(c) - self.config.target_delta))

    def _roll_due(self, call: OptionContract) -> bool:
        days_left = (call.expiration_ns - self.clock.timestamp_ns()) / NANOS_PER_DAY
        return days_left <= self.config.roll_days or self._delta(call) >= self.config.roll_delta

    def _delta(self, call: OptionContract) -> float:
        assert self._spot is not None
        years = max(call.expiration_ns - self.clock.timestamp_ns(), 0) / (365 * NANOS_PER_DAY)
        return call_delta(self._spot, call.strike_price.as_double(), years, self.config.volatility, self.config.rate)

    def _held_call(self) -> OptionContract | None:
        """A short call on the stock held from before (a restart), if any."""
        return next((c for c in self.calls if self._quantity(c.id) < 0), None)

    def _quantity(self, instrument_id: InstrumentId) -> Decimal:
        return self.portfolio.net_position(instrument_id)

    def _submit(self, instrument_id: InstrumentId, side: OrderSide, quantity: Decimal) -> None:
        instrument = self.cache.instrument(instrument_id)
        order = self.order_factory.market(instrument_id, side, instrument.make_qty(quantity))
        self._in_flight = order.client_order_id
        self.submit_order(order)

    def on_order_filled(self, event: OrderFilled) -> None:
        order = self.cache.order(event.client_order_id)
        if order is None or not order.is_closed or event.client_order_id != self._in_flight:
            return
        self._in_flight = None
        bought_back = self.short_call is not None and event.instrument_id == self.short_call.id
        if bought_back and event.order_side == OrderSide.BUY and self._quantity(self.short_call.id) == 0:
            self.unsubscribe_quote_ticks(self.short_call.id)
            self.short_call = None  # the next stock quote chooses the next call

    def on_order_rejected(self, event: OrderRejected) -> None:
        self._order_ended(event.client_order_id)

    def on_order_denied(self, event: OrderDenied) -> None:
        self._order_ended(event.client_order_id)

    def on_order_canceled(self, event: OrderCanceled) -> None:
        self._order_ended(event.client_order_id)

    def on_order_expired(self, event: OrderExpired) -> None:
        self._order_ended(event.client_order_id)

    def _order_ended(self, client_order_id: ClientOrderId) -> None:
        if client_order_id == self._in_flight:
            self._in_flight = None

    def on_stop(self) -> None:
        """Cancel working orders; the shares and the short call stay."""
        self.cancel_all_orders(self.config.underlying_id)
        if self.short_call is not None:
            self.cancel_all_orders(self.short_call.id)

    def on_reset(self) -> None:
        self.short_call = None
        self.rolls = 0
        self._in_flight = None
        self._spot = None
