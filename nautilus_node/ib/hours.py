"""IB's trading hours, the one calendar of the project: the ``tradingHours``/``liquidHours`` text of a contract's
details read into sessions (``parse_hours``) and written from weekly rules plus an exchange's holidays and early
closes (``WeeklyHours``).

IB's text lists one entry per day, joined by ``;``, in the contract's ``timeZoneId``. The current format (TWS API
9.72+) dates both ends, so a session may close on the next day: ``20180323:0400-20180323:2000;20180326:CLOSED``.
The older one gives times only, a day's sessions separated by ``,``, labelled by the day they trade for: an open
after the close opened the evening before (EUR.USD's ``20180326:1715-1700`` opens Sunday 17:15):
``20090507:0700-1830,1830-2330;20090508:CLOSED``. The text written here uses the current format, labels each
session by the day it opens, and starts with the current day's entry (the session trading now, when it opened
the day before).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# IB's zone names that are not (or no longer everywhere) IANA names.
ZONES = {
    "US/Eastern": "America/New_York",
    "US/Central": "America/Chicago",
    "US/Mountain": "America/Denver",
    "US/Pacific": "America/Los_Angeles",
    "EST": "America/New_York",
    "CST": "America/Chicago",
    "GB": "Europe/London",
    "GB-Eire": "Europe/London",
    "MET": "Europe/Berlin",
    "Japan": "Asia/Tokyo",
    "Hongkong": "Asia/Hong_Kong",
    "Australia/NSW": "Australia/Sydney",
    "Asia/Calcutta": "Asia/Kolkata",
}
SUN, MON, TUE, WED, THU, FRI = 6, 0, 1, 2, 3, 4
TEXT_DAYS = 7  # how many days the written text covers from the leading entry


@cache
def zone_of(zone_id: str) -> ZoneInfo:
    """The time zone an IB ``timeZoneId`` names; ValueError for one it does not."""
    try:
        return ZoneInfo(ZONES.get(zone_id, zone_id))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timeZoneId {zone_id!r} is not a known time zone") from None


@dataclass(frozen=True, slots=True)
class TradingHours:
    """The sessions an hours text lists, as sorted, non-overlapping (open, close) Unix times, and the span of
    days the text speaks for (outside it nothing is known)."""

    sessions: tuple[tuple[float, float], ...]
    covers_from: float
    covers_until: float

    def covers(self, t: float) -> bool:
        """Whether the text speaks for ``t`` (it lists the day of ``t``)."""
        return self.covers_from <= t < self.covers_until

    def session_at(self, t: float) -> tuple[float, float] | None:
        """The (open, close) of the session ``t`` falls in, or None."""
        index = bisect.bisect_right(self.sessions, (t, float("inf"))) - 1
        if index >= 0 and self.sessions[index][0] <= t < self.sessions[index][1]:
            return self.sessions[index]
        return None

    def is_open(self, t: float) -> bool:
        return self.session_at(t) is not None

    def next_open(self, t: float) -> float | None:
        """When the first session opening after ``t`` opens (None when the text lists none)."""
        index = bisect.bisect_right(self.sessions, (t, float("inf")))
        return self.sessions[index][0] if index < len(self.sessions) else None

    def last_close(self, t: float) -> float | None:
        """When the last session that closed by ``t`` closed (None when the text lists none)."""
        closes = [close for _, close in self.sessions if close <= t]
        return closes[-1] if closes else None

    def next_close(self, t: float) -> float | None:
        """When the session ``t`` falls in closes, else when the next one does (None when none is listed)."""
        current = self.session_at(t)
        if current is not None:
            return current[1]
        upcoming = self.next_open(t)
        return self.session_at(upcoming)[1] if upcoming is not None else None  # type: ignore[index]


def parse_hours(text: str, zone_id: str) -> TradingHours:
    """Read IB's ``tradingHours``/``liquidHours`` text (either format) in the zone IB names ``zone_id``.

    ValueError names the entry it cannot read."""
    zone = zone_of(zone_id)
    windows: list[tuple[float, float]] = []
    days: list[dt.date] = []
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        label, _, rest = entry.partition(":")
        day = _date(label, entry)
        days.append(day)
        if rest == "CLOSED":
            continue
        for span in rest.split(","):
            windows.append(_window(day, span, zone, entry))
    if not days:
        raise ValueError(f"hours text {text!r} lists no day")
    first = dt.datetime.combine(min(days), dt.time(), zone).timestamp()
    last = dt.datetime.combine(max(days) + dt.timedelta(days=1), dt.time(), zone).timestamp()
    sessions = _merged(sorted(windows))
    return TradingHours(sessions, first, max([last, *(close for _, close in sessions)]))


def _date(text: str, entry: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise ValueError(f"hours entry {entry!r}: {text!r} is not a YYYYMMDD date") from None


def _window(day: dt.date, span: str, zone: ZoneInfo, entry: str) -> tuple[float, float]:
    opens_text, sep, closes_text = span.partition("-")
    if not sep:
        raise ValueError(f"hours entry {entry!r}: {span!r} is not OPEN-CLOSE")
    opens = _moment(day, opens_text, zone, entry)
    closes = _moment(day, closes_text, zone, entry)
    if ":" not in opens_text and closes <= opens:  # the older format: opened the evening before
        opens = _moment(day - dt.timedelta(days=1), opens_text, zone, entry)
    if closes <= opens:
        raise ValueError(f"hours entry {entry!r}: {span!r} closes before it opens")
    return opens.timestamp(), closes.timestamp()


def _moment(day: dt.date, text: str, zone: ZoneInfo, entry: str) -> dt.datetime:
    """``HHMM`` on ``day``, or ``YYYYMMDD:HHMM``; ``2400`` is the next midnight."""
    if ":" in text:
        label, _, text = text.partition(":")
        day = _date(label, entry)
    if len(text) != 4 or not text.isdigit() or int(text[:2]) > 24 or int(text[2:]) > 59:
        raise ValueError(f"hours entry {entry!r}: {text!r} is not an HHMM time")
    if text == "2400":
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return dt.datetime.combine(day, dt.time(int(text[:2]), int(text[2:])), zone)


def _merged(windows: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Touching or overlapping windows as one session (``0700-1830,1830-2330`` trades without a break)."""
    result: list[tuple[float, float]] = []
    for opens, closes in windows:
        if result and opens <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], closes))
        else:
            result.append((opens, closes))
    return tuple(result)


