"""Bars for the simulated gateway: parsing IB's bar/duration settings, generating history, and
aggregating the live feed into bars. Pure functions and small state holders, no I/O."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nautilus_node.simgateway.contracts import ContractSpec

BAR_SIZES: dict[str, int] = {
    "1 secs": 1,
    "5 secs": 5,
    "10 secs": 10,
    "15 secs": 15,
    "30 secs": 30,
    "1 min": 60,
    "2 mins": 120,
    "3 mins": 180,
    "5 mins": 300,
    "10 mins": 600,
    "15 mins": 900,
    "20 mins": 1200,
    "30 mins": 1800,
    "1 hour": 3600,
    "2 hours": 7200,
    "3 hours": 10800,
    "4 hours": 14400,
    "8 hours": 28800,
    "1 day": 86400,
    "1 week": 604800,
}
WHAT_TO_SHOW = ("TRADES", "MIDPOINT", "BID", "ASK", "BID_ASK")
_DURATION_UNITS = {"S": 1, "D": 86400, "W": 604800, "M": 2592000, "Y": 31536000}
MAX_BARS = 10_000


class BarRequestError(ValueError):
    """A historical request IB would refuse; ``code`` is the IB error code to answer with."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar starting at ``start`` (Unix seconds). Volume, WAP and count are -1 where IB sends -1."""

    start: int
    open: float
    high: float
    low: float
    close: float
    volume: int = -1
    wap: float = -1.0
    count: int = -1


def parse_duration(text: str) -> int:
    """IB duration text (``"1800 S"``, ``"2 D"``, ``"1 W"``, ``"1 M"``, ``"1 Y"``) in seconds."""
    parts = text.strip().split()
    if len(parts) != 2 or parts[1] not in _DURATION_UNITS or not parts[0].isdigit() or int(parts[0]) <= 0:
        raise BarRequestError(321, f"Error validating request.-'bX' : cause - Invalid duration '{text}'")
    return int(parts[0]) * _DURATION_UNITS[parts[1]]


def parse_bar_size(text: str) -> int:
    if text.strip() not in BAR_SIZES:
        raise BarRequestError(
            321, "Error validating request.-'bX' : cause - Historical data bar size setting is invalid."
        )
    return BAR_SIZES[text.strip()]


def parse_end_time(text: str, now: float) -> float:
    """IB end date-time (``""``, ``"yyyymmdd hh:mm:ss[ tz]"`` or ``"yyyymmdd-hh:mm:ss"``, UTC)."""
    text = text.strip()
    if not text:
        return now
    try:
        if len(text) >= 17 and text[8] == "-":
            stamp = dt.datetime.strptime(text[:17], "%Y%m%d-%H:%M:%S").replace(tzinfo=dt.UTC)
        else:
            date_part, _, rest = text.partition(" ")
            time_part, _, zone = rest.strip().partition(" ")
            naive = dt.datetime.strptime(f"{date_part} {time_part or '00:00:00'}", "%Y%m%d %H:%M:%S")
            stamp = naive.replace(tzinfo=ZoneInfo(zone.strip()) if zone.strip() else dt.UTC)
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise BarRequestError(321, f"Error validating request.-'bX' : cause - Invalid end date/time '{text}'") from exc
    return stamp.timestamp()


def format_bar_time(start: int, bar_seconds: int, format_date: int) -> str:
    """Bar time as IB sends it: epoch seconds (formatDate 2) or local text; daily bars as yyyymmdd."""
    moment = dt.datetime.fromtimestamp(start, dt.UTC)
    if bar_seconds >= 86400:
        return moment.strftime("%Y%m%d")
    if format_date == 2:
        return str(start)
    return moment.strftime("%Y%m%d %H:%M:%S") + " UTC"


