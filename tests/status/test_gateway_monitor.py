"""The gateway monitor reads the adapter's real `InteractiveBrokersClient` and observes its IB codes.

The client here is constructed but never started (no socket): connection states over a real socket are
covered by the end-to-end tests against the simulated gateway.
"""

from __future__ import annotations

import asyncio

import pytest
from nautilus_trader.adapters.interactive_brokers import factories
from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.model.identifiers import TraderId

from nautilus_node import nautilus_internals
from nautilus_node.status.gateway import GatewayMonitor

KEY = ("127.0.0.1", 47999, 7)


@pytest.fixture
def ib_client():
    loop = asyncio.new_event_loop()
    clock = LiveClock()
    client = InteractiveBrokersClient(
        loop=loop,
        msgbus=MessageBus(TraderId("NODE-001"), clock),
        cache=Cache(),
        clock=clock,
        host=KEY[0],
        port=KEY[1],
        client_id=KEY[2],
    )
    factories.IB_CLIENTS[KEY] = client
    yield client, loop
    nautilus_internals._CLIENT_ERROR_OBSERVERS.clear()  # monitors a test left watching
    factories.IB_CLIENTS.pop(KEY, None)
    loop.close()


def _process(loop, client, code: int, message: str, req_id: int = -1) -> None:
    call = client.process_error(req_id=req_id, error_time=0, error_code=code, error_string=message)
    loop.run_until_complete(call)


def test_before_the_node_builds_its_ib_client_the_gateway_is_disconnected_without_invented_details():
    monitor = GatewayMonitor("127.0.0.1", 47998, 7, LiveClock().timestamp_ns)
    gateway = monitor.poll()
    assert (gateway.state, gateway.server_version, gateway.connection_time, gateway.codes) == (
        "disconnected",
        None,
        None,
        [],
    )


def test_codes_are_recorded_and_still_reach_the_adapter(ib_client):
    client, loop = ib_client
    monitor = GatewayMonitor(*KEY, LiveClock().timestamp_ns)
    monitor.watch()
    assert monitor.attach()
    _process(loop, client, 2103, "Market data farm connection is broken:usfarm")
    assert client._data_farm_degraded_since_ns is not None  # the adapter handled it as before
    assert monitor.farm_outage("md").startswith("market data farm broken (IB 2103 at ")
    _process(loop, client, 2104, "Market data farm connection is OK:usfarm")
    assert monitor.farm_outage("md") is None
    gateway = monitor.poll()
    assert [(c.code, c.message) for c in gateway.codes] == [
        (2103, "Market data farm connection is broken:usfarm"),
        (2104, "Market data farm connection is OK:usfarm"),
    ]
    assert (gateway.market_data_farm, gateway.state) == ("ok", "disconnected")


def test_request_errors_other_than_connectivity_are_not_recorded(ib_client):
    client, loop = ib_client
    monitor = GatewayMonitor(*KEY, LiveClock().timestamp_ns)
    monitor.watch()
    monitor.attach()
    _process(loop, client, 200, "No security definition has been found", req_id=10001)
    _process(loop, client, 1100, "Connectivity between IB and Trader Workstation has been lost.")
    assert [c.code for c in monitor.poll().codes] == [1100]


def test_codes_are_recorded_before_the_factory_caches_the_client_and_not_after_detaching(ib_client):
    client, loop = ib_client
    monitor = GatewayMonitor(*KEY, LiveClock().timestamp_ns)
    monitor.watch()
    other = GatewayMonitor("127.0.0.1", 47999, 8, LiveClock().timestamp_ns)  # another client id
    other.watch()
    _process(loop, client, 2104, "Market data farm connection is OK:usfarm")  # not attached yet: as at start-up
    assert monitor.poll().market_data_farm == "ok"
    assert other.poll().codes == []
    monitor.detach()
    other.detach()
    _process(loop, client, 2103, "Market data farm connection is broken:usfarm")
    assert [c.code for c in monitor.poll().codes] == [2104]
    assert client._data_farm_degraded_since_ns is not None  # the adapter handled every code as before


@pytest.mark.usefixtures("ib_client")
def test_farm_codes_of_the_connection_set_every_farm_and_reconnects_start_at_zero():
    monitor = GatewayMonitor(*KEY, now_ns=LiveClock().timestamp_ns)
    assert monitor.attach()
    for code in (2104, 2106, 2158):
        monitor.record_code(code, "farm connection is OK", -1)
    gateway = monitor.poll()
    assert (gateway.market_data_farm, gateway.historical_data_farm, gateway.security_definition_farm) == (
        "ok",
        "ok",
        "ok",
    )
    assert gateway.reconnects == 0
    monitor.record_code(2157, "Sec-def data farm connection is broken", -1)
    assert monitor.poll().security_definition_farm == "broken"
    monitor.detach()
