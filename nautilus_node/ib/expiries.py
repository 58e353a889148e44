"""Futures months as the exchanges list them: which months a family lists, and each month's last trade date by
its exchange's rule (the dates of the calendar; `hours.py` states the hours).

Business days here are weekdays (exchange holidays do not move a last trade date). The rules, by name:

- ``third_friday``: the third Friday of the contract month (CME equity index futures);
- ``crude_oil``: three business days before the 25th of the month before the contract month, counting from the
  business day before the 25th when the 25th is not one (NYMEX CL);
- ``natural_gas``: three business days before the first day of the contract month (NYMEX NG);
- ``third_last_weekday``: the third-last business day of the contract month (COMEX GC, SI);
- ``treasury_note``: the seventh business day before the last business day of the contract month (CBOT ZN, ZB);
- ``before_15th``: the business day before the 15th of the contract month (CBOT ZC, ZS).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

MONTH_CODES = "FGHJKMNQUVXZ"


def _business_days_before(day: dt.date, count: int) -> dt.date:
    while count:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _last_business_day(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return _business_days_before(first_next, 1)


def _third_friday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)


def _crude_oil(year: int, month: int) -> dt.date:
    prior_year, prior_month = (year, month - 1) if month > 1 else (year - 1, 12)
    the_25th = dt.date(prior_year, prior_month, 25)
    start = the_25th if the_25th.weekday() < 5 else _business_days_before(the_25th, 1)
    return _business_days_before(start, 3)


def _natural_gas(year: int, month: int) -> dt.date:
    return _business_days_before(dt.date(year, month, 1), 3)


def _third_last_weekday(year: int, month: int) -> dt.date:
    return _business_days_before(_last_business_day(year, month), 2)


def _treasury_note(year: int, month: int) -> dt.date:
    return _business_days_before(_last_business_day(year, month), 7)


def _before_15th(year: int, month: int) -> dt.date:
    return _business_days_before(dt.date(year, month, 15), 1)


RULES: dict[str, Callable[[int, int], dt.date]] = {
    "third_friday": _third_friday,
    "crude_oil": _crude_oil,
    "natural_gas": _natural_gas,
    "third_last_weekday": _third_last_weekday,
    "treasury_note": _treasury_note,
    "before_15th": _before_15th,
}


def last_trade_date(rule: str, year: int, month: int) -> dt.date:
    """The last trade date of the ``year``/``month`` contract under ``rule`` (a name in ``RULES``)."""
    return RULES[rule](year, month)


def contract_months(cycle: str, rule: str, year: int, month: int) -> Iterator[tuple[int, int, dt.date]]:
    """The (year, month, last trade date) of the months in ``cycle`` (IB month codes), from ``year``/``month``
    on, in order."""
    wanted = {MONTH_CODES.index(code) + 1 for code in cycle}
    while True:
        if month in wanted:
            yield year, month, last_trade_date(rule, year, month)
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)


def local_symbol(symbol: str, month: int, year: int) -> str:
    """IB's local symbol of a CME Group future: symbol, month code, last digit of the year (``ESZ6``)."""
    return f"{symbol}{MONTH_CODES[month - 1]}{year % 10}"
