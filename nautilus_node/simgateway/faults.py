"""Fault injection: what can go wrong between a client and IB, on demand, from any thread.

Every disruption is a method of :class:`FaultController` (``SimulatedGateway.faults``) and an action of the
``gateway-fault`` command; docs/simulated-gateway-faults.md lists them with what IB does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Protocol

log = logging.getLogger(__name__)

FARM_MESSAGES = {
    2103: "Market data farm connection is broken:usfarm",
    2104: "Market data farm connection is OK:usfarm",
    2105: "HMDS data farm connection is broken:ushmds",
    2106: "HMDS data farm connection is OK:ushmds",
}
SEC_DEF_OK = (2158, "Sec-def data farm connection is OK:secdefnj")
CONNECTIVITY_LOST = (1100, "Connectivity between IB and Trader Workstation has been lost.")
RESTORED_DATA_LOST = (1101, "Connectivity between IB and Trader Workstation has been restored - data lost.")
RESTORED_DATA_KEPT = (1102, "Connectivity between IB and Trader Workstation has been restored - data maintained.")
# IB's texts for the codes a dying subscription can be sent (IB's message codes page; NautilusTrader PR #3968).
SUBSCRIPTION_ERRORS = {
    10182: "Failed to request live updates (disconnected).",
    10225: "Bust event occurred, current subscription is deactivated. Please resubscribe real-time bars immediately.",
    10197: "No market data during competing live session",
    354: "Requested market data is not subscribed.",
    2119: "Market data farm is connecting:usfarm",
}
SUBSCRIPTION_KINDS = ("quotes", "tick-by-tick", "realtime-bars", "keepuptodate-bars")


class FaultTarget(Protocol):
    """What the fault controller drives (the server); every call but ``call_soon`` runs on the server's loop."""

    def call_soon(self, fn: Callable[..., object], *args: object) -> None:
        """Run ``fn(*args)`` on the server's loop, from any thread."""

    def drop_all(self) -> None: ...

    def restart(self, refuse_for: float, farms_after: float) -> None: ...

    def broadcast_error(self, code: int, text: str) -> None: ...

    def drop_market_data_subscriptions(self) -> None: ...

    def end_subscriptions(self, kinds: tuple[str, ...], error: int | None, only_one: bool, name: str | None) -> None:
        """End live subscriptions of these kinds (one, or all), each told ``error`` (None: silently)."""

    def knows(self, name: str) -> bool:
        """Whether ``name`` (local symbol, symbol or conId) names a contract; safe from any thread."""

    def set_price(self, name: str, price: float) -> None: ...

    def external_fill(self, name: str, quantity: Decimal) -> None: ...

    def deliver_held_reports(self) -> None: ...


