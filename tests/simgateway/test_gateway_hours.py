"""Trading hours as IB states them, on a market clock the test sets: contract details text per contract and time
zone, and orders that do not fill outside the hours (IOC/FOK cancelled, DAY waiting then expiring)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from ibapi.order import Order as IbOrder

from nautilus_node.ib.hours import CME_GLOBEX_TRADING, FX, US_STOCK_LIQUID, US_STOCK_TRADING
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.broker import Broker, Fill, OrderRequest
from nautilus_node.simgateway.contracts import Universe, build_universe
from nautilus_node.simgateway.market import Quote

from .ibapp import IBApp, eurusd, spy

NEW_YORK = ZoneInfo("America/New_York")
CHICAGO = ZoneInfo("America/Chicago")
UNIVERSE = Universe(build_universe(dt.date(2030, 1, 2)))
SPY = UNIVERSE.by_con_id(756733)
EUR = UNIVERSE.by_local_symbol("EUR.USD")
QUOTE = Quote(99.50, 99.52, 10, 10, 0.0)


def _ny(*args: int) -> float:
    return dt.datetime(*args, tzinfo=NEW_YORK).timestamp()


def _fx_calendar_open(t: float) -> bool:
    """IDEALPRO, stated independently: Sunday 17:15 to Friday 17:00 New York, closed daily 17:00-17:15."""
    local = dt.datetime.fromtimestamp(t, NEW_YORK)
    hhmm, day = local.strftime("%H%M"), local.weekday()
    if day == 5:
        return False
    if day == 6:
        return hhmm >= "1715"
    if day == 4:
        return hhmm < "1700"
    return not "1700" <= hhmm < "1715"


def _open_in_text(text: str, t: float, zone: ZoneInfo) -> bool:
    """Whether IB's hours text lists ``t`` inside one of its sessions."""
    for part in text.split(";"):
        if part.endswith("CLOSED"):
            continue
        opens, closes = part.split("-")
        start = dt.datetime.strptime(opens, "%Y%m%d:%H%M").replace(tzinfo=zone).timestamp()
        end = dt.datetime.strptime(closes, "%Y%m%d:%H%M").replace(tzinfo=zone).timestamp()
        if start <= t < end:
            return True
    return False


def test_eurusd_hours_agree_with_the_fx_calendar_at_every_quarter_hour_of_a_week() -> None:
    sunday = _ny(2030, 1, 6, 0, 0)
    for quarter in range(7 * 24 * 4):
        t = sunday + quarter * 900 + 60
        expected = _fx_calendar_open(t)
        assert FX.is_open(t) == expected, dt.datetime.fromtimestamp(t, NEW_YORK)
        assert _open_in_text(FX.text(t), t, NEW_YORK) == expected, FX.text(t)


def test_eurusd_text_labels_each_session_by_its_opening_day() -> None:
    text = FX.text(_ny(2030, 1, 6, 18, 0))  # Sunday evening
    assert text.split(";") == [
        "20300106:1715-20300107:1700",
        "20300107:1715-20300108:1700",
        "20300108:1715-20300109:1700",
        "20300109:1715-20300110:1700",
        "20300110:1715-20300111:1700",
        "20300111:CLOSED",
        "20300112:CLOSED",
    ]


def test_spy_has_extended_and_regular_hours_and_es_the_globex_week_in_chicago() -> None:
    wednesday = dt.date(2030, 1, 2)
    assert US_STOCK_TRADING.text(_ny(2030, 1, 2, 12)).startswith("20300102:0400-20300102:2000;")
    assert US_STOCK_LIQUID.text(_ny(2030, 1, 2, 12)).startswith("20300102:0930-20300102:1600;")
    assert US_STOCK_LIQUID.text(_ny(2030, 1, 5, 12)).startswith("20300105:CLOSED;20300106:CLOSED;20300107:0930")
    chicago = dt.datetime.combine(wednesday, dt.time(16, 30), CHICAGO).timestamp()
    assert not CME_GLOBEX_TRADING.is_open(chicago)  # the daily 16:00-17:00 break
    assert CME_GLOBEX_TRADING.is_open(chicago + 3600)
    assert CME_GLOBEX_TRADING.text(chicago + 3600).startswith("20300102:1700-20300103:1600;")


def _broker() -> Broker:
    return Broker("DU1", always_open=False)


def test_an_ioc_order_outside_the_hours_is_cancelled() -> None:
    saturday = _ny(2030, 1, 5, 12)
    events = _broker().place(OrderRequest(1, 1, SPY, "BUY", Decimal(1), "MKT", tif="IOC"), QUOTE, saturday)
    assert [e.order.status for e in events] == ["Submitted", "Cancelled"]


