"""Whether an instrument's market is open now, judged by the trading hours IB states in its contract details
(NautilusTrader keeps them in each instrument's ``info``): the one judgement of the status actor's feeds and the
resilient client's liveness watchdog."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nautilus_trader.cache.cache import Cache
from nautilus_trader.model.identifiers import InstrumentId

from nautilus_node.ib.hours import TradingHours, parse_hours

MARKET_HOURS = ("instruments", "always")  # each instrument's own hours, or a node that never closes (demos)
BREAK_SECS = 4 * 3600.0  # a closed spell shorter than this between two sessions is a break (FX 15 min, Globex 1 h)


@dataclass(frozen=True, slots=True)
class MarketState:
    """An instrument's market at one moment. Unknown hours (no details, or beyond the days they list) count as
    open, so silence is still noticed."""

    is_open: bool
    opened_at: float | None = None  # while open: when the current session opened
    opens_at: float | None = None  # while closed: when the next session opens (None: not listed)
    in_break: bool = False  # closed between two sessions less than BREAK_SECS apart


UNKNOWN = MarketState(is_open=True)


def hours_in_info(info: dict[str, Any] | None) -> TradingHours | None:
    """The trading hours in an instrument's ``info`` (``tradingHours`` in ``timeZoneId``), or None when it has
    none or they cannot be read."""
    if not info or not info.get("tradingHours") or not info.get("timeZoneId"):
        return None
    return _parsed(str(info["tradingHours"]), str(info["timeZoneId"]))


@lru_cache(maxsize=256)
def _parsed(text: str, zone_id: str) -> TradingHours | None:
    try:
        return parse_hours(text, zone_id)
    except ValueError:
        return None


def market_state(hours: TradingHours | None, t: float) -> MarketState:
    """The market of ``hours`` at Unix time ``t``."""
    if hours is None or not hours.covers(t):
        return UNKNOWN
    session = hours.session_at(t)
    if session is not None:
        return MarketState(is_open=True, opened_at=session[0])
    opens_at, closed_at = hours.next_open(t), hours.last_close(t)
    in_break = opens_at is not None and closed_at is not None and opens_at - closed_at < BREAK_SECS
    return MarketState(is_open=False, opens_at=opens_at, in_break=in_break)


class MarketClock:
    """Each instrument's market state from the instruments in a NautilusTrader cache; ``market_hours="always"``
    overrides them all with an open market."""

    def __init__(self, cache: Cache, market_hours: str = "instruments") -> None:
        if market_hours not in MARKET_HOURS:
            raise ValueError(f"market_hours: expected one of {MARKET_HOURS}, got {market_hours!r}")
        self._cache = cache
        self._always = market_hours == "always"
        self._hours: dict[InstrumentId, tuple[object, TradingHours | None]] = {}  # read once per instrument object

    def state(self, instrument_id: InstrumentId, t: float) -> MarketState:
        """The market of ``instrument_id`` at Unix time ``t`` (by the instrument the cache holds now)."""
        if self._always:
            return UNKNOWN
        instrument = self._cache.instrument(instrument_id)
        known = self._hours.get(instrument_id)
        if known is None or known[0] is not instrument:
            known = self._hours[instrument_id] = (instrument, hours_in_info(instrument.info) if instrument else None)
        return market_state(known[1], t)
