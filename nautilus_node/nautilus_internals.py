"""The few NautilusTrader internals this project relies on, all here and nowhere else.

NautilusTrader offers no public way to do these things: find the IB client and instrument provider its factories
cached, read that client's address and API session, observe the error codes it processes, forget the cache between
nodes, make the factories build another client class, find a node's kernel from an actor, and give the portfolio
analyzer (and so the tearsheet) daily returns that keep the first day. Each function below is the only code
touching the private attribute or undocumented hook it uses; the constants below name them all, and
`tests/test_nautilus_internals.py` checks each one against the installed NautilusTrader, failing with its name
after an upgrade that removes it. The one exception is by nature a subclass: `live/resilient_client.py` overrides
`InteractiveBrokersClient` methods and uses its members; it lists them (`OVERRIDDEN_METHODS`, `USED_ATTRIBUTES`,
`USED_METHODS`) and `tests/resilience/test_nautilus_hooks.py` checks them the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import pandas as pd
from nautilus_trader.adapters.interactive_brokers import factories
from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.adapters.interactive_brokers.providers import InteractiveBrokersInstrumentProvider
from nautilus_trader.analysis.analyzer import PortfolioAnalyzer
from nautilus_trader.common.component import MessageBus
from nautilus_trader.model.orders import Order
from nautilus_trader.risk.engine import RiskEngine
from nautilus_trader.system.kernel import NautilusKernel

# Every internal used below, checked by the test and kept in step with the code.
IB_FACTORY_CACHES = ("IB_CLIENTS", "IB_INSTRUMENT_PROVIDERS")
IB_FACTORY_CLIENT_CLASS = "InteractiveBrokersClient"  # the factories look the class up as a module attribute
IB_CLIENT_ATTRIBUTES = ("_host", "_port", "_configured_client_id", "_eclient", "_is_ib_connected")
IB_PROCESS_ERROR_KEYWORDS = ("req_id", "error_code", "error_string")
ECLIENT_MEMBERS = ("isConnected", "serverVersion", "connTime")
KERNEL_SHUTDOWN_TOPIC = "commands.system.shutdown"  # the kernel subscribes its own handler here
RISK_ENGINE_ENDPOINT = "RiskEngine.execute"  # where strategies' order managers send their trading commands
RISK_ENGINE_DENY = "_deny_order"  # the risk engine's own denial: an OrderDenied event with the reason
ANALYZER_RETURNS_ATTRIBUTES = ("_portfolio_returns", "_returns")  # what the tearsheet's returns are read from
ANALYZER_DAILY_RETURNS = (
    "PortfolioAnalyzer._calculate_portfolio_returns builds daily returns as balance.resample('D').last()"
    ".pct_change(): the first day's close replaces the starting balance, so day 1's PnL is lost"
)  # backtest/metrics.py computes them from the starting balance; tests/backtest/test_metrics.py notices a fix

IBErrorObserver = Callable[[int, str, int], None]
"""Called with (code, message, request id) for each error or info code an IB client processes."""


def cached_ib_client(host: str | None, port: int | None, client_id: int | None) -> InteractiveBrokersClient | None:
    """The client NautilusTrader's IB factories cached for this address (with no host and port: the only one)."""
    clients = factories.IB_CLIENTS
    key = (host, port, client_id)
    if key in clients:
        return clients[key]
    if host is None and port is None and len(clients) == 1:
        return next(iter(clients.values()))
    return None


def set_factories_ib_client_class(client_class: type[InteractiveBrokersClient]) -> None:
    """Make NautilusTrader's IB factories build `client_class` (a subclass of theirs) for new connections."""
    setattr(factories, IB_FACTORY_CLIENT_CLASS, client_class)


def forget_cached_ib_clients() -> None:
    """Drop the IB clients NautilusTrader's factories cache per process, so a new node connects afresh."""
    factories.IB_CLIENTS.clear()
    factories.IB_INSTRUMENT_PROVIDERS.clear()


def ib_client_address(client: InteractiveBrokersClient) -> tuple[str, int, int]:
    """The (host, port, client id) the client was configured with."""
    return client._host, client._port, client._configured_client_id


def ib_api_session(client: InteractiveBrokersClient) -> tuple[int, str] | None:
    """(server version, connection time) while the client's API session is up; `None` otherwise."""
    eclient = client._eclient
    if not (client._is_ib_connected.is_set() and eclient.isConnected()):
        return None
    connection_time = eclient.connTime
    return eclient.serverVersion(), (
        connection_time.decode() if isinstance(connection_time, bytes) else str(connection_time)
    )


