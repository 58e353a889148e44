"""Quote-driven mean reversion with limit entries and protective exits.

The strategy keeps an EMA of the mid price over the quote stream. When the mid has moved `entry_bps` away
from that mean and no trade is on, it joins the touch with a limit order toward the mean (a buy at the bid
when price is below the mean, a sell at the ask when above). Once the entry has filled, the strategy places
the exits: a take-profit limit and a protective stop, one-cancels-the-other (when one closes the position,
the strategy cancels the other). An entry that has not filled within `entry_timeout_secs` is canceled, so
stale entries never linger. Quotes wider than `max_spread_bps` are ignored, and after a rejected order the
strategy waits `entry_timeout_secs` before it enters again (no order storm against a venue that refuses).

The entry is a plain GTC limit order and the exits follow its fill, sized to what actually filled. A venue-side
bracket (`order_factory.bracket`) is the alternative: IB and the simulated IB Gateway link its orders (children
work once the entry fills, one exit's fill cancels the other), and so does a backtest.

Lifecycle for authors: `on_start` finds the instrument and subscribes to quotes; every `on_quote_tick` updates
the mean and may submit one entry; `on_order_filled` / `on_order_canceled` place the exits for what the entry
filled; `on_position_closed` cancels the exit that is left. `on_stop` cancels orders and flattens.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from nautilus_trader.common.events import TimeEvent
from nautilus_trader.config import PositiveFloat, PositiveInt, StrategyConfig
from nautilus_trader.core.datetime import secs_to_nanos
from nautilus_trader.indicators import ExponentialMovingAverage
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide, PriceType, TimeInForce
from nautilus_trader.model.events import OrderCanceled, OrderDenied, OrderFilled, OrderRejected, PositionClosed
from nautilus_trader.model.identifiers import ClientOrderId, InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Price
from nautilus_trader.trading.strategy import Strategy


class QuoteReversionConfig(StrategyConfig, frozen=True):
    """Parameters of `QuoteReversionStrategy`.

    instrument_id: what to trade, e.g. "EUR/USD.IDEALPRO".
    trade_size: quantity of each entry.
    ema_period: length of the mid-price EMA, in quotes.
    entry_bps: how far (basis points of price) the mid must be from the mean to enter.
    take_profit_bps / stop_loss_bps: distance of the exits from the entry's average fill price.
    entry_timeout_secs: an unfilled entry is canceled after this long; also the pause after a rejection.
    max_spread_bps: quotes with a wider spread are ignored.
    allow_short: when false only long entries are made.
    """

    instrument_id: InstrumentId
    trade_size: Decimal
    ema_period: PositiveInt = 500
    entry_bps: PositiveFloat = 3.0
    take_profit_bps: PositiveFloat = 3.0
    stop_loss_bps: PositiveFloat = 6.0
    entry_timeout_secs: PositiveFloat = 60.0
    max_spread_bps: PositiveFloat = 2.0
    allow_short: bool = True


class QuoteReversionStrategy(Strategy):
    """Fades moves away from a quote EMA with limit entries and protective exits; see the module docstring."""

    def __init__(self, config: QuoteReversionConfig) -> None:
        super().__init__(config)
        self.mean = ExponentialMovingAverage(config.ema_period, price_type=PriceType.MID)
        self.instrument: Instrument | None = None
        self._entry_id: ClientOrderId | None = None
        self._paused_until_ns = 0

    def on_start(self) -> None:
        """Find the instrument, feed the mean from quotes, subscribe."""
        self.instrument = self.cache.instrument(self.config.instrument_id)
        if self.instrument is None:
            self.log.error(f"Instrument {self.config.instrument_id} not found in the cache")
            self.stop()
            return
        self.register_indicator_for_quote_ticks(self.config.instrument_id, self.mean)
        self.subscribe_quote_ticks(self.config.instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        """Enter when the mid is stretched away from the mean and nothing is on."""
        if not self.mean.initialized or not self._idle():
            return
        bid, ask = tick.bid_price.as_double(), tick.ask_price.as_double()
        mid = (bid + ask) / 2
        if (ask - bid) / mid * 10_000 > self.config.max_spread_bps:
            return
        stretch = (mid - self.mean.value) / self.mean.value * 10_000
        if stretch <= -self.config.entry_bps:
            self._enter(OrderSide.BUY, bid)
        elif stretch >= self.config.entry_bps and self.config.allow_short:
            self._enter(OrderSide.SELL, ask)

    def on_order_filled(self, event: OrderFilled) -> None:
        """A completely filled entry gets its exits."""
        if event.client_order_id == self._entry_id and self.cache.order(event.client_order_id).is_closed:
            self._place_exits()

    def on_order_canceled(self, event: OrderCanceled) -> None:
        """An entry canceled after a partial fill gets exits for what it filled."""
        if event.client_order_id == self._entry_id:
            self._place_exits()

    def on_order_rejected(self, event: OrderRejected) -> None:
        """Pause entries after a rejection."""
        self._paused_until_ns = self.clock.timestamp_ns() + secs_to_nanos(self.config.entry_timeout_secs)
        if event.client_order_id == self._entry_id:
            self._entry_id = None

    def on_order_denied(self, event: OrderDenied) -> None:
        """An entry the risk engine denied never reached the venue: a new one may follow."""
        if event.client_order_id == self._entry_id:
            self._entry_id = None

    def on_position_closed(self, event: PositionClosed) -> None:
        """One exit closed the position: cancel the other."""
        self.cancel_all_orders(self.config.instrument_id)

    def on_stop(self) -> None:
        """Cancel working orders and flatten."""
        self.cancel_all_orders(self.config.instrument_id)
        self.close_all_positions(self.config.instrument_id)

    def on_reset(self) -> None:
        """Forget the mean and the last entry between runs."""
        self.mean.reset()
        self._entry_id = None
        self._paused_until_ns = 0

    def _idle(self) -> bool:
        instrument_id = self.config.instrument_id
        # A submitted entry is tracked until it fills or ends: live, it may not be "open" or "in flight" yet.
        return (
            self._entry_id is None
            and self.clock.timestamp_ns() >= self._paused_until_ns
            and not self.cache.positions_open_count(instrument_id=instrument_id, strategy_id=self.id)
            and not self.cache.orders_open_count(instrument_id=instrument_id, strategy_id=self.id)
            and not self.cache.orders_inflight_count(instrument_id=instrument_id, strategy_id=self.id)
        )

    def _enter(self, side: OrderSide, price: float) -> None:
        order = self.order_factory.limit(
            instrument_id=self.config.instrument_id,
            order_side=side,
            quantity=self.instrument.make_qty(self.config.trade_size),
            price=self._on_tick(price, up=side == OrderSide.SELL),
            time_in_force=TimeInForce.GTC,
        )
        self._entry_id = order.client_order_id
        self.submit_order(order)
        expire_ns = self.clock.timestamp_ns() + secs_to_nanos(self.config.entry_timeout_secs)
        self.clock.set_time_alert_ns(f"entry-timeout-{order.client_order_id}", expire_ns, self._on_entry_timeout)

    def _on_entry_timeout(self, event: TimeEvent) -> None:
        entry = self.cache.order(self._entry_id) if self._entry_id is not None else None
        if entry is not None and entry.is_open and event.name.endswith(str(entry.client_order_id)):
            self.cancel_order(entry)

    def _place_exits(self) -> None:
        """Take-profit limit and protective stop for the entry's filled quantity, on the other side."""
        entry = self.cache.order(self._entry_id)
        self._entry_id = None
        if entry.filled_qty <= 0:
            return
        buy = entry.side == OrderSide.BUY
        sign = 1 if buy else -1
        price = entry.avg_px
        exit_side = OrderSide.SELL if buy else OrderSide.BUY
        take_profit = self.order_factory.limit(
            instrument_id=self.config.instrument_id,
            order_side=exit_side,
            quantity=entry.filled_qty,
            price=self._on_tick(price * (1 + sign * self.config.take_profit_bps / 10_000), up=buy),
            time_in_force=TimeInForce.GTC,
        )
        stop_loss = self.order_factory.stop_market(
            instrument_id=self.config.instrument_id,
            order_side=exit_side,
            quantity=entry.filled_qty,
            trigger_price=self._on_tick(price * (1 - sign * self.config.stop_loss_bps / 10_000), up=not buy),
            time_in_force=TimeInForce.GTC,
        )
        self.submit_order(take_profit)
        self.submit_order(stop_loss)

    def _on_tick(self, price: float, up: bool) -> Price:
        """`price` on the instrument's tick grid (IB rejects off-grid prices), rounded away from the market
        for entries and stops, toward a better fill for take-profits."""
        tick = self.instrument.price_increment.as_decimal()
        steps = (Decimal(repr(price)) / tick).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
        return self.instrument.make_price(steps * tick)
