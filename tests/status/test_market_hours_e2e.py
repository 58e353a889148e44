"""End to end: a node run by the CLI against the simulated gateway, both with their clocks at a chosen New York
time, judges each feed by its instrument's own trading hours (IB's text in the contract details the real
NautilusTrader adapter loaded), read over HTTP."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from nautilus_node.status.snapshot import Feed, Snapshot
from tests.simgateway.ibapp import IBApp, spy
from tests.status.market_clock import ShiftedNode, node_at, read_status, until

pytestmark = pytest.mark.e2e

NEW_YORK = ZoneInfo("America/New_York")
SPY, EURUSD = "SPY.ARCA", "EUR/USD.IDEALPRO"
STALE_AFTER_SECS = 4.0


def _new_york(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NEW_YORK)


def _quotes(snapshot: Snapshot, name: str) -> Feed | None:
    return next((f for f in snapshot.feeds if f.name == name and f.data_type == "quotes"), None)


def _hold(node: ShiftedNode, secs: float) -> list[tuple[Snapshot, int]]:
    """Every reading for `secs` (longer than the stale limit: silence would have been judged by then)."""
    readings, deadline = [], time.monotonic() + secs
    while time.monotonic() < deadline:
        if (reading := read_status(node)) is not None:
            readings.append(reading)
        time.sleep(0.5)
    return readings


def test_spy_at_nine_in_the_evening_is_closed_until_the_next_session_and_the_node_stays_healthy(tmp_path: Path):
    with node_at(_new_york(2030, 1, 2, 21, 0), tmp_path, [SPY, EURUSD], STALE_AFTER_SECS) as node:
        snapshot, healthz = until(node, "both feeds judged", lambda s, _: _quotes(s, SPY) and _quotes(s, EURUSD))
        readings = [(snapshot, healthz), *_hold(node, 2.5 * STALE_AFTER_SECS)]
    for snapshot, healthz in readings:
        spy_feed = _quotes(snapshot, SPY)
        assert spy_feed is not None and spy_feed.required
        assert (spy_feed.state, spy_feed.reason) == ("closed", "closed until 2030-01-03T09:00:00.000Z")  # 04:00
        assert spy_feed.opens_at == "2030-01-03T09:00:00.000Z"
        assert healthz == 200 and snapshot.health.healthy, snapshot.health.reasons
    assert _quotes(readings[-1][0], EURUSD).state == "fresh"  # FX trades through the evening


def test_spy_at_ten_in_the_morning_is_live(tmp_path: Path):
    with node_at(_new_york(2030, 1, 2, 10, 0), tmp_path, [SPY], STALE_AFTER_SECS) as node:
        snapshot, healthz = until(node, "SPY fresh", lambda s, _: getattr(_quotes(s, SPY), "state", "") == "fresh")
        readings = [(snapshot, healthz), *_hold(node, 2 * STALE_AFTER_SECS)]
    for snapshot, healthz in readings:
        assert _quotes(snapshot, SPY).state == "fresh" and _quotes(snapshot, SPY).count > 0
        assert healthz == 200


def test_fx_at_five_past_five_is_closed_for_the_daily_break_not_stale(tmp_path: Path):
    with node_at(_new_york(2030, 1, 2, 17, 5), tmp_path, [EURUSD], STALE_AFTER_SECS) as node:
        snapshot, healthz = until(node, "EUR/USD judged", lambda s, _: _quotes(s, EURUSD) is not None)
        readings = [(snapshot, healthz), *_hold(node, 2.5 * STALE_AFTER_SECS)]
    for snapshot, healthz in readings:
        fx = _quotes(snapshot, EURUSD)
        # IB's text, loaded in the break, starts with today's entry: the session that closed at 17:00 is not in
        # it, so the spell is not labelled a break (it is once the node has seen a session close).
        assert (fx.state, fx.reason) == ("closed", "closed until 2030-01-02T22:15:00.000Z")  # 17:15 New York
        assert healthz == 200
        assert snapshot.resilience is not None
        assert all(s.state in ("waiting", "live") for s in snapshot.resilience.subscriptions)  # no re-request


def test_on_a_us_holiday_spy_is_closed_all_day_in_the_gateways_hours_and_in_the_status(tmp_path: Path):
    with node_at(_new_york(2030, 11, 28, 12, 0), tmp_path, [SPY], STALE_AFTER_SECS) as node:
        snapshot, healthz = until(node, "SPY judged", lambda s, _: _quotes(s, SPY) is not None)
        readings = [(snapshot, healthz), *_hold(node, 1.5 * STALE_AFTER_SECS)]
        ib = IBApp().connect(node.gateway_port, 41)
        try:
            ib.client.reqContractDetails(1, spy())
            details = ib.wait_for("contractDetails", lambda a: a[0] == 1)[0][1]
        finally:
            ib.disconnect()
    assert details.tradingHours.startswith("20301128:CLOSED;20301129:0400-20301129:1700;")
    assert details.liquidHours.startswith("20301128:CLOSED;20301129:0930-20301129:1300;")
    for snapshot, healthz in readings:
        assert (_quotes(snapshot, SPY).state, _quotes(snapshot, SPY).reason) == (
            "closed",
            "closed until 2030-11-29T09:00:00.000Z",  # 04:00 New York, the day after
        )
        assert healthz == 200
