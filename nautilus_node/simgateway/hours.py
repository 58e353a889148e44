"""Trading hours as IB states them: each contract's weekly sessions in its time zone, IB's tradingHours and
liquidHours text for the coming days, and whether a moment falls in a session (and when that session ends).

IB's format (contractDetails, TWS API 9.72+): one entry per day, ``YYYYMMDD:HHMM-YYYYMMDD:HHMM`` for a session
(labelled by the day it opens, its close possibly on the next day) or ``YYYYMMDD:CLOSED``, joined by ``;``, in
the contract's time zone (``timeZoneId``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

ZONES = {"US/Eastern": "America/New_York", "US/Central": "America/Chicago"}
SUN, MON, TUE, WED, THU, FRI = 6, 0, 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class Session:
    """One weekly session: opens on ``weekday`` (Monday 0) at ``opens``, closes at ``closes`` that day or, when
    ``overnight``, the next day."""

    weekday: int
    opens: str
    closes: str
    overnight: bool = False


@dataclass(frozen=True)
class WeeklyHours:
    """A contract's sessions, every week alike (holidays are not modelled)."""

    zone_id: str
    sessions: tuple[Session, ...]

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(ZONES.get(self.zone_id, self.zone_id))

    def _window(self, day: dt.date, session: Session) -> tuple[dt.datetime, dt.datetime]:
        opens = dt.datetime.combine(day, _hhmm(session.opens), self.zone)
        close_day = day + dt.timedelta(days=1) if session.overnight else day
        return opens, dt.datetime.combine(close_day, _hhmm(session.closes), self.zone)

    def text(self, now: float, days: int = 7) -> str:
        """IB's tradingHours/liquidHours text for ``days`` days from the session open at ``now`` (which may
        have opened the day before), else from the local date of ``now``."""
        current = self.session_at(now)
        first = dt.datetime.fromtimestamp(current[0] if current else now, self.zone).date()
        parts = []
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            opening = [s for s in self.sessions if s.weekday == day.weekday()]
            if not opening:
                parts.append(f"{day:%Y%m%d}:CLOSED")
            for session in opening:
                opens, closes = self._window(day, session)
                parts.append(f"{opens:%Y%m%d}:{opens:%H%M}-{closes:%Y%m%d}:{closes:%H%M}")
        return ";".join(parts)

    def session_at(self, t: float) -> tuple[float, float] | None:
        """(open, close) Unix times of the session ``t`` falls in, or None outside every session."""
        local = dt.datetime.fromtimestamp(t, self.zone).date()
        for day in (local - dt.timedelta(days=1), local):
            for session in self.sessions:
                if session.weekday == day.weekday():
                    opens, closes = self._window(day, session)
                    if opens.timestamp() <= t < closes.timestamp():
                        return opens.timestamp(), closes.timestamp()
        return None

    def is_open(self, t: float) -> bool:
        return self.session_at(t) is not None

    def next_session(self, t: float) -> tuple[float, float]:
        """The session ``t`` falls in, else the next one to open."""
        current = self.session_at(t)
        if current is not None:
            return current
        local = dt.datetime.fromtimestamp(t, self.zone).date()
        windows = [
            self._window(local + dt.timedelta(days=offset), s)
            for offset in range(9)
            for s in self.sessions
            if s.weekday == (local + dt.timedelta(days=offset)).weekday()
        ]
        opens, closes = min((w for w in windows if w[0].timestamp() > t), key=lambda w: w[0])
        return opens.timestamp(), closes.timestamp()


def _hhmm(text: str) -> dt.time:
    return dt.time(int(text[:2]), int(text[2:]))


def weekdays(opens: str, closes: str) -> tuple[Session, ...]:
    """A session each weekday, Monday to Friday, within the day."""
    return tuple(Session(day, opens, closes) for day in (MON, TUE, WED, THU, FRI))


def sunday_to_thursday_overnight(opens: str, closes: str) -> tuple[Session, ...]:
    """Sessions opening Sunday to Thursday at ``opens`` and closing the next day at ``closes`` (FX, Globex)."""
    return tuple(Session(day, opens, closes, overnight=True) for day in (SUN, MON, TUE, WED, THU))


# IDEALPRO FX: Sunday 17:15 to Friday 17:00 New York, with the daily 17:00-17:15 break (IB's EUR.USD details).
FX = WeeklyHours("US/Eastern", sunday_to_thursday_overnight("1715", "1700"))
# US stocks: extended hours 04:00-20:00, regular 09:30-16:00 New York.
US_STOCK_TRADING = WeeklyHours("US/Eastern", weekdays("0400", "2000"))
US_STOCK_LIQUID = WeeklyHours("US/Eastern", weekdays("0930", "1600"))
# CME Globex equity index futures: Sunday 17:00 to Friday 16:00 Chicago with the daily 16:00-17:00 break;
# regular hours 08:30-15:00.
CME_GLOBEX_TRADING = WeeklyHours("US/Central", sunday_to_thursday_overnight("1700", "1600"))
CME_GLOBEX_LIQUID = WeeklyHours("US/Central", weekdays("0830", "1500"))
