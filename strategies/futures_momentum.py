"""Momentum on a futures month's bars: long a fixed number of contracts when the close has risen more than a
threshold over the last few bars, short when it has fallen as much, flat again after a holding period.

A future trades in whole contracts worth `multiplier` times the price, so the size is a contract count and the
threshold is in basis points of price. A futures month expires: the config names the month traded (the front,
or the next one once the front's roll date is near) and is moved on at each roll.

Lifecycle for authors: `on_start` looks up the instrument and subscribes to the bars; each `on_bar` keeps the
last `lookback_bars + 1` closes, measures the move over them and trades toward the target position with one
market order; `on_stop` cancels working orders and, if configured, flattens.
"""

from __future__ import annotations

from collections import deque

from nautilus_trader.config import PositiveFloat, PositiveInt, StrategyConfig
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.trading.strategy import Strategy


class FuturesMomentumConfig(StrategyConfig, frozen=True):
    """Parameters of `FuturesMomentumStrategy`.

    instrument_id: the futures month to trade, e.g. "CLG7.NYMEX".
    bar_type: the bars that drive it, e.g. "CLG7.NYMEX-1-MINUTE-LAST-EXTERNAL".
    contracts: how many contracts are held while a move is on.
    lookback_bars: the move is measured from the close this many bars ago to the last close.
    entry_bps: a move of at least this many basis points of price opens (or reverses) a position.
    max_hold_bars: a position is closed after this many bars without a new signal.
    time_in_force: time in force of the market orders.
    close_positions_on_stop: flatten the instrument when the strategy stops.
    """

    instrument_id: InstrumentId
    bar_type: BarType
    contracts: PositiveInt = 1
    lookback_bars: PositiveInt = 10
    entry_bps: PositiveFloat = 10.0
    max_hold_bars: PositiveInt = 30
    time_in_force: TimeInForce = TimeInForce.GTC
    close_positions_on_stop: bool = True


class FuturesMomentumStrategy(Strategy):
    """Momentum in whole contracts; see the module docstring."""

    def __init__(self, config: FuturesMomentumConfig) -> None:
        super().__init__(config)
        self.instrument: Instrument | None = None
        self._closes: deque[float] = deque(maxlen=config.lookback_bars + 1)
        self._held_bars = 0

    def on_start(self) -> None:
        """Find the instrument and subscribe to the bars."""
        self.instrument = self.cache.instrument(self.config.instrument_id)
        if self.instrument is None:
            self.log.error(f"Instrument {self.config.instrument_id} not found in the cache")
            self.stop()
            return
        self.subscribe_bars(self.config.bar_type)

    def on_bar(self, bar: Bar) -> None:
        """Measure the move over the lookback and trade toward its target; close a position held too long."""
        self._closes.append(bar.close.as_double())
        position = self._position()
        self._held_bars = self._held_bars + 1 if position else 0
        if len(self._closes) <= self.config.lookback_bars:
            return
        move_bps = (self._closes[-1] / self._closes[0] - 1) * 10_000
        if move_bps >= self.config.entry_bps:
            target = self.config.contracts
        elif move_bps <= -self.config.entry_bps:
            target = -self.config.contracts
        elif self._held_bars >= self.config.max_hold_bars:
            target = 0
        else:
            return
        if target != position:
            self._held_bars = 0
        self._trade_to(target, position)

    def on_stop(self) -> None:
        """Cancel working orders and optionally flatten."""
        self.cancel_all_orders(self.config.instrument_id)
        if self.config.close_positions_on_stop:
            self.close_all_positions(self.config.instrument_id)

    def on_reset(self) -> None:
        """Forget the closes and the holding count between runs."""
        self._closes.clear()
        self._held_bars = 0

    def _position(self) -> int:
        """This strategy's own signed position in contracts."""
        positions = self.cache.positions_open(instrument_id=self.config.instrument_id, strategy_id=self.id)
        return int(sum(p.signed_decimal_qty() for p in positions))

    def _trade_to(self, target: int, position: int) -> None:
        """One market order for the difference to the target (none while an earlier order still works)."""
        delta = target - position
        if delta == 0 or self.cache.orders_open_count(instrument_id=self.config.instrument_id, strategy_id=self.id):
            return
        order = self.order_factory.market(
            instrument_id=self.config.instrument_id,
            order_side=OrderSide.BUY if delta > 0 else OrderSide.SELL,
            quantity=self.instrument.make_qty(abs(delta)),
            time_in_force=self.config.time_in_force,
        )
        self.submit_order(order)
