"""Fixtures for the simulated gateway: a running gateway and IB's official client (see ibapp.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from nautilus_node.simgateway import SimulatedGateway

from .ibapp import IBApp


@pytest.fixture
def gateway() -> Iterator[SimulatedGateway]:
    with SimulatedGateway(host="127.0.0.1", port=0, account="DU1234567", seed=7, tick_interval=0.1) as gw:
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
