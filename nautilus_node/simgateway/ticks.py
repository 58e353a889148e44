"""Historical ticks for the simulated gateway (IB's reqHistoricalTicks): seeded, stable, no I/O.

Every minute of every contract has its own fixed set of ticks, drawn from a generator seeded by the
gateway's seed, the contract and the minute, so that any two requests that cover the same second see the
same ticks in the same order (a client paging forward can rely on that, as it can with IB). Prices follow
a slow seeded curve around the contract's starting price: knots every ten minutes, joined linearly.

IB's rules mirrored here: exactly one of start and end; at most 1000 ticks are asked for per request, and
to complete the last second more may come back (IB: "to complete a full second, more ticks may be
returned than requested"); times are whole seconds; ``useRth`` keeps a stock's or future's regular
session only; ``ignoreSize`` drops BID_ASK ticks that change only sizes; FX has no TRADES.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from nautilus_node.simgateway.bars import BarRequestError, parse_end_time
from nautilus_node.simgateway.contracts import ContractSpec

MAX_TICKS = 1000
TICK_KINDS = ("TRADES", "MIDPOINT", "BID_ASK")
QUOTES_PER_MINUTE = (20, 40)
TRADES_PER_MINUTE = (5, 25)
SIZE_ONLY_SHARE = 0.25  # share of quote ticks that change sizes but not prices
_KNOT_SECS = 600
_MAX_SCAN_MINUTES = 60 * 24 * 31  # how far a request looks for ticks before answering with what it has


@dataclass(frozen=True, slots=True)
class QuoteTick:
    """Top of book at ``time`` (Unix seconds). ``size_only``: the prices are the previous quote's."""

    time: int
    bid: float
    ask: float
    bid_size: int
    ask_size: int
    size_only: bool = False

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class TradeTick:
    time: int
    price: float
    size: int
    exchange: str


@dataclass(frozen=True, slots=True)
class MidTick:
    time: int
    price: float


Tick = QuoteTick | TradeTick | MidTick


@dataclass(frozen=True, slots=True)
class TickQuery:
    """One reqHistoricalTicks, already checked: ``start`` or ``end`` (Unix seconds) is set, not both."""

    what: str
    count: int
    start: float | None
    end: float | None
    use_rth: bool
    ignore_size: bool


def tick_query(
    spec: ContractSpec, start: str, end: str, count: int, what: str, use_rth: bool, ignore_size: bool, now: float
) -> TickQuery:
    """Check a request as IB does; raises :class:`BarRequestError` with IB's code and text."""
    if what not in TICK_KINDS:
        raise BarRequestError(
            321,
            f"Error validating request.-'bL' : cause - Invalid whatToShow '{what}' for "
            "historical ticks (TRADES, MIDPOINT or BID_ASK)",
        )
    if bool(start.strip()) == bool(end.strip()):
        raise BarRequestError(
            321,
            "Error validating request.-'bL' : cause - Exactly one of start date/time and "
            "end date/time must be specified",
        )
    if count <= 0:
        raise BarRequestError(321, f"Error validating request.-'bL' : cause - Invalid number of ticks {count}")
    if what == "TRADES" and not spec.has_trades:
        raise BarRequestError(
            162,
            "Historical Market Data Service error message:No historical market data for "
            f"{spec.symbol}/{spec.sec_type}@{spec.exchange} Last 0",
        )
    return TickQuery(
        what=what,
        count=min(count, MAX_TICKS),
        start=_time(start, "start", now) if start.strip() else None,
        end=_time(end, "end", now) if end.strip() else None,
        use_rth=use_rth,
        ignore_size=ignore_size,
    )


def _time(text: str, which: str, now: float) -> float:
    try:
        return parse_end_time(text, now)
    except BarRequestError:
        raise BarRequestError(
            321, f"Error validating request.-'bL' : cause - Invalid {which} date/time '{text.strip()}'"
        ) from None


def historical_ticks(spec: ContractSpec, query: TickQuery, seed: int, now: float) -> list[Tick]:
    """The ticks IB would answer ``query`` with, oldest first (none after ``now``)."""
    if query.start is not None:
        return _forward(spec, query, seed, math.ceil(query.start), int(now))
    assert query.end is not None
    return _backward(spec, query, seed, min(int(query.end), int(now)))