class FaultController:
    """Switches the server's fault states. Each method returns at once; effects apply on the loop."""

    def __init__(self, server: FaultTarget) -> None:
        self._server = server
        self._lock = threading.Lock()
        self._stalled: set[str] = set()
        self._reject_reason: str | None = None
        self._delay = 0.0
        self.market_farm_ok = True
        self.hmds_farm_ok = True
        self.connected_to_ib = True
        self.awaiting_farms = False  # after a restart, until the farms report OK: data requests go unanswered
        self.client_id_hold = 0.0  # seconds a closed socket's client id stays in use (326)

    # --- state read by the server and the handlers ---------------------------------------------------------
    def is_stalled(self, *names: str) -> bool:
        with self._lock:
            return any(n in self._stalled for n in names)

    @property
    def data_flowing(self) -> bool:
        return self.market_farm_ok and self.connected_to_ib

    @property
    def response_delay(self) -> float:
        return self._delay

    def take_order_rejection(self) -> str | None:
        """The pending rejection reason, consumed by the next order."""
        with self._lock:
            reason, self._reject_reason = self._reject_reason, None
            return reason

    # --- connections -----------------------------------------------------------------------------------------
    def drop_connections(self) -> None:
        """Close every client socket at once (the gateway keeps listening)."""
        log.info("fault: dropping all connections")
        self._server.call_soon(self._server.drop_all)

    def restart(self, refuse_for: float = 5.0, farms_after: float = 0.0) -> None:
        """Close every connection and refuse new ones for ``refuse_for`` seconds; state is kept and orders keep
        working. After accepting again, the farms report OK (2104/2106/2158) only ``farms_after`` seconds later;
        data requests sent before that are never answered, as IB does."""
        if refuse_for < 0 or farms_after < 0:
            raise ValueError(f"restart times must be >= 0, got {refuse_for} and {farms_after}")
        log.info("fault: restart, refusing connections for %.1fs, farms OK %.1fs later", refuse_for, farms_after)
        self._server.call_soon(self._server.restart, refuse_for, farms_after)

    def hold_client_ids(self, seconds: float) -> None:
        """From now on a client id stays in use (error 326 for a new session) ``seconds`` after its socket
        closed, as IB Gateway does for a moment; 0 frees it at once (the default)."""
        if seconds < 0:
            raise ValueError(f"hold must be >= 0, got {seconds}")
        self.client_id_hold = float(seconds)

    # --- connectivity between the gateway and IB -------------------------------------------------------------
    def connectivity_lost(self) -> None:
        """Error 1100 to every session, and to each new one while it lasts. Sockets stay open, quotes stop,
        working orders keep working and may fill, but their reports are held until connectivity returns."""
        self.connected_to_ib = False
        self._server.call_soon(self._server.broadcast_error, *CONNECTIVITY_LOST)

    def connectivity_restored(self, data_kept: bool = True) -> None:
        """1102 (subscriptions kept) or 1101 (market data subscriptions dropped: clients must resubscribe);
        then the reports held during the outage are delivered."""
        self.connected_to_ib = True
        code, text = RESTORED_DATA_KEPT if data_kept else RESTORED_DATA_LOST
        if not data_kept:
            self._server.call_soon(self._server.drop_market_data_subscriptions)
        self._server.call_soon(self._server.broadcast_error, code, text)
        self._server.call_soon(self._server.deliver_held_reports)

    # --- data farms and subscriptions ------------------------------------------------------------------------
    def farm_status(self, code: int, bars_error: int | None = None) -> None:
        """A data-farm notice: 2103/2104 market data broken/OK, 2105/2106 historical broken/OK.

        As at IB, quotes resume by themselves after 2104, but the 5-second real-time bars (at 2103) and the
        keepUpToDate historical requests (at 2103 or 2105) opened before the break die and stay dead until the
        client requests them again: silently, or each told ``bars_error`` (10182 or 10225)."""
        if code not in FARM_MESSAGES:
            raise ValueError(f"farm status code must be one of {sorted(FARM_MESSAGES)}, got {code}")
        if bars_error is not None and bars_error not in (10182, 10225):
            raise ValueError(f"bars_error must be 10182 or 10225, got {bars_error}")
        if code in (2103, 2104):
            self.market_farm_ok = code == 2104
        else:
            self.hmds_farm_ok = code == 2106
        self._server.call_soon(self._server.broadcast_error, code, FARM_MESSAGES[code])
        if code == 2103:
            kinds = ("realtime-bars", "keepuptodate-bars")
            self._server.call_soon(self._server.end_subscriptions, kinds, bars_error, False, None)
        elif code == 2105:
            self._server.call_soon(self._server.end_subscriptions, ("keepuptodate-bars",), bars_error, False, None)

    def kill_subscription(self, kind: str, error: int | None = None, symbol: str | None = None) -> None:
        """One live subscription of ``kind`` (quotes, tick-by-tick, realtime-bars, keepuptodate-bars), the
        newest, or the newest on contract ``symbol`` (local symbol, symbol or conId), stops: silently, or with
        IB error ``error``."""
        if kind not in SUBSCRIPTION_KINDS:
            raise ValueError(f"subscription kind must be one of {', '.join(SUBSCRIPTION_KINDS)}, got {kind!r}")
        self._server.call_soon(self._server.end_subscriptions, (kind,), error, True, symbol)

    def stall_feed(self, name: str) -> None:
        """Stop quotes for one contract (by local symbol, symbol or conId) without any notice."""
        with self._lock:
            self._stalled.add(name)

    def resume_feed(self, name: str | None = None) -> None:
        """Resume one stalled feed, or all of them."""
        with self._lock:
            if name is None:
                self._stalled.clear()
            else:
                self._stalled.discard(name)

    # --- the market and orders -------------------------------------------------------------------------------
    def set_price(self, name: str, price: float) -> None:
        """The market of contract ``name`` (local symbol, symbol or conId) jumps to ``price`` and walks on from
        there: resting orders fill and stops trigger against it, whether their client is connected or not."""
        if not price > 0:
            raise ValueError(f"price must be positive, got {price}")
        if not self._server.knows(name):
            raise ValueError(f"no contract named {name!r}")
        self._server.call_soon(self._server.set_price, name, float(price))

    def external_fill(self, name: str, quantity: str) -> None:
        """A market order for contract ``name`` fills for another client of the account (as one placed in TWS):
        the position moves, every client subscribed to positions is told, no order report reaches the node.
        ``quantity`` is signed: positive buys, negative sells."""
        try:
            amount = Decimal(str(quantity))
        except InvalidOperation:
            raise ValueError(f"quantity must be a number, got {quantity!r}") from None
        if amount == 0 or not amount.is_finite():
            raise ValueError(f"quantity must be a non-zero number, got {quantity!r}")
        if not self._server.knows(name):
            raise ValueError(f"no contract named {name!r}")
        self._server.call_soon(self._server.external_fill, name, amount)

    def reject_next_order(self, reason: str = "Simulated rejection") -> None:
        """The next placeOrder (from any client) is refused with error 201 and this reason."""
        with self._lock:
            self._reject_reason = reason

    def delay_responses(self, seconds: float) -> None:
        """Hold every request this long before answering it (0 turns it off)."""
        if seconds < 0:
            raise ValueError(f"delay must be >= 0, got {seconds}")
        self._delay = float(seconds)


def subscription_error_text(code: int) -> str:
    return SUBSCRIPTION_ERRORS.get(code, f"Subscription ended (simulated IB error {code})")
