"""Each override of the resilient client against NautilusTrader's plain client in the same scenario: the
plain run is a strict xfail (it must fail), selected with `-m slow`; ours runs by default."""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request

import pytest

from tests.resilience.harness import DISRUPTIONS, flowing_since, run_row, trade_through, wait_until

pytestmark = pytest.mark.e2e

PLAIN = pytest.param(
    False, id="plain", marks=[pytest.mark.slow, pytest.mark.xfail(strict=True, reason="NautilusTrader alone")]
)
OURS = pytest.param(True, id="resilient")
BOTH = [OURS, PLAIN]


@pytest.mark.parametrize("resilient", BOTH)
def test_reconnect_feeds_flow_within_seconds_of_the_gateway_accepting_again(gateway, node_factory, resilient):
    """NautilusTrader waits 5 s after a lost socket and then backs off; ours retries as the port accepts."""
    live = node_factory(resilient)
    recovery = run_row(gateway, live, dataclasses.replace(DISRUPTIONS["restart-short"], outage=False))
    assert max(recovery.values()) < 4.5, recovery


@pytest.mark.parametrize("resilient", BOTH)
def test_a_fill_during_an_outage_becomes_an_order_filled_event(gateway, node_factory, resilient):
    """NautilusTrader reconciles only at start; ours asks for the executions since the disconnection."""
    live = node_factory(resilient)
    live.call(lambda: live.probe.buy_limit_below(200))
    wait_until(lambda: len(gateway.broker.open_orders()) == 1, 10, "the resting order at the gateway", live)
    [order] = gateway.broker.open_orders()
    gateway.faults.restart(refuse_for=2.0)
    time.sleep(0.3)
    trade_through(gateway, "EUR.USD", order.request.lmt_price)
    wait_until(lambda: len(gateway.broker.executions()) == 1, 5, "the fill at the gateway")
    wait_until(lambda: len(live.probe.fills) == 1, 15, "the strategy to see the fill", live)
    assert [str(p.quantity) for p in live.node.cache.positions_open()] == ["20000"]


@pytest.mark.parametrize("resilient", BOTH)
def test_1101_data_lost_requests_every_subscription_again(gateway, node_factory, resilient):
    """NautilusTrader treats 1101 like 1102 (only a flag); ours cancels and requests every subscription."""
    live = node_factory(resilient)
    gateway.faults.connectivity_restored(data_kept=False)
    wait_until(flowing_since(live, time.monotonic()), 15, "every feed kind after 1101", live)


@pytest.mark.parametrize("resilient", BOTH)
def test_1100_keeps_the_session_and_its_subscriptions_until_1102(gateway, node_factory, resilient):
    """NautilusTrader closes the socket at 1100 and reconnects; IB keeps it open and says 1101/1102, so ours
    keeps the session: with 1102 its subscriptions carry on, and no new connection is made."""
    live = node_factory(resilient)
    sessions = set(gateway._server.sessions)  # the node's one connection to the gateway
    gateway.faults.connectivity_lost()
    time.sleep(3.0)
    gateway.faults.connectivity_restored(data_kept=True)
    wait_until(flowing_since(live, time.monotonic()), 10, "every feed kind after 1102", live)
    # NautilusTrader pauses 5 s before it reconnects: watch for a new connection for longer than that.
    deadline = time.monotonic() + 8.0
    while time.monotonic() < deadline:
        assert set(gateway._server.sessions) == sessions, "the session open before 1100 must stay the one in use"
        time.sleep(0.2)


@pytest.mark.parametrize("resilient", BOTH)
def test_after_a_restart_the_new_session_gets_the_market_data_type_again(gateway, node_factory, resilient):
    """NautilusTrader sends reqMarketDataType once, at start; IB keeps it per API session, so after a restart
    the new session would serve real-time data (or refuse it: 354) to a node configured for delayed data."""
    live = node_factory(resilient, gateway_options={"market_data_type": "DELAYED"})

    def session_types() -> list[int]:
        return [s.state.market_data_type for s in list(gateway._server.sessions) if s.state.client_id == 21]

    assert session_types() == [3]
    gateway.faults.restart(refuse_for=1.0)
    time.sleep(0.3)
    wait_until(flowing_since(live, time.monotonic()), 20, "every feed kind after the restart", live)
    wait_until(lambda: session_types() == [3], 5, "the new session set to delayed data (3)", live)


