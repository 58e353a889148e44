"""A NautilusTrader `TradingNode` with the unmodified IB adapter, running against the simulated gateway."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from nautilus_trader.adapters.interactive_brokers.common import IB, IBContract
from nautilus_trader.adapters.interactive_brokers.config import (
    InteractiveBrokersDataClientConfig,
    InteractiveBrokersExecClientConfig,
    InteractiveBrokersInstrumentProviderConfig,
    SymbologyMethod,
)
from nautilus_trader.adapters.interactive_brokers.factories import (
    InteractiveBrokersLiveDataClientFactory,
    InteractiveBrokersLiveExecClientFactory,
)
from nautilus_trader.config import LiveExecEngineConfig, LoggingConfig, TradingNodeConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy

from nautilus_node.live.node import dispose_node, forget_cached_ib_clients

DEFAULT_CONTRACTS = (
    IBContract(secType="CASH", symbol="EUR", currency="USD", exchange="IDEALPRO"),
    IBContract(secType="STK", symbol="SPY", exchange="SMART", primaryExchange="ARCA", currency="USD"),
)


def node_config(
    port: int,
    account: str,
    contracts: tuple[IBContract, ...] = DEFAULT_CONTRACTS,
    load_ids: frozenset[InstrumentId] = frozenset(),
) -> TradingNodeConfig:
    """``contracts`` (default: EUR.USD and SPY) and ``load_ids`` loaded, one IB client (id 11) for data and execution,
    reconciliation on."""
    provider = InteractiveBrokersInstrumentProviderConfig(
        symbology_method=SymbologyMethod.IB_SIMPLIFIED, load_ids=load_ids, load_contracts=frozenset(contracts)
    )
    return TradingNodeConfig(
        trader_id="SIM-001",
        logging=LoggingConfig(log_level="WARNING"),
        exec_engine=LiveExecEngineConfig(reconciliation=True),
        data_clients={
            IB: InteractiveBrokersDataClientConfig(
                ibg_host="127.0.0.1",
                ibg_port=port,
                ibg_client_id=11,
                instrument_provider=provider,
                request_timeout_secs=10,
            )
        },
        exec_clients={
            IB: InteractiveBrokersExecClientConfig(
                ibg_host="127.0.0.1",
                ibg_port=port,
                ibg_client_id=11,
                account_id=account,
                instrument_provider=provider,
                request_timeout_secs=10,
            )
        },
        timeout_connection=20.0,
        timeout_reconciliation=10.0,
        timeout_portfolio=10.0,
        timeout_disconnection=5.0,
        timeout_post_stop=1.0,
    )


class RunningNode:
    """A TradingNode running its event loop on a background thread."""

    def __init__(self, node: TradingNode) -> None:
        self.node = node
        self._thread = threading.Thread(target=node.run, daemon=True)

    @classmethod
    def start(
        cls,
        port: int,
        account: str,
        strategy: Strategy,
        contracts: tuple[IBContract, ...] = DEFAULT_CONTRACTS,
        load_ids: frozenset[InstrumentId] = frozenset(),
    ) -> RunningNode:
        """Build a node for the gateway at `port` loading `contracts` (and instruments ``load_ids``) with
        `strategy`, and run it."""
        forget_cached_ib_clients()
        node = TradingNode(config=node_config(port, account, contracts, load_ids), loop=asyncio.new_event_loop())
        node.trader.add_strategy(strategy)
        node.add_data_client_factory(IB, InteractiveBrokersLiveDataClientFactory)
        node.add_exec_client_factory(IB, InteractiveBrokersLiveExecClientFactory)
        node.build()
        running = cls(node)
        running._thread.start()
        return running

    def stop(self) -> None:
        loop = self.node.get_event_loop()
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(self.node.stop)
        self._thread.join(30)
        dispose_node(self.node)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` every 0.1 s; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
