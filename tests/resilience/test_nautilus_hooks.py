"""What the resilient client overrides and uses in NautilusTrader's IB client exists in the installed version."""

from __future__ import annotations

import asyncio
import inspect

import nautilus_trader
import pytest
from nautilus_trader.adapters.interactive_brokers import factories
from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.adapters.interactive_brokers.client.wrapper import InteractiveBrokersEWrapper
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.model.identifiers import TraderId

from nautilus_node.live import resilient_client
from nautilus_node.live.hot_path import WRAPPER_OVERRIDES
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


@pytest.mark.parametrize("name", WRAPPER_OVERRIDES)
def test_the_wrapper_still_has_the_method(name: str) -> None:
    member = getattr(InteractiveBrokersEWrapper, name, None)
    assert callable(member), f"{RELIED_ON} InteractiveBrokersEWrapper.{name}, which is gone"


class _Unprintable:
    def __repr__(self) -> str:
        raise AssertionError("formatted")


@pytest.mark.parametrize("log_messages", [False, True])
def test_the_debug_line_per_request_and_message_is_built_only_when_the_node_logs_at_debug(log_messages: bool) -> None:
    loop = asyncio.new_event_loop()
    clock = LiveClock()
    previous = ResilientInteractiveBrokersClient.policy
    ResilientInteractiveBrokersClient.policy = resilient_client.ResiliencePolicy(log_messages=log_messages)
    try:
        built = ResilientInteractiveBrokersClient(
            loop=loop, msgbus=MessageBus(TraderId("NODE-001"), clock), cache=Cache(), clock=clock, port=47998
        )
        answer = {"reqId": 1, "attrib": _Unprintable()}
        request = {"orderId": 1, "order": _Unprintable()}
        for log, name, params in (
            (built._eclient.wrapper.logAnswer, "tickPrice", answer),
            (built._eclient.logRequest, "placeOrder", request),
        ):
            if log_messages:
                with pytest.raises(AssertionError, match="formatted"):
                    log(name, params)
            else:
                log(name, params)
    finally:
        ResilientInteractiveBrokersClient.policy = previous
        loop.close()


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