@pytest.mark.parametrize("resilient", BOTH)
def test_a_client_id_still_in_use_after_a_restart_costs_seconds_not_a_handshake_timeout(
    gateway, node_factory, resilient
):
    """The gateway holds the client id for 8 s after the restart (326 to a new session meanwhile). NautilusTrader
    waits out its 15-second handshake timeout after a 326: connected again at least 15 s after the id is free.
    Ours ends the attempt at once and tries again after its back-off (0.5, 1, 2, 4, 8 s), so the attempt after
    the id is free comes within the 8 s then in force."""
    live = node_factory(resilient)
    gateway.faults.hold_client_ids(8.0)
    gateway.faults.restart(refuse_for=1.0)
    free = time.monotonic() + 8.0
    wait_until(lambda: not live.client.is_ready, 5, "the client to notice the restart")
    wait_until(lambda: live.client.is_ready, 40, "the client to connect again", live)
    reconnected = time.monotonic() - free
    wait_until(flowing_since(live, free), 30, "every feed kind once connected again", live)
    assert reconnected < 10.0, f"connected again {reconnected:.1f} s after the client id was free"


# NautilusTrader alone also gets keepUpToDate bars back after a 10182 here, so that row runs with ours only.
ROWS_ENDED = ("bars-die-silently", "bars-10225", "quotes-322")
ENDED = [pytest.param(row, True, id=f"{row}-resilient") for row in (*ROWS_ENDED, "live-bars-10182")] + [
    pytest.param(row, False, id=f"{row}-plain", marks=PLAIN.marks) for row in ROWS_ENDED
]


@pytest.mark.parametrize(("row", "resilient"), ENDED)
def test_a_subscription_ended_by_the_gateway_is_requested_again(gateway, node_factory, resilient, row):
    """NautilusTrader logs 10225 and 322, waits for a farm notice after 10182, and never notices a silent
    end; ours cancels and requests the subscription again (the watchdog catches the silent one). Two events
    each: NautilusTrader publishes a dead keepUpToDate subscription's pending bar once, on a timer."""
    live = node_factory(resilient)
    run_row(gateway, live, DISRUPTIONS[row], timeout=30, at_least=2)


def test_a_subscription_that_stays_silent_is_reported_dead_after_its_tries(gateway, node_factory):
    live = node_factory(True)
    gateway.faults.stall_feed("SPY")

    def spy_state() -> str | None:
        resilience = live.sample().resilience
        assert resilience is not None
        return next((s.text for s in resilience.subscriptions if s.name.startswith("SPY.ARCA")), None)

    wait_until(lambda: (spy_state() or "").startswith("recovering since"), 10, "SPY ticks recovering", live)
    wait_until(lambda: spy_state() == "dead after 3 tries", 30, "SPY ticks reported dead", live)
    assert live.sample().health.healthy, "SPY is not a required feed"
    gateway.faults.resume_feed("SPY")
    wait_until(lambda: spy_state() == "live", 10, "SPY ticks live again", live)


def test_an_order_submitted_while_disconnected_is_rejected_with_the_reason(gateway, node_factory):
    live = node_factory(True)
    gateway.faults.restart(refuse_for=3.0)
    wait_until(lambda: not live.client.is_ready, 5, "the client to notice the restart")
    live.call(live.probe.buy_market)
    wait_until(lambda: live.probe.refusals, 5, "the order to be refused")
    [refusal] = live.probe.refusals
    assert "not ready" in refusal.reason
    wait_until(flowing_since(live, time.monotonic()), 20, "every feed kind after the restart", live)
    assert not gateway.broker._book.orders, "the refused order must never reach the gateway"


def healthz(live) -> tuple[int, list[str]]:
    host, port = live.actor.http_address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as reply:
            return reply.status, json.loads(reply.read())["reasons"]
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())["reasons"]


def test_healthz_is_503_while_a_required_feed_recovers_beyond_its_staleness_limit(gateway, node_factory):
    live = node_factory(True)
    assert healthz(live)[0] == 200
    gateway.faults.stall_feed("EUR.USD")

    def recovering_reported() -> bool:
        code, reasons = healthz(live)
        return code == 503 and any("EUR/USD.IDEALPRO market_data recovering since" in r for r in reasons)

    wait_until(recovering_reported, 15, "/healthz 503 naming the recovering quotes", live)
    gateway.faults.resume_feed("EUR.USD")
    wait_until(lambda: healthz(live)[0] == 200, 15, "/healthz 200 again", live)
