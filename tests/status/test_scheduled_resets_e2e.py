"""End to end: IB's scheduled resets in the status of a node run by the CLI, its clock and its gateway's at a
chosen New York time. A disconnection inside a window is still a disconnection (503), labelled as IB's reset."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.status.market_clock import node_at, until

pytestmark = pytest.mark.e2e

NEW_YORK = ZoneInfo("America/New_York")
EURUSD = "EUR/USD.IDEALPRO"
LABEL = "IB's scheduled daily reset (North America)"


def test_a_gateway_lost_in_the_daily_reset_is_reported_down_and_labelled_as_ibs_reset(tmp_path: Path):
    with node_at(dt.datetime(2030, 1, 2, 0, 20, tzinfo=NEW_YORK), tmp_path, [EURUSD]) as node:
        connected, healthz = until(node, "connected", lambda s, _: s.gateway.state == "connected")
        assert connected.gateway.scheduled_reset is None  # connected: nothing to excuse or label
        assert [(w.label, w.starts_at, w.ends_at) for w in connected.expected_windows] == [
            (LABEL, "2030-01-02T05:15:00.000Z", "2030-01-02T06:45:00.000Z"),  # 00:15-01:45 New York, now
            (LABEL, "2030-01-03T05:15:00.000Z", "2030-01-03T06:45:00.000Z"),
        ]
        node.gateway.kill()
        down, healthz = until(node, "disconnected", lambda s, _: s.gateway.state != "connected", timeout=30)
        assert down.gateway.scheduled_reset == LABEL
        assert healthz == 503 and not down.health.healthy
        assert any(r.startswith("gateway 127.0.0.1:") and r.endswith(f"({LABEL})") for r in down.health.reasons)


def test_outside_a_window_a_lost_gateway_is_not_labelled(tmp_path: Path):
    with node_at(dt.datetime(2030, 1, 2, 12, 0, tzinfo=NEW_YORK), tmp_path, [EURUSD]) as node:
        until(node, "connected", lambda s, _: s.gateway.state == "connected")
        node.gateway.kill()
        down, healthz = until(node, "disconnected", lambda s, _: s.gateway.state != "connected", timeout=30)
    assert down.gateway.scheduled_reset is None and healthz == 503
    assert down.expected_windows[0].starts_at == "2030-01-03T05:15:00.000Z"  # the next one, tomorrow