def test_a_day_limit_outside_the_hours_waits_then_fills_in_the_session_and_expires_at_its_end() -> None:
    broker = _broker()
    before_open = _ny(2030, 1, 2, 8)
    waiting = broker.place(OrderRequest(1, 1, SPY, "BUY", Decimal(1), "LMT", lmt_price=99.60), QUOTE, before_open)
    assert [e.order.status for e in waiting] == ["Submitted"]
    assert any(isinstance(e, Fill) for e in broker.on_quote(SPY, QUOTE, _ny(2030, 1, 2, 9, 31)))
    resting = OrderRequest(2, 1, SPY, "BUY", Decimal(1), "LMT", lmt_price=90.0)
    broker.place(resting, QUOTE, _ny(2030, 1, 2, 10))
    assert broker.expire(_ny(2030, 1, 2, 15, 59)) == []
    [expired] = broker.expire(_ny(2030, 1, 2, 16, 0))
    assert (expired.order.order_id, expired.order.status) == (2, "Cancelled")


def test_outside_rth_lets_a_stock_order_fill_in_extended_hours() -> None:
    broker = _broker()
    early = _ny(2030, 1, 2, 7)
    rth_only = broker.place(OrderRequest(1, 1, SPY, "BUY", Decimal(1), "MKT"), QUOTE, early)
    extended = broker.place(OrderRequest(2, 1, SPY, "BUY", Decimal(1), "MKT", outside_rth=True), QUOTE, early)
    assert not any(isinstance(e, Fill) for e in rth_only)
    assert any(isinstance(e, Fill) for e in extended)


def test_fx_fills_on_a_weekday_night_but_not_in_the_daily_break() -> None:
    broker = _broker()
    quote = Quote(1.1, 1.10005, 1_000_000, 1_000_000, 0.0)
    night = broker.place(OrderRequest(1, 1, EUR, "BUY", Decimal(20_000), "MKT", tif="IOC"), quote, _ny(2030, 1, 2, 23))
    brk = broker.place(OrderRequest(2, 1, EUR, "BUY", Decimal(20_000), "MKT", tif="IOC"), quote, _ny(2030, 1, 2, 17, 5))
    assert any(isinstance(e, Fill) for e in night)
    assert [e.order.status for e in brk] == ["Submitted", "Cancelled"]


@pytest.fixture
def saturday_gateway():
    offset = _ny(2030, 1, 5, 12) - dt.datetime.now(dt.UTC).timestamp()
    clock = lambda: dt.datetime.now(dt.UTC).timestamp() + offset  # noqa: E731 - a Saturday, moving on
    with SimulatedGateway(port=0, market_hours="real", clock=clock, tick_interval=0.1) as gateway:
        yield gateway


def test_ibapi_sees_a_spy_ioc_cancelled_on_a_saturday_and_eurusd_hours_in_ibs_format(saturday_gateway) -> None:
    ib = IBApp().connect(saturday_gateway.port, 1)
    try:
        ib.client.reqContractDetails(1, eurusd())
        details = ib.wait_for("contractDetails", lambda a: a[0] == 1)[0][1]
        order = IbOrder()
        order.action, order.orderType, order.totalQuantity, order.tif = "BUY", "MKT", Decimal(1), "IOC"
        oid = ib.of("nextValidId")[0][0]
        ib.client.placeOrder(oid, spy(), order)
        ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Cancelled")
    finally:
        ib.disconnect()
    assert details.timeZoneId == "US/Eastern"
    assert details.tradingHours.split(";")[:2] == ["20300105:CLOSED", "20300106:1715-20300107:1700"]
    assert not ib.of("execDetails")


@pytest.fixture
def thanksgiving_gateway():
    offset = _ny(2030, 11, 28, 12) - dt.datetime.now(dt.UTC).timestamp()
    clock = lambda: dt.datetime.now(dt.UTC).timestamp() + offset  # noqa: E731 - a US holiday, moving on
    with SimulatedGateway(port=0, market_hours="real", clock=clock, tick_interval=0.1) as gateway:
        yield gateway


def test_on_a_us_holiday_spy_is_closed_all_day_in_its_details_and_an_order_does_not_fill(thanksgiving_gateway):
    ib = IBApp().connect(thanksgiving_gateway.port, 1)
    try:
        ib.client.reqContractDetails(1, spy())
        details = ib.wait_for("contractDetails", lambda a: a[0] == 1)[0][1]
        order = IbOrder()
        order.action, order.orderType, order.totalQuantity, order.tif = "BUY", "MKT", Decimal(1), "IOC"
        order.outsideRth = True
        oid = ib.of("nextValidId")[0][0]
        ib.client.placeOrder(oid, spy(), order)
        ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Cancelled")
    finally:
        ib.disconnect()
    assert details.tradingHours.split(";")[:2] == ["20301128:CLOSED", "20301129:0400-20301129:1700"]
    assert details.liquidHours.split(";")[:2] == ["20301128:CLOSED", "20301129:0930-20301129:1300"]
    assert not ib.of("execDetails")
