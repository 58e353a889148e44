"""The simulated gateway without a socket: its state, API sessions, and requests written by IB's own
``EClient`` handed to the sans-IO handlers; replies read back with IB's own ``Decoder``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ibapi.client import EClient

from nautilus_node.simgateway.broker import Broker
from nautilus_node.simgateway.contracts import Universe, build_universe
from nautilus_node.simgateway.faults import FaultController
from nautilus_node.simgateway.handlers import handle
from nautilus_node.simgateway.handlers.reply import Reply
from nautilus_node.simgateway.market import Market
from nautilus_node.simgateway.state import GatewayState, SessionState
from nautilus_node.simgateway.versions import TEXT_MAX_VERSION

from .test_gateway_versions import client_requests, decoded

NOON = dt.datetime(2030, 1, 2, 12, 0, tzinfo=dt.UTC).timestamp()  # a Wednesday


class RecordedCalls:
    """The fault controller's server side, recording what it was asked to do (there is no server here)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []

    def call_soon(self, fn: Callable[..., object], *args: object) -> None:
        fn(*args)

    def drop_all(self) -> None:
        self.calls.append(("drop_all", ()))

    def restart(self, refuse_for: float, farms_after: float) -> None:
        self.calls.append(("restart", (refuse_for, farms_after)))

    def broadcast_error(self, code: int, text: str) -> None:
        self.calls.append(("broadcast_error", (code, text)))

    def drop_market_data_subscriptions(self) -> None:
        self.calls.append(("drop_market_data_subscriptions", ()))

    def end_subscriptions(self, kinds: tuple[str, ...], error: int | None, only_one: bool, name: str | None) -> None:
        self.calls.append(("end_subscriptions", (kinds, error, only_one, name)))

    def knows(self, name: str) -> bool:
        return name in ("SPY", "EUR.USD")

    def set_price(self, name: str, price: float) -> None:
        self.calls.append(("set_price", (name, price)))

    def deliver_held_reports(self) -> None:
        self.calls.append(("deliver_held_reports", ()))


class SansIOGateway:
    """Gateway state on a clock the test sets, and the sessions that talk to it."""

    def __init__(self, now: float = NOON, seed: int = 7, first_perm_id: int | None = None) -> None:
        self.now = now
        self.server = RecordedCalls()
        self.faults = FaultController(self.server)
        universe = Universe(build_universe(dt.datetime.fromtimestamp(now, dt.UTC).date()))
        broker = Broker("DU1234567", first_perm_id=first_perm_id)
        market = Market(universe, seed=seed)
        self.state = GatewayState(universe, market, broker, self.faults, seed=seed, clock=lambda: self.now)

    def connect(self, client_id: int = 1) -> SessionState:
        session = SessionState()
        self.call(session, lambda c: c.startApi(), client_id)
        return session

    def call(self, session: SessionState, send: Callable[[EClient], None], client_id: int = 1) -> Reply:
        """What IB's EClient writes for ``send``, answered by the handlers; one Reply for all of it."""

        def with_client_id(client: EClient) -> None:
            client.clientId = client_id
            send(client)

        total = Reply(session.wire, self.now)
        for msg_id, fields in client_requests(TEXT_MAX_VERSION, with_client_id):
            reply = handle(msg_id, fields, session, self.state)
            total.messages += reply.messages
            total.effects += reply.effects
        return total


def callbacks(reply: Reply) -> list[tuple[str, tuple]]:
    """The EWrapper callbacks IB's Decoder makes of a reply's messages."""
    return [call for message in reply.messages for call in decoded(TEXT_MAX_VERSION, message)]
