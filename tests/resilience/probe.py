"""A strategy that records every feed kind and order event it sees, for the disruption matrix."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import pandas as pd
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import Bar, BarType, QuoteTick
from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.events import OrderDenied, OrderFilled, OrderRejected
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.trading.strategy import Strategy

EURUSD = InstrumentId.from_str("EUR/USD.IDEALPRO")
SPY = InstrumentId.from_str("SPY.ARCA")
REALTIME_BARS = BarType.from_str("EUR/USD.IDEALPRO-5-SECOND-MID-EXTERNAL")
LIVE_BARS = BarType.from_str("EUR/USD.IDEALPRO-10-SECOND-MID-EXTERNAL")
FEED_KINDS = ("quotes", "ticks", "bars", "live_bars")


class ProbeConfig(StrategyConfig, frozen=True):
    order_qty: int = 20_000


class FeedProbe(Strategy):
    """Subscribes to one feed of each kind: EUR/USD quotes (reqMktData), SPY tick-by-tick quotes, EUR/USD
    5-second real-time bars and 10-second keepUpToDate bars. Records the monotonic time of every event."""

    def __init__(self, config: ProbeConfig | None = None) -> None:
        super().__init__(config or ProbeConfig())
        self.events: dict[str, list[float]] = defaultdict(list)
        self.fills: list[OrderFilled] = []
        self.refusals: list[OrderDenied | OrderRejected] = []
        self.last_quote: QuoteTick | None = None
        self.started = threading.Event()

    def on_start(self) -> None:
        self.subscribe_quote_ticks(EURUSD)
        self.subscribe_quote_ticks(SPY, params={"batch_quotes": False})
        self.subscribe_bars(REALTIME_BARS)
        self.subscribe_bars(LIVE_BARS)
        self.started.set()

    def on_quote_tick(self, tick: QuoteTick) -> None:
        if tick.instrument_id == EURUSD:
            self.last_quote = tick
            self.events["quotes"].append(time.monotonic())
        else:
            self.events["ticks"].append(time.monotonic())

    def on_bar(self, bar: Bar) -> None:
        self.events["bars" if bar.bar_type == REALTIME_BARS else "live_bars"].append(time.monotonic())

    def on_order_filled(self, event: OrderFilled) -> None:
        self.fills.append(event)

    def on_order_denied(self, event: OrderDenied) -> None:
        self.refusals.append(event)

    def on_order_rejected(self, event: OrderRejected) -> None:
        self.refusals.append(event)

    def buy_limit_below(self, ticks: int) -> None:
        """A resting GTC BUY limit `ticks` price increments under the last bid (call on the node's loop)."""
        assert self.last_quote is not None, "no quote yet"
        instrument = self.cache.instrument(EURUSD)
        step = instrument.price_increment.as_double()
        price = Price(self.last_quote.bid_price.as_double() - ticks * step, instrument.price_precision)
        order = self.order_factory.limit(
            EURUSD, OrderSide.BUY, Quantity.from_int(self.config.order_qty), price, time_in_force=TimeInForce.GTC
        )
        self.submit_order(order)

    def buy_market(self) -> None:
        self.submit_order(self.order_factory.market(EURUSD, OrderSide.BUY, Quantity.from_int(self.config.order_qty)))


class TraderConfig(StrategyConfig, frozen=True):
    interval_secs: float = 3.0
    order_qty: int = 20_000


class Trader(Strategy):
    """Trades EUR/USD all the time: a market order every interval (alternating sides) and one resting limit
    a few ticks under the bid, placed again whenever it is gone."""

    def __init__(self, config: TraderConfig) -> None:
        super().__init__(config)
        self._side = OrderSide.BUY
        self._last_quote: QuoteTick | None = None

    def on_start(self) -> None:
        self.subscribe_quote_ticks(EURUSD)
        self.clock.set_timer("trade", pd.Timedelta(seconds=self.config.interval_secs), callback=self._trade)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self._last_quote = tick

    def _trade(self, _event: object) -> None:
        if self._last_quote is None:
            return
        qty = Quantity.from_int(self.config.order_qty)
        self.submit_order(self.order_factory.market(EURUSD, self._side, qty))
        self._side = OrderSide.SELL if self._side == OrderSide.BUY else OrderSide.BUY
        if not self.cache.orders_open(strategy_id=self.id) and not self.cache.orders_inflight(strategy_id=self.id):
            instrument = self.cache.instrument(EURUSD)
            price = Price(
                self._last_quote.bid_price.as_double() - 3 * instrument.price_increment.as_double(),
                instrument.price_precision,
            )
            limit = self.order_factory.limit(EURUSD, OrderSide.BUY, qty, price, time_in_force=TimeInForce.GTC)
            self.submit_order(limit)
