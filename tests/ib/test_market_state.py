"""An instrument's market state from the IB hours in its info, through a real NautilusTrader cache."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from nautilus_trader.cache.cache import Cache
from nautilus_trader.model.instruments import CurrencyPair

from nautilus_node.ib.market_state import MarketClock, hours_in_info
from tests.status.conftest import eurusd

NEW_YORK = ZoneInfo("America/New_York")
SATURDAY = dt.datetime(2030, 1, 5, 12, tzinfo=NEW_YORK).timestamp()


def _cache_with(info: dict | None) -> Cache:
    cache = Cache()
    cache.add_instrument(CurrencyPair.from_dict({**CurrencyPair.to_dict(eurusd()), "info": info}))
    return cache


def test_a_reloaded_instrument_is_judged_by_its_new_hours() -> None:
    cache = _cache_with({"tradingHours": "20300105:CLOSED;20300106:1715-20300107:1700", "timeZoneId": "US/Eastern"})
    clock = MarketClock(cache)
    closed = clock.state(eurusd().id, SATURDAY)
    assert not closed.is_open and closed.opens_at == dt.datetime(2030, 1, 6, 17, 15, tzinfo=NEW_YORK).timestamp()
    cache.add_instrument(
        CurrencyPair.from_dict(
            {
                **CurrencyPair.to_dict(eurusd()),
                "info": {"tradingHours": "20300105:0000-2400", "timeZoneId": "US/Eastern"},
            }
        )
    )
    assert clock.state(eurusd().id, SATURDAY).is_open


@pytest.mark.parametrize(
    "info",
    [None, {}, {"tradingHours": "20300105:CLOSED"}, {"tradingHours": "garbage", "timeZoneId": "US/Eastern"}],
)
def test_missing_or_unreadable_hours_count_as_unknown_and_open(info) -> None:
    assert hours_in_info(info) is None
    assert MarketClock(_cache_with(info)).state(eurusd().id, SATURDAY).is_open


def test_an_unknown_override_is_refused_naming_the_values() -> None:
    with pytest.raises(ValueError, match=r"market_hours: expected one of \('instruments', 'always'\), got 'fx'"):
        MarketClock(Cache(), "fx")
