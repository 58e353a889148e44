"""IB's scheduled resets, as IB publishes them on its system status page (interactivebrokers.com, "System
Status": the daily reset schedule, Sunday to Friday, and the weekend reset/maintenance schedule), per region of
the data centre an account is served from. During a window the connection may drop or stall: that is still a
disconnection, but an expected one.

Daily: North America 00:15-01:45 ET; Europe 06:25-07:45 CET; Asia-Pacific 04:45-06:05 and 20:15-21:15 HKT.
Weekend: Friday 23:00 ET to Saturday 03:00 ET, every region.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
REGIONS: dict[str, tuple[str, ZoneInfo, tuple[tuple[str, str], ...]]] = {
    "north_america": ("North America", NEW_YORK, (("0015", "0145"),)),
    "europe": ("Europe", ZoneInfo("Europe/Zurich"), (("0625", "0745"),)),
    "asia": ("Asia-Pacific", ZoneInfo("Asia/Hong_Kong"), (("0445", "0605"), ("2015", "2115"))),
}
DAILY_WEEKDAYS = (6, 0, 1, 2, 3, 4)  # Sunday to Friday
WEEKEND = (4, "2300", 5, "0300")  # Friday 23:00 to Saturday 03:00 New York


@dataclass(frozen=True, slots=True)
class ResetWindow:
    """One scheduled window, in Unix times."""

    kind: str  # "daily reset" or "weekend maintenance"
    region: str  # IB's name of the region
    start: float
    end: float

    @property
    def label(self) -> str:
        return f"IB's scheduled {self.kind} ({self.region})"


def _at(day: dt.date, hhmm: str, zone: ZoneInfo) -> float:
    return dt.datetime.combine(day, dt.time(int(hhmm[:2]), int(hhmm[2:])), zone).timestamp()


def reset_windows(region: str, t: float, days: int = 2) -> list[ResetWindow]:
    """The windows of ``region`` that end after ``t`` and start within ``days`` days of it, in order.

    ValueError for a region IB does not name."""
    if region not in REGIONS:
        raise ValueError(f"ib_region: expected one of {tuple(REGIONS)}, got {region!r}")
    name, zone, daily = REGIONS[region]
    windows = []
    first = dt.datetime.fromtimestamp(t, zone).date() - dt.timedelta(days=1)
    for offset in range(days + 2):
        day = first + dt.timedelta(days=offset)
        if day.weekday() in DAILY_WEEKDAYS:
            windows += [ResetWindow("daily reset", name, _at(day, a, zone), _at(day, b, zone)) for a, b in daily]
    start_day, start, end_day, end = WEEKEND
    first_ny = dt.datetime.fromtimestamp(t, NEW_YORK).date() - dt.timedelta(days=1)
    for offset in range(days + 2):
        day = first_ny + dt.timedelta(days=offset)
        if day.weekday() == start_day:
            closes = day + dt.timedelta(days=(end_day - start_day) % 7)
            windows.append(
                ResetWindow("weekend maintenance", name, _at(day, start, NEW_YORK), _at(closes, end, NEW_YORK))
            )
    return sorted((w for w in windows if w.end > t and w.start < t + days * 86400), key=lambda w: w.start)


def reset_at(region: str, t: float) -> ResetWindow | None:
    """The window of ``region`` that ``t`` falls in, or None."""
    return next((w for w in reset_windows(region, t, days=1) if w.start <= t < w.end), None)
