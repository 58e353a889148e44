"""The asyncio server: accepts clients, runs the quote clock, and joins sessions to the market and broker."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from decimal import Decimal

from nautilus_node.ib.pacing import MESSAGES_PER_SECOND, PacingRules
from nautilus_node.simgateway.broker import Broker, Event, Fill, OrderRequest
from nautilus_node.simgateway.contracts import ContractSpec, Universe
from nautilus_node.simgateway.faults import FARM_MESSAGES, SEC_DEF_OK, FaultController, subscription_error_text
from nautilus_node.simgateway.handlers import account, market_data, orders
from nautilus_node.simgateway.handlers.reply import Effect, OrderEvents
from nautilus_node.simgateway.market import Market
from nautilus_node.simgateway.pacing import HistoricalPacing
from nautilus_node.simgateway.session import Session
from nautilus_node.simgateway.state import GatewayState
from nautilus_node.simgateway.versions import MAX_VERSION

EXTERNAL_CLIENT_ID = 999_999  # "another client" of the account (TWS, a second program): its fills are not the node's
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
        on_orders_changed: Callable[[], None] | None = None,
        realtime_entitled: bool = True,
        server_version: int = MAX_VERSION,
    ) -> None:
        self.host = host
        self.server_version = server_version
        self.port = port
        self.tick_interval = tick_interval
        self.max_msg_rate = max_msg_rate
        self.faults = FaultController(self)
        self.state = GatewayState(
            universe,
            market,
            broker,
            self.faults,
            HistoricalPacing(pacing),
            seed=seed,
            clock=clock,
            realtime_entitled=realtime_entitled,
        )
        self.sessions: set[Session] = set()
        self._on_orders_changed = on_orders_changed
        self._jitter = random.Random(seed)
        self._server: asyncio.base_events.Server | None = None
        self._ticker: asyncio.Task | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._listen()
        self._ticker = asyncio.create_task(self._tick_loop(), name="simgateway-ticker")

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._on_client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        host, port, version = self.host, self.port, self.server_version
        log.info("simulated IB Gateway listening on %s:%d (server versions up to %d)", host, port, version)

    async def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
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
        session = Session(reader, writer, self.state, self, self.max_msg_rate, self.server_version)
        self.sessions.add(session)
        log.info("client connected from %s", session.peer)
        await session.run()

    def apply(self, session: Session, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, OrderEvents):
                self.route(effect.events)

    def unregister(self, session: Session) -> None:
        self.sessions.discard(session)
        client_id = session.client_id
        if client_id is not None and self.state.client_ids.get(client_id) is session.state:
            hold = self.faults.client_id_hold
            if hold > 0 and self._loop is not None:
                self._timers.append(self._loop.call_later(hold, self._release_client_id, client_id, session.state))
            else:
                del self.state.client_ids[client_id]
        log.info("client %s (client id %s) disconnected", session.peer, session.client_id)

    # --- faults ------------------------------------------------------------------------------------------
    def drop_all(self) -> None:
        for session in list(self.sessions):
            session.close()

    def _release_client_id(self, client_id: int, holder: object) -> None:
        if self.state.client_ids.get(client_id) is holder:
            del self.state.client_ids[client_id]

    def restart(self, refuse_for: float, farms_after: float = 0.0) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self.drop_all()
        assert self._loop is not None
        if farms_after > 0:
            faults = self.faults
            faults.market_farm_ok = faults.hmds_farm_ok = False
            faults.awaiting_farms = True
            self._timers.append(self._loop.call_later(refuse_for + farms_after, self._farms_connected))
        self._timers.append(self._loop.call_later(refuse_for, lambda: asyncio.ensure_future(self._listen())))

    def _farms_connected(self) -> None:
        """The farms report OK after a restart: every started session is told; held reports follow."""
        faults = self.faults
        faults.market_farm_ok = faults.hmds_farm_ok = True
        faults.awaiting_farms = False
        for code in (2104, 2106):
            self.broadcast_error(code, FARM_MESSAGES[code])
        self.broadcast_error(*SEC_DEF_OK)
        self.deliver_held_reports()

    def broadcast_error(self, code: int, text: str) -> None:
        for session in list(self.sessions):
            if session.client_id is not None:
                session.error(-1, code, text)

    def drop_market_data_subscriptions(self) -> None:
        for session in self.sessions:
            session.state.subs.drop_market_data()
            session.state.delayed.clear()

    def end_subscriptions(self, kinds: tuple[str, ...], error: int | None, only_one: bool, name: str | None) -> None:
        """End live subscriptions of ``kinds`` (the newest one, or all), on contract ``name`` if given."""
        found = [
            (session, kind, req_id)
            for session in self.sessions
            for kind, req_id in market_data.live_subscriptions(session.state, kinds, name)
        ]
        text = subscription_error_text(error) if error is not None else ""
        for session, kind, req_id in found[-1:] if only_one else found:
            log.info("fault: %s subscription %d of client id %s ended", kind, req_id, session.client_id)
            reply = market_data.end_subscription(session.state, kind, req_id, error, text, self.state.clock())
            session.send(reply.messages)

    def knows(self, name: str) -> bool:
        return self._spec(name) is not None

    def _spec(self, name: str) -> ContractSpec | None:
        return next((s for s in self.state.universe if s.names(name)), None)

    def set_price(self, name: str, price: float) -> None:
        spec = self._spec(name)
        if spec is None:
            return
        gw = self.state
        now = gw.clock()
        quote = gw.market.set_price(spec, price, now)
        gw.activate(spec)
        log.info("fault: %s set to %s", spec.local_symbol, price)
        self.route(gw.broker.on_quote(spec, quote, now))
        if gw.feed_alive(spec):
            for session in list(self.sessions):
                session.send(market_data.on_market(session.state, spec, quote, None))

    def external_fill(self, name: str, quantity: Decimal) -> None:
        """A market order of ``quantity`` (signed) fills for another client of the account."""
        spec = self._spec(name)
        if spec is None:
            return
        gw = self.state
        now = gw.clock()
        action = "BUY" if quantity > 0 else "SELL"
        request = OrderRequest(gw.broker.next_valid_id(), EXTERNAL_CLIENT_ID, spec, action, abs(quantity), "MKT")
        gw.activate(spec)
        log.info(
            "fault: %s %s %s filled for client id %d", action, abs(quantity), spec.local_symbol, EXTERNAL_CLIENT_ID
        )
        self.route(gw.broker.place(request, gw.market.quote(spec, now), now))

    def deliver_held_reports(self) -> None:
        """Send each connected client the order reports held for it; those of a client id no session holds now
        are dropped, as IB does not replay them (its executions are still there for reqExecutions)."""
        if not self.faults.connected_to_ib or self.faults.awaiting_farms:
            return
        for session in list(self.sessions):
            if session.client_id is not None:
                session.send(orders.held_reports(session.state, self.state))
        for client_id, events in self.state.held.items():
            log.info("client id %d is away: %d order report(s) not delivered", client_id, len(events))
        self.state.held.clear()

    # --- market clock ------------------------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval)
            try:
                self.tick(self.state.clock())
            except Exception:
                log.exception("quote clock failed; continuing")

    def tick(self, now: float) -> None:
        """One clock step: expire GTD orders, release conditional ones, move active prices, fill working orders,
        push data to subscribers."""
        gw = self.state
        self.route(gw.broker.expire(now) + gw.broker.check_conditions(now))
        self.settle_expired_options(now)
        wanted = set().union(*(s.state.subs.contracts() for s in self.sessions)) if self.sessions else set()
        working = {o.request.spec.con_id for o in gw.broker.open_orders()} | gw.broker.watched_con_ids()
        for con_id in list(gw.active):
            if con_id not in wanted and con_id not in working:
                del gw.active[con_id]
        for spec in list(gw.active.values()):
            if self._jitter.random() < 0.15 or gw.faults.is_stalled(spec.local_symbol, spec.symbol, str(spec.con_id)):
                continue
            quote, trade = gw.market.advance(spec, now)  # IB's market moves on (and orders fill) without data
            self.route(gw.broker.on_quote(spec, quote, now))
            if gw.feed_alive(spec):
                subscribed_option = spec.sec_type == "OPT" and spec.con_id in wanted
                option = gw.market.option_ticks(spec, quote, trade, now) if subscribed_option else None
                for session in list(self.sessions):
                    session.send(market_data.on_market(session.state, spec, quote, trade, option))
        for session in list(self.sessions):
            session.send(market_data.roll_bars(session.state, now))

    def settle_expired_options(self, now: float) -> None:
        """Exercise, assign or expire the option positions whose expiry has closed; refresh account views."""
        gw = self.state
        settled = gw.broker.settle_expired(now, lambda spec: gw.market.underlying(spec, now))
        if not settled:
            return
        changed = set().union(*(s.con_ids for s in settled))
        for s in settled:
            log.info(
                "%s %s: %s contract(s) settled into %s shares",
                s.option.local_symbol,
                s.underlying.symbol,
                s.contracts,
                s.shares,
            )
        if self._on_orders_changed is not None:
            self._on_orders_changed()
        for session in list(self.sessions):
            if session.client_id is not None:
                session.send(account.account_change(session.state, gw, changed))

    # --- order events ------------------------------------------------------------------------------------
    def route(self, events: list[Event]) -> None:
        """Send order events to the client that owns each order; refresh account views after fills."""
        gw = self.state
        if events and self._on_orders_changed is not None:
            self._on_orders_changed()
        changed: set[int] = set()
        reachable = self.faults.connected_to_ib and not self.faults.awaiting_farms
        for event in events:
            if isinstance(event, Fill):
                changed |= {ex.spec.con_id for ex in event.executions}
            owner = self._owner(event.order.client_id)
            if owner is not None and reachable:
                owner.send(orders.report(owner.state, gw, event))
            elif owner is not None or not self.faults.connected_to_ib:
                # 1100, or a session waiting for the farms: the reports reach the client when IB is reachable again
                gw.hold(event.order.client_id, event)
            # else: the client is away (socket closed). IB does not replay order reports when it comes back
            # (docs/simulated-gateway-ib-fidelity.md); reqExecutions and reqOpenOrders show what happened.
        if changed and reachable:
            for session in list(self.sessions):
                if session.client_id is not None:
                    session.send(account.account_change(session.state, gw, changed))

    def _owner(self, client_id: int) -> Session | None:
        holder = self.state.client_ids.get(client_id)
        return next((s for s in self.sessions if s.state is holder), None) if holder else None