def historical_bars(
    spec: ContractSpec,
    end: float,
    duration: int,
    bar_seconds: int,
    what: str,
    anchor: float,
    seed: int,
) -> list[Bar]:
    """Seeded history ending at ``anchor`` (the current mid): bars with start in [end-duration, end)."""
    if what not in WHAT_TO_SHOW:
        raise BarRequestError(321, f"Error validating request.-'bX' : cause - Invalid what to show '{what}'")
    if what == "TRADES" and not spec.has_trades:
        raise BarRequestError(
            162,
            "Historical Market Data Service error message:No historical market data for "
            f"{spec.symbol}/{spec.sec_type}@{spec.exchange} Last {bar_seconds}",
        )
    last_start = int(end // bar_seconds) * bar_seconds
    if last_start >= end:
        last_start -= bar_seconds
    first_start = math.ceil((end - duration) / bar_seconds) * bar_seconds
    if (last_start - first_start) // bar_seconds + 1 > MAX_BARS * (1 if bar_seconds < 86400 else 2):
        raise BarRequestError(162, "Historical Market Data Service error message:Time length exceed max.")
    starts = [
        s
        for s in range(first_start, last_start + 1, bar_seconds)
        if bar_seconds < 86400 or dt.datetime.fromtimestamp(s, dt.UTC).weekday() < 5
    ]
    if len(starts) > MAX_BARS:
        raise BarRequestError(162, "Historical Market Data Service error message:Time length exceed max.")
    rng = random.Random(f"{seed}:{spec.con_id}:{bar_seconds}:{what}:{last_start}")
    vol = min(spec.step_vol * math.sqrt(bar_seconds / 0.25), 0.05)
    half_spread = spec.min_tick * spec.spread_ticks / 2
    bars: list[Bar] = []
    close = anchor
    for start in reversed(starts):
        open_ = close * math.exp(-rng.gauss(0.0, vol))
        wick = abs(rng.gauss(0.0, vol / 2)) * close
        high = max(open_, close) + wick
        low = max(min(open_, close) - abs(rng.gauss(0.0, vol / 2)) * close, spec.min_tick)
        bars.append(_shape(spec, start, open_, high, low, close, what, half_spread, rng, bar_seconds))
        close = open_
    bars.reverse()
    return bars


ROLL_PREMIUM = 0.002  # the next month trades this much above the expiring one at the roll (carry)


def continuous_bars(
    months: list[tuple[float, ContractSpec]],
    end: float,
    duration: int,
    bar_seconds: int,
    what: str,
    anchor: float,
    seed: int,
) -> list[Bar]:
    """IB's continuous-future history: each month's own bars while it was the front (``months``: each month with
    the time from which it was), stitched unadjusted, so the price steps at each roll by the calendar spread."""
    if math.ceil(duration / bar_seconds) > MAX_BARS * (1 if bar_seconds < 86400 else 2):
        raise BarRequestError(162, "Historical Market Data Service error message:Time length exceed max.")
    segments: list[list[Bar]] = []
    until = end
    for since, spec in reversed(months):
        since = max(since, end - duration)
        bars = historical_bars(spec, until, max(math.ceil(until - since), 1), bar_seconds, what, anchor, seed)
        segments.append(bars)
        anchor = bars[0].open / (1 + ROLL_PREMIUM) if bars else anchor
        until = since
    return [bar for segment in reversed(segments) for bar in segment]


def _shape(
    spec: ContractSpec,
    start: int,
    open_: float,
    high: float,
    low: float,
    close: float,
    what: str,
    half_spread: float,
    rng: random.Random,
    bar_seconds: int,
) -> Bar:
    r = spec.round_price
    if what == "BID":
        return Bar(start, r(open_ - half_spread), r(high - half_spread), r(low - half_spread), r(close - half_spread))
    if what == "ASK":
        return Bar(start, r(open_ + half_spread), r(high + half_spread), r(low + half_spread), r(close + half_spread))
    if what == "BID_ASK":
        return Bar(start, r(open_ - half_spread), r(high + half_spread), r(low - half_spread), r(close + half_spread))
    if what == "TRADES":
        lo, hi = spec.size_range
        count = max(1, int(bar_seconds * rng.uniform(0.5, 2.0)))
        volume = count * max(1, (lo + hi) // 6)
        wap = r((open_ + high + low + close) / 4)
        return Bar(start, r(open_), r(high), r(low), r(close), volume, wap, count)
    return Bar(start, r(open_), r(high), r(low), r(close))


class BarBuilder:
    """Aggregates a live feed into bars of ``bar_seconds``; ``what`` picks the price (IB's whatToShow)."""

    def __init__(self, spec: ContractSpec, bar_seconds: int, what: str) -> None:
        self.spec = spec
        self.bar_seconds = bar_seconds
        self.what = what
        self._start: int | None = None
        self._o = self._h = self._l = self._c = 0.0
        self._volume = 0
        self._notional = 0.0
        self._count = 0

    def _price(self, bid: float, ask: float) -> tuple[float, float, float] | None:
        if self.what == "BID":
            return bid, bid, bid
        if self.what == "ASK":
            return ask, ask, ask
        if self.what == "BID_ASK":
            return bid, ask, bid
        if self.what == "MIDPOINT":
            mid = self.spec.round_price((bid + ask) / 2)
            return mid, mid, mid
        return None

    def on_quote(self, bid: float, ask: float, ts: float) -> Bar | None:
        """Feed a quote; returns the bar it completed, if any."""
        prices = self._price(bid, ask)
        if prices is None:
            return None
        return self._add(prices[0], prices[1], prices[2], 0, ts)

    def on_trade(self, price: float, size: int, ts: float) -> Bar | None:
        if self.what != "TRADES":
            return None
        return self._add(price, price, price, size, ts)

    def roll(self, now: float) -> Bar | None:
        """Close the current bar when its time is over (even without a newer update)."""
        if self._start is not None and now >= self._start + self.bar_seconds:
            bar = self.current()
            self._start = None
            return bar
        return None

    def current(self) -> Bar | None:
        if self._start is None:
            return None
        if self.what == "TRADES":
            wap = self.spec.round_price(self._notional / self._volume) if self._volume else self._c
            return Bar(self._start, self._o, self._h, self._l, self._c, self._volume, wap, self._count)
        return Bar(self._start, self._o, self._h, self._l, self._c)

    def _add(self, first: float, high: float, low: float, size: int, ts: float) -> Bar | None:
        bucket = int(ts // self.bar_seconds) * self.bar_seconds
        finished = None
        if self._start is not None and bucket != self._start:
            finished = self.current()
            self._start = None
        if self._start is None:
            self._start = bucket
            self._o = self._h = self._l = self._c = first
            self._volume, self._notional, self._count = 0, 0.0, 0
        self._h = max(self._h, high)
        self._l = min(self._l, low)
        self._c = first if self.what != "BID_ASK" else high
        if size:
            self._volume += size
            self._notional += first * size
            self._count += 1
        return finished
