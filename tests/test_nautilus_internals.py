"""The NautilusTrader internals `nautilus_node.nautilus_internals` relies on exist in the installed version.

After a NautilusTrader upgrade that removes one, the failing test says which, on the real classes.
"""

from __future__ import annotations

import asyncio
import inspect

import nautilus_trader
import pytest
from nautilus_trader.adapters.interactive_brokers import factories
from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.adapters.interactive_brokers.config import InteractiveBrokersInstrumentProviderConfig
from nautilus_trader.analysis.analyzer import PortfolioAnalyzer
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.model.identifiers import TraderId

from nautilus_node.nautilus_internals import (
    ANALYZER_RETURNS_ATTRIBUTES,
    ECLIENT_MEMBERS,
    IB_CLIENT_ATTRIBUTES,
    IB_FACTORY_CACHES,
    IB_FACTORY_CLIENT_CLASS,
    IB_PROCESS_ERROR_KEYWORDS,
    RISK_ENGINE_DENY,
    RISK_ENGINE_ENDPOINT,
    cached_ib_client,
    cached_ib_instrument_provider,
    find_kernel,
    gate_risk_engine,
    ib_api_session,
    ib_client_address,
)

ADDRESS = ("127.0.0.1", 47997, 9)
RELIED_ON = f"NautilusTrader {nautilus_trader.__version__}: nautilus_node/nautilus_internals.py relies on"


@pytest.fixture(scope="module")
def ib_client():
    """The adapter's real client, constructed as its factories do, never started (no socket)."""
    loop = asyncio.new_event_loop()
    clock = LiveClock()
    client = InteractiveBrokersClient(
        loop=loop,
        msgbus=MessageBus(TraderId("NODE-001"), clock),
        cache=Cache(),
        clock=clock,
        host=ADDRESS[0],
        port=ADDRESS[1],
        client_id=ADDRESS[2],
    )
    yield client
    loop.close()


@pytest.mark.parametrize("name", IB_FACTORY_CACHES)
def test_the_ib_factories_still_cache_in(name: str) -> None:
    cache = getattr(factories, name, None)
    assert isinstance(cache, dict), f"{RELIED_ON} interactive_brokers.factories.{name}, a dict; it is {cache!r}"


@pytest.mark.parametrize("name", IB_CLIENT_ATTRIBUTES)
def test_the_ib_client_still_has(ib_client: InteractiveBrokersClient, name: str) -> None:
    assert hasattr(ib_client, name), f"{RELIED_ON} InteractiveBrokersClient.{name}, which is gone"


@pytest.mark.parametrize("name", IB_PROCESS_ERROR_KEYWORDS)
def test_the_ib_client_process_error_still_takes(name: str) -> None:
    parameters = inspect.signature(InteractiveBrokersClient.process_error).parameters
    assert name in parameters, f"{RELIED_ON} InteractiveBrokersClient.process_error(..., {name}=...), which is gone"
    assert inspect.iscoroutinefunction(InteractiveBrokersClient.process_error), f"{RELIED_ON} process_error async"


@pytest.mark.parametrize("name", ECLIENT_MEMBERS)
def test_the_ib_clients_eclient_still_has(ib_client: InteractiveBrokersClient, name: str) -> None:
    eclient = getattr(ib_client, "_eclient", None)
    assert hasattr(eclient, name), f"{RELIED_ON} InteractiveBrokersClient._eclient.{name}, which is gone"


def test_a_client_never_started_has_its_configured_address_and_no_api_session(ib_client) -> None:
    assert ib_client_address(ib_client) == ADDRESS
    assert ib_api_session(ib_client) is None


def test_the_cached_client_is_found_by_its_address_or_as_the_only_one(ib_client) -> None:
    others = dict(factories.IB_CLIENTS)
    factories.IB_CLIENTS.clear()
    factories.IB_CLIENTS[ADDRESS] = ib_client
    try:
        assert cached_ib_client(*ADDRESS) is ib_client
        assert cached_ib_client(ADDRESS[0], ADDRESS[1] + 1, ADDRESS[2]) is None
        assert cached_ib_client(None, None, None) is ib_client
    finally:
        factories.IB_CLIENTS.clear()
        factories.IB_CLIENTS.update(others)


def test_the_provider_the_factories_cache_for_a_client_is_found_by_the_clients_address(ib_client) -> None:
    others = dict(factories.IB_INSTRUMENT_PROVIDERS)
    factories.IB_INSTRUMENT_PROVIDERS.clear()
    try:
        provider = factories.get_cached_interactive_brokers_instrument_provider(
            ib_client, LiveClock(), InteractiveBrokersInstrumentProviderConfig()
        )
        assert cached_ib_instrument_provider(ib_client) is provider, (
            f"{RELIED_ON} interactive_brokers.factories.IB_INSTRUMENT_PROVIDERS keyed by ((host, port, client id), "
            "config hash)"
        )
    finally:
        factories.IB_INSTRUMENT_PROVIDERS.clear()
        factories.IB_INSTRUMENT_PROVIDERS.update(others)


def test_a_kernel_is_found_through_its_own_shutdown_subscription_on_its_message_bus() -> None:
    engine = BacktestEngine()
    try:
        kernel = engine.kernel
        assert find_kernel(kernel.msgbus) is kernel, f"{RELIED_ON} the kernel subscribing its shutdown handler"
    finally:
        engine.dispose()


def test_the_ib_factories_still_look_the_client_class_up_as_a_module_attribute() -> None:
    client_class = getattr(factories, IB_FACTORY_CLIENT_CLASS, None)
    assert isinstance(client_class, type) and issubclass(client_class, InteractiveBrokersClient), (
        f"{RELIED_ON} interactive_brokers.factories.{IB_FACTORY_CLIENT_CLASS}, the class the factories build"
    )


def test_the_risk_engine_still_takes_commands_at_its_endpoint_and_denies_with_its_own_method() -> None:
    from nautilus_trader.risk.engine import RiskEngine

    assert callable(getattr(RiskEngine, RISK_ENGINE_DENY, None)), f"{RELIED_ON} RiskEngine.{RISK_ENGINE_DENY}"
    engine = BacktestEngine()
    try:
        kernel = engine.kernel
        assert RISK_ENGINE_ENDPOINT in kernel.msgbus.endpoints(), f"{RELIED_ON} the endpoint {RISK_ENGINE_ENDPOINT}"
        seen: list[object] = []
        ungate = gate_risk_engine(kernel.msgbus, kernel.risk_engine, seen.append)
        kernel.msgbus.send(RISK_ENGINE_ENDPOINT, "a command")
        assert seen == ["a command"]
        ungate()
        assert RISK_ENGINE_ENDPOINT in kernel.msgbus.endpoints()
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", ANALYZER_RETURNS_ATTRIBUTES)
def test_the_portfolio_analyzer_still_keeps_its_returns_in(name: str) -> None:
    value = getattr(PortfolioAnalyzer(), name, None)
    assert value is not None and value.empty, f"{RELIED_ON} PortfolioAnalyzer.{name}, a returns series; it is gone"
