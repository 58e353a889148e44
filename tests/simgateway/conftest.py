"""Fixtures for the simulated gateway: a running gateway, IB's official client (see ibapp.py) and
NautilusTrader nodes against it (see live_nodes.py).

``gateway`` serves up to server version 226 unless a test module parametrizes it (indirectly) with
:data:`STACKS`: the text protocol at 176 and 200, and the protobuf one at 223, the highest that the
installed ibapi (NautilusTrader's 10.45) offers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy

from nautilus_node.live.node import forget_cached_ib_clients
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.versions import MAX_VERSION, NAUTILUS_VERSION

from .ibapp import IBApp
from .live_nodes import RunningNode

TEXT_STACKS = [pytest.param(176, id="text-176"), pytest.param(200, id="text-200")]
PROTOBUF_STACK = pytest.param(NAUTILUS_VERSION, id="protobuf-223")
STACKS = [*TEXT_STACKS, PROTOBUF_STACK]
TWO_STACKS = [TEXT_STACKS[1], PROTOBUF_STACK]


@pytest.fixture
def gateway(request: pytest.FixtureRequest) -> Iterator[SimulatedGateway]:
    version = getattr(request, "param", MAX_VERSION)
    with SimulatedGateway(
        host="127.0.0.1", port=0, account="DU1234567", seed=7, tick_interval=0.1, server_version=version
    ) as gw:
        yield gw


@pytest.fixture
def ib_factory(gateway: SimulatedGateway) -> Iterator[Callable[..., IBApp]]:
    apps: list[IBApp] = []

    def connect(client_id: int = 1, wait: bool = True) -> IBApp:
        app = IBApp().connect(gateway.port, client_id, wait=wait)
        apps.append(app)
        return app

    yield connect
    for app in apps:
        app.disconnect()


@pytest.fixture
def ib(ib_factory: Callable[..., IBApp]) -> IBApp:
    return ib_factory(1)


@pytest.fixture
def run_strategy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., RunningNode]]:
    """Start a node running one strategy against a gateway (``load_ids``: more instruments to load); every node
    is stopped afterwards."""
    monkeypatch.setenv("IB_MAX_CONNECTION_ATTEMPTS", "3")
    running: list[RunningNode] = []

    def start(
        gateway: SimulatedGateway, strategy: Strategy, load_ids: frozenset[InstrumentId] = frozenset()
    ) -> RunningNode:
        node = RunningNode.start(gateway.port, gateway.account, strategy, load_ids=load_ids)
        running.append(node)
        return node

    yield start
    for node in running:
        node.stop()
    forget_cached_ib_clients()
