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
    monitor.attach()
    _process(loop, client, 200, "No security definition has been found", req_id=10001)
    _process(loop, client, 1100, "Connectivity between IB and Trader Workstation has been lost.")
    assert [c.code for c in monitor.poll().codes] == [1100]


def test_detaching_gives_the_client_back_its_own_error_handler(ib_client):
    client, _ = ib_client
    monitor = GatewayMonitor(*KEY, LiveClock().timestamp_ns)
    monitor.attach()
    assert "process_error" in vars(client)
    monitor.detach()
    assert "process_error" not in vars(client)
    assert client.process_error.__func__ is InteractiveBrokersClient.process_error
