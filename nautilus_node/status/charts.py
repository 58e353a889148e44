"""The page's time series: prices per instrument, the node's fills, equity and feed states over time.

The node's side (`ChartRecorder`, on the node's event loop) turns each snapshot interval into a small
`ChartUpdate`: the newest quote of each quote feed (one point per interval, no work per quote), every bar
that arrived, the fills, one equity point and the feeds whose state changed. The web side (`ChartHistory`, on
the web server's loop) keeps a bounded history of those updates for pages that open later.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

import msgspec
from nautilus_trader.core.data import Data
from nautilus_trader.model.data import Bar, QuoteTick, TradeTick
from nautilus_trader.model.events import OrderFilled

from nautilus_node.status.snapshot import Feed, Pnl, Subscription

MAX_POINTS = 7200  # per instrument and series: two hours at one point per second
MAX_FILLS = 1000
MAX_FEED_MARKS = 2000
# A gateway subscription's state (the resilient IB client's) on the same strip as the feeds' own states.
SUBSCRIPTION_STRIP_STATES = {"waiting": "waiting", "live": "fresh", "recovering": "recovering", "dead": "stale"}


class PricePoint(msgspec.Struct, frozen=True, array_like=True):
    time: float  # UNIX seconds
    value: float


class Candle(msgspec.Struct, frozen=True, array_like=True):
    time: float
    open: float
    high: float
    low: float
    close: float


class FillMark(msgspec.Struct, frozen=True, kw_only=True):
    time: float
    side: str
    price: float
    quantity: str
    client_order_id: str


class EquityPoint(msgspec.Struct, frozen=True, array_like=True):
    time: float
    equity: float | None
    unrealized: float


class FeedMark(msgspec.Struct, frozen=True, array_like=True):
    time: float
    state: str


class ChartUpdate(msgspec.Struct, kw_only=True):
    """New points since the previous update (or, as history, all points kept), keyed by instrument id or
    feed name."""

    prices: dict[str, list[PricePoint]] = {}
    candles: dict[str, list[Candle]] = {}
    fills: dict[str, list[FillMark]] = {}
    equity: list[EquityPoint] = []
    currency: str | None = None
    feed_states: dict[str, list[FeedMark]] = {}


_encoder = msgspec.json.Encoder()


def encode(update: ChartUpdate) -> bytes:
    return _encoder.encode(update)


def decode(data: bytes) -> ChartUpdate:
    return msgspec.json.decode(data, type=ChartUpdate)


def feed_key(feed: Feed) -> str:
    return f"{feed.name} {feed.data_type}"


def subscription_key(subscription: Subscription) -> str:
    return f"{subscription.name} IB {subscription.kind} subscription"


class ChartRecorder:
    """Collects one interval's chart points on the node's event loop."""

    def __init__(self) -> None:
        self._fills: list[tuple[str, FillMark]] = []
        self._feed_states: dict[str, str] = {}

    def on_fill(self, event: OrderFilled) -> None:
        mark = FillMark(
            time=event.ts_event / 1e9,
            side=event.order_side.name,
            price=event.last_px.as_double(),
            quantity=str(event.last_qty),
            client_order_id=str(event.client_order_id),
        )
        self._fills.append((str(event.instrument_id), mark))

    def update(
        self,
        now_ns: int,
        newest: Iterable[Data],
        bars: Iterable[Bar],
        feeds: list[Feed],
        pnl: Pnl | None,
        subscriptions: Sequence[Subscription] = (),
    ) -> ChartUpdate:
        """The points since the last call: `newest` holds the last event of each quote or trade feed that
        had any, `bars` every bar that arrived; feed and gateway-subscription states when they changed."""
        update = ChartUpdate()
        for data in newest:
            point = _price_point(data)
            if point is not None:
                update.prices.setdefault(str(data.instrument_id), []).append(point)
        for bar in bars:
            candle = Candle(
                time=bar.ts_event / 1e9,
                open=bar.open.as_double(),
                high=bar.high.as_double(),
                low=bar.low.as_double(),
                close=bar.close.as_double(),
            )
            update.candles.setdefault(str(bar.bar_type.instrument_id), []).append(candle)
        for instrument_id, mark in self._fills:
            update.fills.setdefault(instrument_id, []).append(mark)
        self._fills.clear()
        now = now_ns / 1e9
        if pnl is not None:
            update.equity.append(EquityPoint(time=now, equity=pnl.equity, unrealized=pnl.unrealized))
            update.currency = pnl.currency
        states = [(feed_key(f), f.state) for f in feeds]
        states += [(subscription_key(s), SUBSCRIPTION_STRIP_STATES[s.state]) for s in subscriptions]
        for key, state in states:
            if self._feed_states.get(key) != state:
                self._feed_states[key] = state
                update.feed_states[key] = [FeedMark(time=now, state=state)]
        return update


def _price_point(data: Data) -> PricePoint | None:
    if isinstance(data, QuoteTick):
        mid = (data.bid_price.as_double() + data.ask_price.as_double()) / 2
        return PricePoint(time=data.ts_init / 1e9, value=mid)
    if isinstance(data, TradeTick):
        return PricePoint(time=data.ts_init / 1e9, value=data.price.as_double())
    return None


class ChartHistory:
    """The updates received so far, bounded, merged into one history (on the web server's loop)."""

    def __init__(self) -> None:
        self._prices: dict[str, deque[PricePoint]] = {}
        self._candles: dict[str, deque[Candle]] = {}
        self._fills: dict[str, deque[FillMark]] = {}
        self._equity: deque[EquityPoint] = deque(maxlen=MAX_POINTS)
        self._feed_states: dict[str, deque[FeedMark]] = {}
        self._currency: str | None = None

    def add(self, update: ChartUpdate) -> None:
        _extend(self._prices, update.prices, MAX_POINTS)
        _extend(self._candles, update.candles, MAX_POINTS)
        _extend(self._fills, update.fills, MAX_FILLS)
        _extend(self._feed_states, update.feed_states, MAX_FEED_MARKS)
        self._equity.extend(update.equity)
        self._currency = update.currency or self._currency

    def snapshot(self) -> ChartUpdate:
        """Everything kept, as one update."""
        return ChartUpdate(
            prices={k: list(v) for k, v in self._prices.items()},
            candles={k: list(v) for k, v in self._candles.items()},
            fills={k: list(v) for k, v in self._fills.items()},
            equity=list(self._equity),
            currency=self._currency,
            feed_states={k: list(v) for k, v in self._feed_states.items()},
        )


def _extend(target: dict[str, deque], new: dict[str, list], maxlen: int) -> None:
    for key, items in new.items():
        target.setdefault(key, deque(maxlen=maxlen)).extend(items)
