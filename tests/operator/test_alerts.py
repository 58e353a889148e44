"""Alerts through real local HTTP receivers: apprise's json:// target and a plain JSON webhook delivered from
worker threads, while another destination is down and another hangs; duplicates and bursts suppressed."""

from __future__ import annotations

import time

import pytest

from nautilus_node.status.alerts import Alert, Alerter, destinations
from tests.operator.receivers import Hanging, Receiver, unused_port


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def hanging():
    server = Hanging()
    yield server
    server.close()


def _alert(key: str = "gateway_disconnected", kind: str = "alert") -> Alert:
    return Alert(key=key, kind=kind, title=f"{key} title", message="the message", at="2026-12-07T12:00:00.000Z")  # type: ignore[arg-type]


def test_apprise_json_and_webhook_arrive_while_one_destination_is_down_and_one_hangs(receiver, hanging):
    targets = destinations(
        [f"json://127.0.0.1:{hanging.port}/?rto=30", f"json://127.0.0.1:{receiver.port}/apprise"],
        [f"http://127.0.0.1:{unused_port()}/down", f"http://127.0.0.1:{receiver.port}/webhook"],
        timeout_secs=30.0,
    )
    alerter = Alerter(targets, retries=1, backoff_secs=0.05)
    try:
        started = time.monotonic()
        assert alerter.raise_alert(_alert())
        assert time.monotonic() - started < 0.05  # handed to the workers, never waited on
        bodies = receiver.wait_for(lambda b: len(b) == 2, 5)
        assert time.monotonic() - started < 5  # the hanging destination (30 s timeout) delayed neither
        by_shape = {"apprise" if "type" in b else "webhook": b for b in bodies}
        assert by_shape["apprise"]["title"] == "gateway_disconnected title"
        assert by_shape["apprise"]["message"] == "the message" and by_shape["apprise"]["type"] == "failure"
        assert by_shape["webhook"] == {
            "key": "gateway_disconnected",
            "kind": "alert",
            "title": "gateway_disconnected title",
            "message": "the message",
            "at": "2026-12-07T12:00:00.000Z",
        }
        deadline = time.monotonic() + 5
        while alerter.view().destinations[2].failed == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        counts = {d.name: (d.sent, d.failed) for d in alerter.view().destinations}
        assert counts == {"apprise#1": (0, 0), "apprise#2": (1, 0), "webhook#1": (0, 1), "webhook#2": (1, 0)}
    finally:
        alerter.close()


def test_ten_repeats_within_the_dedup_window_send_one_and_a_recovery_passes(receiver):
    alerter = Alerter(destinations([], [f"http://127.0.0.1:{receiver.port}/"], 5.0), dedup_secs=60)
    try:
        queued = [alerter.raise_alert(_alert("limit:max_daily_loss:")) for _ in range(10)]
        assert queued == [True] + [False] * 9
        assert alerter.raise_alert(_alert("limit:max_daily_loss:", "recovered"))
        bodies = receiver.wait_for(lambda b: len(b) == 2, 5)
        assert [b["kind"] for b in bodies] == ["alert", "recovered"]
        view = alerter.view()
        assert (view.raised, view.suppressed) == (11, 9)
        assert [r.outcome for r in view.recent].count("suppressed") == 9
    finally:
        alerter.close()


def test_beyond_the_rate_per_minute_alerts_are_suppressed(receiver):
    alerter = Alerter(destinations([], [f"http://127.0.0.1:{receiver.port}/"], 5.0), rate_per_minute=3)
    try:
        queued = [alerter.raise_alert(_alert(f"order_denied:{i}")) for i in range(5)]
        assert queued == [True, True, True, False, False]
        receiver.wait_for(lambda b: len(b) == 3, 5)
    finally:
        alerter.close()


def test_a_failing_destination_is_retried_with_back_off_then_counted(receiver):
    down = unused_port()
    alerter = Alerter(destinations([], [f"http://127.0.0.1:{down}/"], 1.0), retries=2, backoff_secs=0.2)
    try:
        started = time.monotonic()
        alerter.raise_alert(_alert())
        deadline = time.monotonic() + 5
        while alerter.view().destinations[0].failed == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert alerter.view().destinations[0].failed == 1
        assert time.monotonic() - started >= 0.6  # waited 0.2 s, then 0.4 s, between the three tries
    finally:
        alerter.close()


def test_an_unknown_apprise_url_names_its_position_not_its_text():
    with pytest.raises(ValueError, match=r"^apprise#1: not a URL apprise knows") as error:
        destinations(["nosuchservice://secret-token@host"], [], 1.0)
    assert "secret-token" not in str(error.value)
