"""The asyncio server: accepts clients, runs the quote clock, and joins sessions to the market and broker."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

from nautilus_node.ib_rules.pacing import MESSAGES_PER_SECOND, PacingRules
from nautilus_node.simgateway.broker import Broker, Event, Fill, OrderUpdate
from nautilus_node.simgateway.contracts import Universe
from nautilus_node.simgateway.faults import FaultController
from nautilus_node.simgateway.handlers import account, market_data, orders
from nautilus_node.simgateway.handlers.reply import Effect, OrderEvents
from nautilus_node.simgateway.market import Market
from nautilus_node.simgateway.pacing import HistoricalPacing
from nautilus_node.simgateway.session import Session
from nautilus_node.simgateway.state import GatewayState

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
        max_msg_rate: int = MESSAGES_PER_SECOND,
        pacing: PacingRules | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = host
        self.port = port
        self.tick_interval = tick_interval
        self.max_msg_rate = max_msg_rate
        self.faults = FaultController(self)
        self.state = GatewayState(
            universe, market, broker, self.faults, HistoricalPacing(pacing), seed=seed, clock=clock
        )
        self.sessions: set[Session] = set()
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
        session = Session(reader, writer, self.state, self, self.max_msg_rate)
        self.sessions.add(session)
        log.info("client connected from %s", session.peer)
        await session.run()

    def apply(self, session: Session, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, OrderEvents):
                self.route(effect.events)

    def unregister(self, session: Session) -> None:
        self.sessions.discard(session)
        client_ids = self.state.client_ids
        if session.client_id is not None and client_ids.get(session.client_id) is session.state:
            del client_ids[session.client_id]
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
            session.state.subs.drop_market_data()

    # --- market clock ------------------------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval)
            try:
                self.tick(time.time())
            except Exception:
                log.exception("quote clock failed; continuing")

    def tick(self, now: float) -> None:
        """One clock step: expire GTD orders, move active prices, fill working orders, push data to subscribers."""
        gw = self.state
        self.route(gw.broker.expire(now))
        wanted = set().union(*(s.state.subs.contracts() for s in self.sessions)) if self.sessions else set()
        working = {o.request.spec.con_id for o in gw.broker.open_orders()}
        for con_id in list(gw.active):
            if con_id not in wanted and con_id not in working:
                del gw.active[con_id]
        for spec in list(gw.active.values()):
            if not gw.feed_alive(spec) or self._jitter.random() < 0.15:
                continue
            quote, trade = gw.market.advance(spec, now)
            self.route(gw.broker.on_quote(spec, quote, now))
            for session in list(self.sessions):
                session.send(market_data.on_market(session.state, spec, quote, trade))
        for session in list(self.sessions):
            session.send(market_data.roll_bars(session.state, now))

    # --- order events ------------------------------------------------------------------------------------
    def route(self, events: list[Event]) -> None:
        """Send order events to the client that owns each order; refresh account views after fills."""
        gw = self.state
        changed: set[int] = set()
        for event in events:
            owner = self._owner(event.order.client_id)
            if isinstance(event, Fill):
                changed.add(event.execution.spec.con_id)
                if owner is not None:
                    owner.send(orders.fill(owner.state, gw, event.order, event.execution))
            elif isinstance(event, OrderUpdate) and owner is not None:
                owner.send(orders.order_update(owner.state, gw, event.order))
        if changed:
            for session in list(self.sessions):
                if session.client_id is not None:
                    session.send(account.account_change(session.state, gw, changed))

    def _owner(self, client_id: int) -> Session | None:
        holder = self.state.client_ids.get(client_id)
        return next((s for s in self.sessions if s.state is holder), None) if holder else None
