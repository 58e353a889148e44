"""``SimulatedGateway``: the server on its own event loop in a daemon thread, for tests and ``run --sim``."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from nautilus_node.ib.accounts import DEMO_PAPER_ACCOUNT
from nautilus_node.ib.pacing import MESSAGES_PER_SECOND, PacingRules
from nautilus_node.simgateway.broker import Broker
from nautilus_node.simgateway.contracts import build_universe
from nautilus_node.simgateway.control import ControlServer
from nautilus_node.simgateway.durable import StateFile
from nautilus_node.simgateway.faults import FaultController
from nautilus_node.simgateway.market import CatalogReplay, Market
from nautilus_node.simgateway.options import UniverseWithOptions
from nautilus_node.simgateway.server import GatewayServer
from nautilus_node.simgateway.versions import MAX_VERSION, MIN_VERSION

MARKET_HOURS = ("always-open", "real")


class SimulatedGateway:
    """A simulated IB Gateway speaking the TWS socket protocol on ``host:port`` (0 = any free port).

    Prices come from a seeded random walk, or for EUR.USD from a catalog replay when ``replay_catalog``
    is given. ``control_port`` (optional) opens the fault-control endpoint on 127.0.0.1. ``clock`` is the
    gateway's time (Unix seconds) for pacing, time stamps and answers; tests may pass a virtual one.
    ``market_hours``: ``always-open`` (orders fill at any hour; the default, so demos and tests work on any
    day) or ``real`` (orders work only in each contract's trading hours, DAY orders expire at the session end;
    the standalone ``gateway`` command's default). ``state_file`` keeps the account (orders, executions,
    positions, id sequences) across processes. ``realtime_entitled=False`` is an account without real-time
    market data: real-time quote requests get 354, delayed ones (reqMarketDataType 3/4) delayed ticks with 10167.
    ``partial_fills=True`` fills against the displayed size (a large market order in parts at successive prices).
    ``server_version`` is the highest server version served (default 226, like IB Gateway 10.50; 200 or less
    emulates a gateway that speaks only the text protocol); each client gets the highest both support.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        account: str = DEMO_PAPER_ACCOUNT,
        seed: int = 7,
        *,
        replay_catalog: str | Path | None = None,
        replay_speed: float = 1.0,
        control_port: int | None = None,
        tick_interval: float = 0.25,
        max_msg_rate: int = MESSAGES_PER_SECOND,
        pacing: PacingRules | None = None,
        starting_cash: float = 1_000_000.0,
        clock: Callable[[], float] = time.time,
        state_file: str | Path | None = None,
        market_hours: str = "always-open",
        realtime_entitled: bool = True,
        partial_fills: bool = False,
        server_version: int = MAX_VERSION,
    ) -> None:
        if not account:
            raise ValueError("account must not be empty")
        if not MIN_VERSION <= server_version <= MAX_VERSION:
            raise ValueError(f"server_version must be in {MIN_VERSION}..{MAX_VERSION}, got {server_version}")
        self.server_version = server_version
        if market_hours not in MARKET_HOURS:
            raise ValueError(f"market_hours must be one of {', '.join(MARKET_HOURS)}, got {market_hours!r}")
        self.market_hours = market_hours
        replay = CatalogReplay(replay_catalog, replay_speed) if replay_catalog else None
        self.universe = UniverseWithOptions(build_universe(), clock)
        self.broker = Broker(
            account, starting_cash=starting_cash, always_open=market_hours == "always-open", partial_fills=partial_fills
        )
        self._state = StateFile(Path(state_file)) if state_file else None
        if self._state is not None:
            self._state.load_into(self.broker)
        self.market = Market(self.universe, seed=seed, replay=replay)
        self._server = GatewayServer(
            host,
            port,
            self.universe,
            self.market,
            self.broker,
            seed=seed,
            tick_interval=tick_interval,
            max_msg_rate=max_msg_rate,
            pacing=pacing,
            clock=clock,
            on_orders_changed=(lambda: self._state.save(self.broker)) if self._state else None,
            realtime_entitled=realtime_entitled,
            server_version=server_version,
        )
        self._control = ControlServer(self._server.faults, control_port) if control_port is not None else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def control_port(self) -> int | None:
        return self._control.port if self._control else None

    @property
    def faults(self) -> FaultController:
        return self._server.faults

    @property
    def connected_clients(self) -> int:
        """Connections currently open (handshaken or not)."""
        return len(self._server.sessions)

    @property
    def session_versions(self) -> list[int]:
        """The negotiated server version of each connection past its handshake."""
        return [s.state.wire.version for s in list(self._server.sessions) if s.handshaken]

    @property
    def account(self) -> str:
        return self.broker.account

    def start(self, timeout: float = 10.0) -> SimulatedGateway:
        """Start serving; returns once the socket listens (raises if it cannot)."""
        if self._thread is not None:
            raise RuntimeError("gateway already started")
        self._thread = threading.Thread(target=self._run, name="simulated-ib-gateway", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("simulated gateway did not start listening in time")
        if self._startup_error is not None:
            raise self._startup_error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._start_servers())
        except BaseException as exc:  # reported to the thread that called start()
            self._startup_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._stop_servers())
            loop.close()

    async def _start_servers(self) -> None:
        await self._server.start()
        if self._control is not None:
            await self._control.start()

    async def _stop_servers(self) -> None:
        if self._control is not None:
            await self._control.close()
        await self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if tasks:  # closed connections end their sessions by themselves; give them a moment
            _, pending = await asyncio.wait(tasks, timeout=2.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def stop(self, timeout: float = 10.0) -> None:
        """Close every connection and stop the server thread."""
        if self._loop is None or self._thread is None:
            return
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None

    def wait(self) -> None:
        """Block until the gateway stops (the standalone command's foreground)."""
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> SimulatedGateway:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
