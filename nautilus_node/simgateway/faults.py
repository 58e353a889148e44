"""Fault injection: what can go wrong between a client and IB, on demand, from any thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

FARM_MESSAGES = {
    2103: "Market data farm connection is broken:usfarm",
    2104: "Market data farm connection is OK:usfarm",
    2105: "HMDS data farm connection is broken:ushmds",
    2106: "HMDS data farm connection is OK:ushmds",
}
CONNECTIVITY_LOST = (1100, "Connectivity between IB and Trader Workstation has been lost.")
RESTORED_DATA_LOST = (1101, "Connectivity between IB and Trader Workstation has been restored - data lost.")
RESTORED_DATA_KEPT = (1102, "Connectivity between IB and Trader Workstation has been restored - data maintained.")


class FaultTarget(Protocol):
    """What the fault controller drives (the server); every call is made on the server's event loop."""

    def call_soon(self, fn: Callable[..., object], *args: object) -> None:
        """Run ``fn(*args)`` on the server's loop, from any thread."""

    def drop_all(self) -> None: ...

    def restart(self, refuse_for: float) -> None: ...

    def broadcast_error(self, code: int, text: str) -> None: ...

    def drop_market_data_subscriptions(self) -> None: ...


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

    # --- state read by the server ------------------------------------------------------------------------
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

    # --- faults --------------------------------------------------------------------------------------------
    def drop_connections(self) -> None:
        """Close every client socket at once (the gateway keeps listening)."""
        log.info("fault: dropping all connections")
        self._server.call_soon(self._server.drop_all)

    def restart(self, refuse_for: float = 5.0) -> None:
        """Close every connection and refuse new ones for ``refuse_for`` seconds; state is kept."""
        log.info("fault: restart, refusing connections for %.1fs", refuse_for)
        self._server.call_soon(self._server.restart, refuse_for)

    def connectivity_lost(self) -> None:
        """Error 1100 to every client; market data stops until connectivity is restored."""
        self.connected_to_ib = False
        self._server.call_soon(self._server.broadcast_error, *CONNECTIVITY_LOST)

    def connectivity_restored(self, data_kept: bool = True) -> None:
        """1102 (subscriptions kept) or 1101 (subscriptions dropped: clients must resubscribe)."""
        self.connected_to_ib = True
        code, text = RESTORED_DATA_KEPT if data_kept else RESTORED_DATA_LOST
        if not data_kept:
            self._server.call_soon(self._server.drop_market_data_subscriptions)
        self._server.call_soon(self._server.broadcast_error, code, text)

    def farm_status(self, code: int) -> None:
        """A data-farm notice: 2103/2104 market data broken/OK, 2105/2106 historical broken/OK."""
        if code not in FARM_MESSAGES:
            raise ValueError(f"farm status code must be one of {sorted(FARM_MESSAGES)}, got {code}")
        if code in (2103, 2104):
            self.market_farm_ok = code == 2104
        else:
            self.hmds_farm_ok = code == 2106
        self._server.call_soon(self._server.broadcast_error, code, FARM_MESSAGES[code])

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

    def reject_next_order(self, reason: str = "Simulated rejection") -> None:
        """The next placeOrder (from any client) is refused with error 201 and this reason."""
        with self._lock:
            self._reject_reason = reason

    def delay_responses(self, seconds: float) -> None:
        """Hold every request this long before answering it (0 turns it off)."""
        if seconds < 0:
            raise ValueError(f"delay must be >= 0, got {seconds}")
        self._delay = float(seconds)
