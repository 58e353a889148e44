"""The one trading-hours calendar: IB's hours text read in both formats and zones, and written from weekly rules
with the holidays and early closes of exchange_calendars (checked against the library itself, day by day)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import exchange_calendars
import pandas as pd
import pytest

from nautilus_node.ib.hours import (
    CME_GLOBEX_LIQUID,
    CME_GLOBEX_TRADING,
    FX,
    US_STOCK_LIQUID,
    US_STOCK_TRADING,
    parse_hours,
)

NEW_YORK = ZoneInfo("America/New_York")
CHICAGO = ZoneInfo("America/Chicago")
LONDON = ZoneInfo("Europe/London")


def _at(zone: ZoneInfo, *args: int) -> float:
    return dt.datetime(*args, tzinfo=zone).timestamp()


def test_the_current_format_reads_sessions_closed_days_and_sessions_crossing_midnight() -> None:
    hours = parse_hours("20180323:0400-20180323:2000;20180324:CLOSED;20180325:1715-20180326:1700", "US/Eastern")
    assert hours.is_open(_at(NEW_YORK, 2018, 3, 23, 4, 0))
    assert not hours.is_open(_at(NEW_YORK, 2018, 3, 23, 20, 0))  # the close is exclusive
    assert not hours.is_open(_at(NEW_YORK, 2018, 3, 24, 12))  # CLOSED
    assert hours.is_open(_at(NEW_YORK, 2018, 3, 26, 3))  # Sunday's session, after midnight
    assert hours.next_open(_at(NEW_YORK, 2018, 3, 23, 21)) == _at(NEW_YORK, 2018, 3, 25, 17, 15)
    assert hours.next_close(_at(NEW_YORK, 2018, 3, 23, 21)) == _at(NEW_YORK, 2018, 3, 26, 17, 0)
    assert hours.next_close(_at(NEW_YORK, 2018, 3, 23, 12)) == _at(NEW_YORK, 2018, 3, 23, 20, 0)
    assert hours.next_open(_at(NEW_YORK, 2018, 3, 26, 18)) is None  # nothing listed after the text
    assert hours.covers(_at(NEW_YORK, 2018, 3, 23, 0)) and not hours.covers(_at(NEW_YORK, 2018, 3, 27, 1))


def test_the_older_format_reads_times_only_labelled_by_the_day_traded_for_with_a_daily_break() -> None:
    hours = parse_hours("20090507:0700-1830,1830-2330;20090508:CLOSED;20090511:1700-1515,1530-1615", "US/Central")
    assert hours.next_close(_at(CHICAGO, 2009, 5, 7, 8)) == _at(CHICAGO, 2009, 5, 7, 23, 30)  # one session
    assert hours.next_open(_at(CHICAGO, 2009, 5, 7, 23, 45)) == _at(CHICAGO, 2009, 5, 10, 17, 0)  # Sunday evening
    assert hours.is_open(_at(CHICAGO, 2009, 5, 11, 15, 14))
    assert not hours.is_open(_at(CHICAGO, 2009, 5, 11, 15, 20))  # the 15:15-15:30 break
    assert hours.next_close(_at(CHICAGO, 2009, 5, 11, 15, 20)) == _at(CHICAGO, 2009, 5, 11, 16, 15)
    fx = parse_hours("20180323:1715-1700;20180324:CLOSED;20180325:CLOSED;20180326:1715-1700", "US/Eastern")
    assert fx.sessions[-1] == (_at(NEW_YORK, 2018, 3, 25, 17, 15), _at(NEW_YORK, 2018, 3, 26, 17, 0))


@pytest.mark.parametrize(
    ("zone_id", "zone"),
    [("US/Eastern", NEW_YORK), ("America/New_York", NEW_YORK), ("US/Central", CHICAGO), ("Europe/London", LONDON)],
)
def test_each_of_ibs_zone_names_places_the_session_at_its_own_instant(zone_id: str, zone: ZoneInfo) -> None:
    hours = parse_hours("20300701:0800-20300701:1630", zone_id)  # summer time everywhere
    assert hours.sessions == ((_at(zone, 2030, 7, 1, 8), _at(zone, 2030, 7, 1, 16, 30)),)


@pytest.mark.parametrize(
    ("text", "zone_id", "named"),
    [
        ("2030070:0800-1630", "US/Eastern", "'2030070' is not a YYYYMMDD date"),
        ("20300701:0800-1690", "US/Eastern", "'1690' is not an HHMM time"),
        ("20300701:0800", "US/Eastern", "'0800' is not OPEN-CLOSE"),
        ("20300701:0800-1630", "Mars/Olympus", "timeZoneId 'Mars/Olympus' is not a known time zone"),
        ("", "US/Eastern", "lists no day"),
    ],
)
def test_unreadable_text_names_what_it_cannot_read(text: str, zone_id: str, named: str) -> None:
    with pytest.raises(ValueError, match=named.replace("(", r"\(")):
        parse_hours(text, zone_id)


def test_the_text_leads_with_the_session_trading_now_else_with_todays_entry() -> None:
    monday_morning = FX.text(_at(NEW_YORK, 2030, 1, 7, 10))
    assert monday_morning.startswith("20300106:1715-20300107:1700;20300107:1715-20300108:1700;")
    after_the_close = US_STOCK_TRADING.text(_at(NEW_YORK, 2030, 1, 2, 21))
    assert after_the_close.startswith("20300102:0400-20300102:2000;20300103:0400-20300103:2000;")
    assert US_STOCK_LIQUID.text(_at(NEW_YORK, 2030, 1, 5, 12)).startswith("20300105:CLOSED;20300106:CLOSED;")
    assert len(monday_morning.split(";")) == 7


def test_us_stock_holidays_are_nyses_own_every_weekday_of_a_year() -> None:
    nyse = exchange_calendars.get_calendar("XNYS", start="2030-01-01", end="2030-12-31")
    sessions = set(nyse.sessions)
    for day in pd.bdate_range("2030-01-01", "2030-12-31"):
        noon = _at(NEW_YORK, day.year, day.month, day.day, 12)
        entry = US_STOCK_LIQUID.text(noon, days=1)
        assert entry.endswith("CLOSED") != (day in sessions), (day, entry)
        if day in sessions:
            close = nyse.session_close(day).timestamp()
            assert parse_hours(entry, "US/Eastern").next_close(noon) == close, day


def test_an_early_close_ends_regular_hours_with_nyse_and_extended_hours_four_hours_later() -> None:
    friday = _at(NEW_YORK, 2030, 11, 29, 12)  # the day after Thanksgiving
    assert US_STOCK_LIQUID.text(friday, days=1) == "20301129:0930-20301129:1300"
    assert US_STOCK_TRADING.text(friday, days=1) == "20301129:0400-20301129:1700"
    assert US_STOCK_TRADING.text(_at(NEW_YORK, 2030, 11, 28, 12), days=1) == "20301128:CLOSED"


def test_globex_follows_cmes_calendar_christmas_closed_and_christmas_eve_ends_at_noon() -> None:
    text = CME_GLOBEX_TRADING.text(_at(CHICAGO, 2030, 12, 23, 12), days=4).split(";")
    assert text == [
        "20301222:1700-20301223:1600",  # Sunday's session, trading at Monday noon, leads
        "20301223:1700-20301224:1200",
        "20301224:CLOSED",
        "20301225:1700-20301226:1600",
    ]
    assert CME_GLOBEX_LIQUID.text(_at(CHICAGO, 2030, 12, 25, 12), days=1) == "20301225:CLOSED"
    assert not CME_GLOBEX_TRADING.is_open(_at(CHICAGO, 2030, 12, 25, 10))
    assert CME_GLOBEX_TRADING.next_close(_at(CHICAGO, 2030, 12, 24, 10)) == _at(CHICAGO, 2030, 12, 24, 12)


def test_the_written_text_read_back_agrees_with_the_weekly_rules_at_every_quarter_hour() -> None:
    sunday = _at(NEW_YORK, 2030, 1, 6, 0, 0)
    for quarter in range(7 * 24 * 4):
        t = sunday + quarter * 900 + 60
        local = dt.datetime.fromtimestamp(t, NEW_YORK)
        hhmm, day = local.strftime("%H%M"), local.weekday()
        stock = day < 5 and "0930" <= hhmm < "1600"
        assert parse_hours(US_STOCK_LIQUID.text(t), "US/Eastern").is_open(t) == stock, local
        assert US_STOCK_LIQUID.is_open(t) == stock, local
