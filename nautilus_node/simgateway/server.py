"""The asyncio server: accepts clients, runs the quote clock, and joins sessions to the market and broker."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

from nautilus_node.simgateway.broker import Broker, Event, Fill, OrderUpdate
from nautilus_node.simgateway.contracts import ContractSpec, Universe
from nautilus_node.simgateway.faults import FaultController
from nautilus_node.simgateway.market import Market
from nautilus_node.simgateway.pacing import HistoricalPacing, PacingRules
from nautilus_node.simgateway.session import Session

log = logging.getLogger(__name__)


class GatewayServer:
    """Serves many clients on one event loop; market, broker and fault state outlive connections."""

    def __init__(
        self,
        host: str,
        port: int,
        universe: Universe,
        market: Market,
        broker: Broker,
        *,
        seed: int = 7,
        tick_interval: float = 0.25,
        max_msg_rate: int = 50,
        pacing: PacingRules | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.universe = universe
        self.market = market
        self.broker = broker
        self.seed = seed
        self.tick_interval = tick_interval
        self.max_msg_rate = max_msg_rate
        self.pacing = HistoricalPacing(pacing)
        self.faults = FaultController(self)
        self.sessions: set[Session] = set()
        self._client_ids: dict[int, Session] = {}
        self._active: dict[int, ContractSpec] = {}
        self._jitter = random.Random(seed)
        self._server: asyncio.base_events.Server | None = None
        self._ticker: asyncio.Task | None = None
        self._reopen: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._listen()
        self._ticker = asyncio.create_task(self._tick_loop(), name="simgateway-ticker")

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._on_client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("simulated IB Gateway listening on %s:%d", self.host, self.port)

    async def close(self) -> None:
        if self._reopen is not None:
            self._reopen.cancel()
        if self._ticker is not None:
            self._ticker.cancel()
        if self._server is not None:
            self._server.close()
        self.drop_all()
        await asyncio.sleep(0)

    def call_soon(self, fn: Callable, *args: object) -> None:
        """Run ``fn`` on the server's loop from any thread."""
        if self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(fn, *args)

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(self, reader, writer)
        self.sessions.add(session)
        log.info("client connected from %s", session.peer)
        await session.run()

    def claim_client_id(self, session: Session, client_id: int) -> bool:
        holder = self._client_ids.get(client_id)
        if holder is not None and holder is not session:
            return False
        self._client_ids[client_id] = session
        return True

    def unregister(self, session: Session) -> None:
        self.sessions.discard(session)
        if session.client_id is not None and self._client_ids.get(session.client_id) is session:
            del self._client_ids[session.client_id]
        log.info("client %s (client id %s) disconnected", session.peer, session.client_id)

    # --- faults ------------------------------------------------------------------------------------------
    def drop_all(self) -> None:
        for session in list(self.sessions):
            session.close()

    def restart(self, refuse_for: float) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self.drop_all()
        assert self._loop is not None
        self._reopen = self._loop.call_later(refuse_for, lambda: asyncio.ensure_future(self._listen()))

    def broadcast_error(self, code: int, text: str) -> None:
        for session in list(self.sessions):
            if session.client_id is not None:
                session.error(-1, code, text)

    def drop_market_data_subscriptions(self) -> None:
        for session in self.sessions:
            session.subs.market_data.clear()
            session.subs.tick_by_tick.clear()
            session.subs.realtime_bars.clear()
            session.subs.historical.clear()

    # --- market clock ------------------------------------------------------------------------------------
    def activate(self, spec: ContractSpec) -> None:
        """Start ticking ``spec`` (it has a subscriber or a working order)."""
        self._active[spec.con_id] = spec

    def feed_alive(self, spec: ContractSpec) -> bool:
        return self.faults.data_flowing and not self.faults.is_stalled(spec.local_symbol, spec.symbol, str(spec.con_id))

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval)
            try:
                self.tick(time.time())
            except Exception:
                log.exception("quote clock failed; continuing")

    def tick(self, now: float) -> None:
        """One clock step: expire GTD orders, move active prices, fill working orders, push data to subscribers."""
        self.route(self.broker.expire(now))
        wanted = set().union(*(s.subs.contracts() for s in self.sessions)) if self.sessions else set()
        working = {o.request.spec.con_id for o in self.broker.open_orders()}
        for con_id in list(self._active):
            if con_id not in wanted and con_id not in working:
                del self._active[con_id]
        for spec in list(self._active.values()):
            if not self.feed_alive(spec) or self._jitter.random() < 0.15:
                continue
            quote, trade = self.market.advance(spec, now)
            self.route(self.broker.on_quote(spec, quote, now))
            for session in list(self.sessions):
                session.on_market(spec, quote, trade)
        for session in list(self.sessions):
            session.roll_bars(now)

    # --- order events ------------------------------------------------------------------------------------
    def route(self, events: list[Event]) -> None:
        """Send order events to the client that owns each order; refresh account views after fills."""
        changed: set[int] = set()
        for event in events:
            owner = self._client_ids.get(event.order.client_id)
            if isinstance(event, Fill):
                changed.add(event.execution.spec.con_id)
                if owner is not None:
                    owner.on_fill(event.order, event.execution)
            elif isinstance(event, OrderUpdate) and owner is not None:
                owner.on_order_update(event.order, cancelled=event.order.status == "Cancelled")
        if changed:
            for session in list(self.sessions):
                if session.client_id is not None:
                    session.on_account_change(changed)
