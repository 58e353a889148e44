"""The disruption matrix runs against one simulated gateway per test; slow rows and the plain-client
baselines run only when selected with `-m slow` (or `-m soak` for the soak)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nautilus_node.simgateway import SimulatedGateway
from tests.resilience.harness import LiveNode, start_node


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected = config.getoption("-m") or ""
    for item in items:
        for marker in ("slow", "soak"):
            if item.get_closest_marker(marker) and marker not in selected:
                item.add_marker(pytest.mark.skip(reason=f"{marker}: select with -m {marker}"))


@pytest.fixture
def gateway() -> Iterator[SimulatedGateway]:
    """The gateway's defaults (up to server version 226): the node's client negotiates 223, the protobuf stack."""
    with SimulatedGateway(host="127.0.0.1", port=0, tick_interval=0.1) as gw:
        yield gw


@pytest.fixture
def node_factory(gateway: SimulatedGateway, tmp_path: Path) -> Iterator:
    started: list[LiveNode] = []

    def start(
        resilient: bool = True, extra_strategies: list | None = None, gateway_options: dict | None = None
    ) -> LiveNode:
        live = start_node(gateway, tmp_path / f"node{len(started)}", resilient, extra_strategies, gateway_options)
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()