def ticks_between(
    spec: ContractSpec, what: str, first: int, last: int, seed: int, *, use_rth: bool = False, ignore_size: bool = False
) -> Iterator[Tick]:
    """Every tick with ``first <= time <= last`` (Unix seconds), oldest first: what paging through the
    whole span would return."""
    for minute in range(first // 60, last // 60 + 1):
        for tick in _minute(spec, what, use_rth, ignore_size, seed, minute):
            if first <= tick.time <= last:
                yield tick


def _forward(spec: ContractSpec, query: TickQuery, seed: int, first: int, last: int) -> list[Tick]:
    found: list[Tick] = []
    last = min(last, first + _MAX_SCAN_MINUTES * 60)
    for tick in ticks_between(
        spec, query.what, first, last, seed, use_rth=query.use_rth, ignore_size=query.ignore_size
    ):
        if len(found) >= query.count and tick.time != found[-1].time:
            break
        found.append(tick)
    return found


def _backward(spec: ContractSpec, query: TickQuery, seed: int, last: int) -> list[Tick]:
    found: list[Tick] = []
    for minute in range(last // 60, last // 60 - _MAX_SCAN_MINUTES, -1):
        for tick in reversed(_minute(spec, query.what, query.use_rth, query.ignore_size, seed, minute)):
            if tick.time > last:
                continue
            if len(found) >= query.count and tick.time != found[-1].time:
                return found[::-1]
            found.append(tick)
    return found[::-1]


def _minute(spec: ContractSpec, what: str, use_rth: bool, ignore_size: bool, seed: int, minute: int) -> list[Tick]:
    if use_rth and not in_regular_hours(spec, minute * 60):
        return []
    if what == "TRADES":
        return list(_trades(spec, seed, minute))
    quotes = _quotes(spec, seed, minute)
    if what == "MIDPOINT":
        return [MidTick(q.time, round(q.mid, spec.price_decimals + 1)) for q in quotes if not q.size_only]
    return [q for q in quotes if not (ignore_size and q.size_only)]


def _quotes(spec: ContractSpec, seed: int, minute: int) -> list[QuoteTick]:
    """The minute's quotes; a quote whose prices equal the previous quote's (even the previous minute's last)
    changes only sizes."""
    previous = _drawn_quotes(spec, seed, minute - 1)
    last = previous[-1] if previous else None
    quotes = []
    for tick in _drawn_quotes(spec, seed, minute):
        same = last is not None and (tick.bid, tick.ask) == (last.bid, last.ask)
        quotes.append(QuoteTick(tick.time, tick.bid, tick.ask, tick.bid_size, tick.ask_size, size_only=same))
        last = tick
    return quotes


def _drawn_quotes(spec: ContractSpec, seed: int, minute: int) -> list[QuoteTick]:
    rng = random.Random(f"{seed}:{spec.con_id}:quotes:{minute}")
    lo, hi = spec.size_range
    half_spread = spec.min_tick * spec.spread_ticks / 2
    ticks: list[QuoteTick] = []
    for second in sorted(rng.randrange(60) for _ in range(rng.randint(*QUOTES_PER_MINUTE))):
        time = minute * 60 + second
        sizes = rng.randint(lo, hi), rng.randint(lo, hi)
        if ticks and rng.random() < SIZE_ONLY_SHARE:
            ticks.append(QuoteTick(time, ticks[-1].bid, ticks[-1].ask, *sizes))
            continue
        mid = _level(spec, seed, time) * math.exp(rng.gauss(0.0, spec.step_vol))
        bid = spec.round_price(mid - half_spread * rng.choice((1, 1, 1, 2)))
        ask = max(spec.round_price(mid + half_spread), spec.round_price(bid + spec.min_tick))
        ticks.append(QuoteTick(time, bid, ask, *sizes))
    return ticks


def _trades(spec: ContractSpec, seed: int, minute: int) -> Iterator[TradeTick]:
    quotes = [q for q in _quotes(spec, seed, minute) if not q.size_only]
    rng = random.Random(f"{seed}:{spec.con_id}:trades:{minute}")
    lo, hi = spec.size_range
    exchange = spec.primary_exchange or spec.exchange
    for second in sorted(rng.randrange(60) for _ in range(rng.randint(*TRADES_PER_MINUTE))):
        time = minute * 60 + second
        before = [q for q in quotes if q.time <= time]
        quote = before[-1] if before else None
        price = rng.choice((quote.bid, quote.ask)) if quote else spec.round_price(_level(spec, seed, time))
        yield TradeTick(time, price, max(1, rng.randint(lo, hi) // 3), exchange)


def _level(spec: ContractSpec, seed: int, time: float) -> float:
    """The slow curve the ticks scatter around: seeded knots every ten minutes, joined linearly."""
    knot, offset = divmod(time, _KNOT_SECS)
    weight = offset / _KNOT_SECS
    swing = min(spec.step_vol * math.sqrt(_KNOT_SECS / 0.25), 0.05)
    log_level = (1 - weight) * _knot(spec.con_id, seed, int(knot)) + weight * _knot(spec.con_id, seed, int(knot) + 1)
    return spec.start_price * math.exp(swing * log_level)


@lru_cache(maxsize=4096)
def _knot(con_id: int, seed: int, knot: int) -> float:
    return random.Random(f"{seed}:{con_id}:knot:{knot}").gauss(0.0, 1.0)


def in_regular_hours(spec: ContractSpec, time: float) -> bool:
    """Whether ``time`` falls in the contract's regular session (its liquid hours).

    Contracts whose regular session runs overnight (FX) count every hour as regular, as IB does for IDEALPRO.
    """
    week = spec.liquid_week
    if week is None or any(session.overnight for session in week.sessions):
        return True
    return week.is_open(time)
