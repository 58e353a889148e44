"""EMA cross trend follower on bars: long when the fast EMA crosses above the slow one, short (or flat)
when it crosses below.

How it differs from NautilusTrader's `nautilus_trader.examples.strategies.ema_cross.EMACross` (which a config
can name directly): it acts on the *cross* rather than on the EMA regime, so a position closed by hand is not
re-opened on the next bar; a cross must clear a configurable gap (`min_gap_bps`) which filters the whipsaw
trades that dominate a minute-bar run; a reversal is one market order for the difference to the target
position, so IB's per-order commission minimum is paid once per reversal rather than twice; shorting can be
switched off; and it does not log every bar.

Lifecycle for authors: `on_start` looks up the instrument, registers the EMAs for the bar type, optionally
requests history to warm them up (live), and subscribes to bars. Each `on_bar` updates the EMAs (NautilusTrader
does that before calling us), turns them into a signal and trades toward the signal's target position.
`on_stop` cancels working orders and, if configured, flattens.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from nautilus_trader.config import NonNegativeFloat, PositiveInt, StrategyConfig
from nautilus_trader.indicators import ExponentialMovingAverage
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.trading.strategy import Strategy


class EMACrossConfig(StrategyConfig, frozen=True):
    """Parameters of `EMACrossStrategy`.

    instrument_id: what to trade, e.g. "EUR/USD.IDEALPRO".
    bar_type: the bars driving the EMAs, e.g. "EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL".
    trade_size: the absolute position held while a trend is on (units of the base currency, shares, ...).
    fast_ema_period / slow_ema_period: EMA lengths in bars; fast must be shorter than slow.
    min_gap_bps: the fast EMA must be this many basis points of price above (below) the slow one for a cross
        up (down) to count; 0 acts on every cross.
    allow_short: when false a cross down only closes the long position.
    history_days: days of bars requested at start to warm up the EMAs (live); 0 requests none.
    time_in_force: time in force of the market orders.
    close_positions_on_stop: flatten the instrument when the strategy stops.
    """

    instrument_id: InstrumentId
    bar_type: BarType
    trade_size: Decimal
    fast_ema_period: PositiveInt = 10
    slow_ema_period: PositiveInt = 20
    min_gap_bps: NonNegativeFloat = 0.0
    allow_short: bool = True
    history_days: NonNegativeFloat = 0.0
    time_in_force: TimeInForce = TimeInForce.GTC
    close_positions_on_stop: bool = True


class EMACrossStrategy(Strategy):
    """Trend following on an EMA cross; see the module docstring."""

    def __init__(self, config: EMACrossConfig) -> None:
        if config.fast_ema_period >= config.slow_ema_period:
            raise ValueError(
                f"fast_ema_period ({config.fast_ema_period}) must be less than "
                f"slow_ema_period ({config.slow_ema_period})",
            )
        super().__init__(config)
        self.fast_ema = ExponentialMovingAverage(config.fast_ema_period)
        self.slow_ema = ExponentialMovingAverage(config.slow_ema_period)
        self.instrument: Instrument | None = None
        self._gap = config.min_gap_bps / 10_000
        self._signal = 0  # +1 after a cross up, -1 after a cross down, 0 before the first cross

    def on_start(self) -> None:
        """Find the instrument, wire the EMAs to the bars, warm them up and subscribe."""
        self.instrument = self.cache.instrument(self.config.instrument_id)
        if self.instrument is None:
            self.log.error(f"Instrument {self.config.instrument_id} not found in the cache")
            self.stop()
            return
        self.register_indicator_for_bars(self.config.bar_type, self.fast_ema)
        self.register_indicator_for_bars(self.config.bar_type, self.slow_ema)
        if self.config.history_days > 0:
            start = self.clock.utc_now() - pd.Timedelta(days=self.config.history_days)
            self.request_bars(self.config.bar_type, start=start)
        self.subscribe_bars(self.config.bar_type)

    def on_bar(self, bar: Bar) -> None:
        """Turn the EMAs into a signal; trade only when the signal flips."""
        if not self.indicators_initialized():
            return
        signal = self._read_signal()
        if signal == 0 or signal == self._signal:
            return
        first_cross = self._signal == 0
        self._signal = signal
        if first_cross and self._position() == 0:
            # The first reading only tells the regime we start in; wait for a real cross.
            return
        self._trade_to(self._target(signal))

    def on_stop(self) -> None:
        """Cancel working orders and optionally flatten."""
        self.cancel_all_orders(self.config.instrument_id)
        if self.config.close_positions_on_stop:
            self.close_all_positions(self.config.instrument_id)

    def on_reset(self) -> None:
        """Forget indicator state and the last signal between runs."""
        self.fast_ema.reset()
        self.slow_ema.reset()
        self._signal = 0

    def _read_signal(self) -> int:
        fast, slow = self.fast_ema.value, self.slow_ema.value
        if fast > slow * (1 + self._gap):
            return 1
        if fast < slow * (1 - self._gap):
            return -1
        return 0

    def _position(self) -> Decimal:
        """This strategy's own signed position (other strategies may trade the same instrument)."""
        positions = self.cache.positions_open(instrument_id=self.config.instrument_id, strategy_id=self.id)
        return sum((p.signed_decimal_qty() for p in positions), Decimal(0))

    def _target(self, signal: int) -> Decimal:
        if signal > 0:
            return self.config.trade_size
        return -self.config.trade_size if self.config.allow_short else Decimal(0)

    def _trade_to(self, target: Decimal) -> None:
        """Send one market order for the difference between the target and the current net position."""
        if self.cache.orders_open_count(instrument_id=self.config.instrument_id, strategy_id=self.id):
            return  # an earlier order is still working; the next flip will catch up
        delta = target - self._position()
        if delta == 0:
            return
        order = self.order_factory.market(
            instrument_id=self.config.instrument_id,
            order_side=OrderSide.BUY if delta > 0 else OrderSide.SELL,
            quantity=self.instrument.make_qty(abs(delta)),
            time_in_force=self.config.time_in_force,
        )
        self.submit_order(order)