# -- writing IB's text from weekly rules ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Session:
    """One weekly session: opens on ``weekday`` (Monday 0) at ``opens`` (HHMM), closes at ``closes`` that day or,
    when ``overnight``, the next day (the day it trades for, as exchange calendars date it)."""

    weekday: int
    opens: str
    closes: str
    overnight: bool = False


@dataclass(frozen=True)
class WeeklyHours:
    """A contract's weekly sessions in IB's zone ``zone_id``, less the holidays and early closes of the exchange
    calendar named ``calendar`` (an ``exchange_calendars`` name, e.g. ``XNYS``, ``CMES``; None: every week alike)."""

    zone_id: str
    sessions: tuple[Session, ...]
    calendar: str | None = None

    def text(self, now: float, days: int = TEXT_DAYS) -> str:
        """IB's hours text for ``days`` days from the current day's entry at ``now`` (the session trading at
        ``now`` when it opened the day before, else the local date of ``now``)."""
        zone = zone_of(self.zone_id)
        local = dt.datetime.fromtimestamp(now, zone).date()
        yesterday = self._windows(local - dt.timedelta(days=1))
        first = (
            local - dt.timedelta(days=1) if any(o.timestamp() <= now < c.timestamp() for o, c in yesterday) else local
        )
        parts = []
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            windows = self._windows(day)
            if not windows:
                parts.append(f"{day:%Y%m%d}:CLOSED")
            parts.extend(f"{o:%Y%m%d}:{o:%H%M}-{c:%Y%m%d}:{c:%H%M}" for o, c in windows)
        return ";".join(parts)

    def at(self, now: float) -> TradingHours:
        """The hours this contract's details state at ``now``, read back from their text."""
        return _read(self, int(now // 3600) * 3600)

    def is_open(self, t: float) -> bool:
        return self.at(t).is_open(t)

    def next_close(self, t: float) -> float | None:
        """When the session trading at ``t`` closes, else when the next one does."""
        return self.at(t).next_close(t)

    def _windows(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        zone = zone_of(self.zone_id)
        result = []
        for session in self.sessions:
            if session.weekday != day.weekday():
                continue
            trades_for = day + dt.timedelta(days=1) if session.overnight else day
            opens = dt.datetime.combine(day, _hhmm(session.opens), zone)
            closes = dt.datetime.combine(trades_for, _hhmm(session.closes), zone)
            if self.calendar is not None:
                kind, early = exchange_day(self.calendar, trades_for)
                if kind == "holiday":
                    continue
                if kind == "early" and early is not None:
                    closes = _early_close(closes, *early, zone)
            result.append((opens, closes))
        return result


@cache
def _read(hours: WeeklyHours, hour: int) -> TradingHours:
    """The text written a day before ``hour`` and reaching a week past it, parsed once per hour (the gateway asks
    at every order and quote)."""
    return parse_hours(hours.text(hour - 86400, days=TEXT_DAYS + 1), hours.zone_id)


def _hhmm(text: str) -> dt.time:
    return dt.time(int(text[:2]), int(text[2:]))


def _early_close(closes: dt.datetime, early: dt.datetime, regular: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A session's close on an early-close day: no later than the exchange's early close, except that a session
    running past the exchange's regular close (extended hours) keeps that extension after the early close."""
    if closes <= early:
        return closes
    return (early + max(closes - regular, dt.timedelta())).astimezone(zone)


def weekdays(opens: str, closes: str) -> tuple[Session, ...]:
    """A session each weekday, Monday to Friday, within the day."""
    return tuple(Session(day, opens, closes) for day in (MON, TUE, WED, THU, FRI))


def sunday_to_thursday_overnight(opens: str, closes: str) -> tuple[Session, ...]:
    """Sessions opening Sunday to Thursday at ``opens`` and closing the next day at ``closes`` (FX, Globex)."""
    return tuple(Session(day, opens, closes, overnight=True) for day in (SUN, MON, TUE, WED, THU))


# -- exchange holidays and early closes, from exchange_calendars -------------------------------------------------


def exchange_day(calendar: str, day: dt.date) -> tuple[str, tuple[dt.datetime, dt.datetime] | None]:
    """``("holiday", None)``, ``("early", (early close, regular close))`` or ``("regular", None)`` for ``day`` on
    ``calendar``; a weekend day counts as regular (the weekly rules close it)."""
    holidays, early_closes = _exchange_year(calendar, day.year)
    if day in holidays:
        return "holiday", None
    if day in early_closes:
        return "early", early_closes[day]
    return "regular", None


@cache
def _exchange_year(
    calendar: str, year: int
) -> tuple[frozenset[dt.date], dict[dt.date, tuple[dt.datetime, dt.datetime]]]:
    """A calendar's holidays (weekdays without a session) and early closes, each with the regular close it
    shortens, for one year (imported on first use: exchange_calendars takes a moment to load)."""
    import exchange_calendars
    import pandas as pd

    table = exchange_calendars.get_calendar(calendar, start=f"{year}-01-01", end=f"{year}-12-31")
    sessions = set(table.sessions)
    holidays = frozenset(d.date() for d in pd.bdate_range(f"{year}-01-01", f"{year}-12-31") if d not in sessions)
    zone = ZoneInfo(str(table.tz))
    regular_close = table.close_times[-1][1]
    early = {
        d.date(): (
            table.session_close(d).tz_convert(zone).to_pydatetime(),
            dt.datetime.combine(d.date(), regular_close, zone),
        )
        for d in table.early_closes
    }
    return holidays, early


# IDEALPRO FX: Sunday 17:15 to Friday 17:00 New York, with the daily 17:00-17:15 break (IB's EUR.USD details).
FX = WeeklyHours("US/Eastern", sunday_to_thursday_overnight("1715", "1700"))
# US stocks on NYSE's calendar: extended hours 04:00-20:00, regular 09:30-16:00 New York.
US_STOCK_TRADING = WeeklyHours("US/Eastern", weekdays("0400", "2000"), calendar="XNYS")
US_STOCK_LIQUID = WeeklyHours("US/Eastern", weekdays("0930", "1600"), calendar="XNYS")
# CME Globex equity index futures on CME's calendar: Sunday 17:00 to Friday 16:00 Chicago with the daily
# 16:00-17:00 break; regular hours 08:30-15:00.
CME_GLOBEX_TRADING = WeeklyHours("US/Central", sunday_to_thursday_overnight("1700", "1600"), calendar="CMES")
CME_GLOBEX_LIQUID = WeeklyHours("US/Central", weekdays("0830", "1500"), calendar="CMES")
# The other CME Group floors on Globex share the equity week (CME_GLOBEX_TRADING); their regular hours differ:
# NYMEX energy 08:00-13:30, COMEX metals 07:20-12:30, CBOT Treasury futures 07:20-14:00 Chicago.
NYMEX_ENERGY_LIQUID = WeeklyHours("US/Central", weekdays("0800", "1330"), calendar="CMES")
COMEX_METALS_LIQUID = WeeklyHours("US/Central", weekdays("0720", "1230"), calendar="CMES")
CBOT_RATES_LIQUID = WeeklyHours("US/Central", weekdays("0720", "1400"), calendar="CMES")
# CBOT grains: an overnight session Sunday to Thursday 19:00 to 07:45 and the day session 08:30-13:20 Chicago.
CBOT_GRAINS_TRADING = WeeklyHours(
    "US/Central", sunday_to_thursday_overnight("1900", "0745") + weekdays("0830", "1320"), calendar="CMES"
)
CBOT_GRAINS_LIQUID = WeeklyHours("US/Central", weekdays("0830", "1320"), calendar="CMES")