def observe_ib_errors(client: InteractiveBrokersClient, observer: IBErrorObserver) -> None:
    """Call `observer` for every error/info code the client processes, then let the client handle it as ever.

    Wraps this one instance's `process_error` (the adapter's class is unchanged); undo with `stop_observing`.
    """
    original: Callable[..., Awaitable[None]] = client.process_error

    async def observed_process_error(**kwargs: Any) -> None:
        observer(kwargs.get("error_code", 0), kwargs.get("error_string", ""), kwargs.get("req_id", -1))
        await original(**kwargs)

    client.process_error = observed_process_error  # type: ignore[method-assign]


ClientErrorObserver = Callable[[InteractiveBrokersClient, int, str, int], None]
"""Called with (client, code, message, request id) for each code any IB client processes."""

_CLIENT_ERROR_OBSERVERS: list[ClientErrorObserver] = []


def observe_every_ib_clients_errors(observer: ClientErrorObserver) -> Callable[[], None]:
    """Call `observer` for every code any IB client processes, from the client's first connection on (the
    factories cache a client only after that connection is made, when IB already sent its farm codes); returns
    the function that stops it.

    Wraps `InteractiveBrokersClient.process_error` on the class, once per process: the wrapper shows each code
    to the observers, then calls the adapter's own method unchanged (with no observers it only calls it).
    """
    original: Callable[..., Awaitable[None]] = InteractiveBrokersClient.process_error
    if not getattr(original, "observed", False):

        @functools.wraps(original)  # its signature stays the adapter's
        async def process_error(client: InteractiveBrokersClient, **kwargs: Any) -> None:
            for each in tuple(_CLIENT_ERROR_OBSERVERS):
                each(client, kwargs.get("error_code", 0), kwargs.get("error_string", ""), kwargs.get("req_id", -1))
            await original(client, **kwargs)

        process_error.observed = True  # type: ignore[attr-defined]
        InteractiveBrokersClient.process_error = process_error  # type: ignore[method-assign]
    _CLIENT_ERROR_OBSERVERS.append(observer)

    def stop() -> None:
        if observer in _CLIENT_ERROR_OBSERVERS:
            _CLIENT_ERROR_OBSERVERS.remove(observer)

    return stop


def stop_observing_ib_errors(client: InteractiveBrokersClient) -> None:
    """Give the client back its own `process_error` (no-op when it was not observed)."""
    if "process_error" in vars(client):
        del client.process_error


def find_kernel(msgbus: MessageBus) -> NautilusKernel | None:
    """The kernel of the node owning `msgbus`: it subscribes its own shutdown handler on that bus."""
    for subscription in msgbus.subscriptions(KERNEL_SHUTDOWN_TOPIC):
        owner = getattr(subscription.handler, "__self__", None)
        if isinstance(owner, NautilusKernel):
            return owner
    return None


def gate_risk_engine(msgbus: MessageBus, engine: RiskEngine, gate: Callable[[Any], None]) -> Callable[[], None]:
    """Send every trading command to `gate` before the risk engine (the gate passes it on to `engine.execute`
    or denies it); returns the function that gives the endpoint back to the engine."""
    msgbus.deregister(RISK_ENGINE_ENDPOINT, engine.execute)
    msgbus.register(RISK_ENGINE_ENDPOINT, gate)

    def ungate() -> None:
        msgbus.deregister(RISK_ENGINE_ENDPOINT, gate)
        msgbus.register(RISK_ENGINE_ENDPOINT, engine.execute)

    return ungate


def deny_order(engine: RiskEngine, order: Order, reason: str) -> None:
    """Deny `order` as the risk engine does: an `OrderDenied` event naming `reason`."""
    getattr(engine, RISK_ENGINE_DENY)(order, reason)


def cached_ib_instrument_provider(client: InteractiveBrokersClient) -> InteractiveBrokersInstrumentProvider | None:
    """The instrument provider NautilusTrader's IB factories cached for `client` (a node's data and execution
    clients share it when their provider configs are equal), or `None` when there is none or several."""
    address = ib_client_address(client)
    found = [p for (key, _config), p in factories.IB_INSTRUMENT_PROVIDERS.items() if key == address]
    return found[0] if len(found) == 1 else None


def use_analyzer_returns(analyzer: PortfolioAnalyzer, returns: pd.Series) -> None:
    """Make `analyzer` (and so NautilusTrader's tearsheet, its charts and return statistics) use `returns` as
    its portfolio returns, in place of those it computed (`ANALYZER_DAILY_RETURNS` says why)."""
    for name in ANALYZER_RETURNS_ATTRIBUTES:
        setattr(analyzer, name, returns)
