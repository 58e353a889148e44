"""What the resilient client overrides and uses in NautilusTrader's IB client exists in the installed version."""

from __future__ import annotations

import asyncio
import inspect

import nautilus_trader
import pytest
from nautilus_trader.adapters.interactive_brokers import factories
from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.model.identifiers import TraderId

from nautilus_node.live import resilient_client
from nautilus_node.live.resilient_client import (
    OVERRIDDEN_METHODS,
    USED_ATTRIBUTES,
    USED_METHODS,
    ResilientInteractiveBrokersClient,
)

RELIED_ON = f"NautilusTrader {nautilus_trader.__version__}: nautilus_node/live/resilient_client.py relies on"


@pytest.fixture(scope="module")
def client():
    """The resilient client, constructed as the factories construct clients, never started (no socket)."""
    loop = asyncio.new_event_loop()
    clock = LiveClock()
    built = ResilientInteractiveBrokersClient(
        loop=loop, msgbus=MessageBus(TraderId("NODE-001"), clock), cache=Cache(), clock=clock, port=47998
    )
    yield built
    loop.close()


@pytest.mark.parametrize("name", OVERRIDDEN_METHODS + USED_METHODS)
def test_the_plain_client_still_has_the_method(name: str) -> None:
    member = getattr(InteractiveBrokersClient, name, None)
    assert callable(member), f"{RELIED_ON} InteractiveBrokersClient.{name}, which is gone"


@pytest.mark.parametrize("name", OVERRIDDEN_METHODS)
def test_an_override_is_async_exactly_where_the_original_is(name: str) -> None:
    original, ours = getattr(InteractiveBrokersClient, name), getattr(ResilientInteractiveBrokersClient, name)
    returns_coroutine = name.startswith("process_")  # ours return NautilusTrader's coroutine, without a frame
    kind = "async" if inspect.iscoroutinefunction(original) else "sync"
    assert inspect.iscoroutinefunction(original) == (inspect.iscoroutinefunction(ours) or returns_coroutine), (
        f"{RELIED_ON} InteractiveBrokersClient.{name} being {kind}"
    )


@pytest.mark.parametrize("name", USED_ATTRIBUTES)
def test_the_client_still_has_the_attribute(client, name: str) -> None:
    assert hasattr(client, name), f"{RELIED_ON} InteractiveBrokersClient.{name}, which is gone"


def test_the_factories_build_the_class_they_find_as_their_module_attribute() -> None:
    assert factories.InteractiveBrokersClient is InteractiveBrokersClient, "the plain client is installed by default"
    resilient_client.install()
    try:
        assert factories.InteractiveBrokersClient is ResilientInteractiveBrokersClient
        source = inspect.getsource(factories.get_cached_ib_client)
        assert "InteractiveBrokersClient(" in source, f"{RELIED_ON} get_cached_ib_client constructing it by name"
    finally:
        resilient_client.uninstall()
    assert factories.InteractiveBrokersClient is InteractiveBrokersClient
