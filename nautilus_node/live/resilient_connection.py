"""The resilient IB client's connection: reconnecting at once and then with a capped back-off, 326 ending an
attempt at once, 1100 keeping the session until 1101/1102, the data farms awaited after a reconnect, and the
session recovered in full (market data type, subscriptions, then reconciliation). A mixin of
`resilient_client.ResilientInteractiveBrokersClient`; see that module for what each override corrects."""

from __future__ import annotations

import asyncio
from typing import Any

MARKET_DATA_FARM_OK, HMDS_FARM_OK = 2104, 2106
CONNECTIVITY_LOST = 1100
CLIENT_ID_IN_USE = 326
FIRST_BACKOFF_SECS = 0.5
PORT_PROBE_SECS = 0.2


class ConnectionMixin:
    """Reconnecting and IB's connectivity and farm notices (state set up in the client's `__init__`)."""

    def _get_reconnect_delay(self) -> int:
        """NautilusTrader sleeps 5·2^(n-2) s (≤ 300 s) before an attempt; here `_connect` decides the wait."""
        return 0

    async def _connect(self) -> None:
        """Wait before a retry (until the port accepts, or a capped back-off), then connect as NautilusTrader."""
        if self._connection_attempts > 1:
            await self._wait_before_attempt()
        self._next_attempt_ns = None
        self._farms_ok.clear()
        self._farms_ready.clear()
        await super()._connect()
        self._last_attempt_refused = not self._eclient.isConnected()

    async def _wait_before_attempt(self) -> None:
        backoff = min(FIRST_BACKOFF_SECS * 2 ** (self._connection_attempts - 2), self.policy.reconnect_backoff_max_secs)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + backoff
        self._next_attempt_ns = self._clock.timestamp_ns() + int(backoff * 1e9)
        while loop.time() < deadline and not self._is_message_processing_stopping():
            if self._last_attempt_refused and await _port_accepts(self._host, self._port):
                return
            await asyncio.sleep(min(PORT_PROBE_SECS, max(deadline - loop.time(), 0)))

    async def _handle_disconnection(self) -> None:
        """As NautilusTrader's, without its fixed 5-second pause before the first reconnect attempt."""
        if self.is_running:
            self._degrade()
        self._is_ib_connected.clear()
        now = self._clock.timestamp_ns()
        if self._had_ib_connection:
            self._last_disconnection_ns = now
        if self._disconnected_since_ns is None:
            self._disconnected_since_ns = now
        await self._clear_bar_tracking_state()
        await self._handle_reconnect()

    def _resume(self) -> None:
        """NautilusTrader only re-subscribes after a reconnect; here the session is recovered in full."""
        self._recovery_task = self._create_task(self._recover_session())

    async def _recover_session(self) -> None:
        await self._is_client_ready.wait()
        self._reconnects += 1
        self._disconnected_since_ns = None
        await self._wait_for_farms()
        if self._market_data_type_sent is not None:
            self._eclient.reqMarketDataType(self._market_data_type_sent)
        await self._resubscribe(self._all_subscriptions(), cancel_first=False, cause="reconnect")
        await self._reconcile(since_ns=self._last_disconnection_ns)

    async def _wait_for_farms(self) -> None:
        """After connecting, IB reports its farms (2104, 2106); requests sent before may go unanswered."""
        if not self._farms_seen:
            return
        try:
            await asyncio.wait_for(self._farms_ready.wait(), self.policy.farm_wait_secs)
        except TimeoutError:
            self._log.warning(f"Data farms not reported OK within {self.policy.farm_wait_secs} s; subscribing anyway")
            # What is requested now may go unanswered: the farms' OK, when it comes, requests it again.
            if self._data_farm_degraded_since_ns is None:
                self._data_farm_degraded_since_ns = self._last_disconnection_ns or self._clock.timestamp_ns()

    async def set_market_data_type(self, market_data_type: Any) -> None:
        """Remember the type: NautilusTrader sends it once, but IB keeps it per API session only."""
        self._market_data_type_sent = market_data_type
        await super().set_market_data_type(market_data_type)

    def _handle_connectivity_message(self, error_code: int) -> None:
        if error_code == CONNECTIVITY_LOST and self._is_ib_connected.is_set():
            self._connectivity_lost()
            return
        super()._handle_connectivity_message(error_code)
        if error_code == CLIENT_ID_IN_USE and not self.is_ready:
            self._abandon_attempt()
        if error_code in (MARKET_DATA_FARM_OK, HMDS_FARM_OK):
            self._farms_seen = True
            self._farms_ok.add(error_code)
            if {MARKET_DATA_FARM_OK, HMDS_FARM_OK} <= self._farms_ok:
                self._farms_ready.set()
        if error_code == 1101:
            self._create_task(self._after_restored(data_lost=True))
        elif error_code == 1102:
            self._create_task(self._after_restored(data_lost=False))

    def _abandon_attempt(self) -> None:
        """326 while connecting: the gateway refused this session, but NautilusTrader waits out its 15-second
        handshake timeout before the next attempt. Here that wait fails at once (with a `ConnectionError`, which
        NautilusTrader's attempt loop handles as a failed attempt), and the next attempt follows the back-off."""
        self._log.warning("Client id in use (326): ending this connection attempt, retrying after the back-off")
        for waiter in list(getattr(self._is_ib_connected, "_waiters", ())):
            if not waiter.done():
                waiter.set_exception(ConnectionError("IB error 326: client id in use"))

    def _connectivity_lost(self) -> None:
        """1100: NautilusTrader closes the socket and reconnects (racing the gateway's release of the client id,
        326, and failing requests in flight). IB keeps the socket open and working orders working, then says
        1101 or 1102: so here the session is kept, data counts as degraded, and only if neither notice comes
        within `connectivity_restore_secs` is the socket given up as NautilusTrader does."""
        now = self._clock.timestamp_ns()
        self._log.warning("IB connectivity lost (1100): keeping the session, waiting for 1101/1102")
        self._connectivity_lost_ns = now
        if self._data_farm_degraded_since_ns is None:
            self._data_farm_degraded_since_ns = now
        if self._last_disconnection_ns is None or self._last_disconnection_ns < now:
            self._last_disconnection_ns = now
        self._create_task(self._give_up_unless_restored(now))

    async def _give_up_unless_restored(self, lost_ns: int) -> None:
        await asyncio.sleep(self.policy.connectivity_restore_secs)
        if self._connectivity_lost_ns == lost_ns:
            self._log.warning(f"No 1101/1102 within {self.policy.connectivity_restore_secs} s: reconnecting")
            self._connectivity_lost_ns = None
            self._is_ib_connected.clear()

    async def _after_restored(self, data_lost: bool) -> None:
        """1101 (data lost): cancel and request every subscription again. Both: reconcile orders and fills."""
        self._connectivity_lost_ns = None
        try:
            if data_lost:
                await self._resubscribe(self._all_subscriptions(), cancel_first=True, cause="1101")
        finally:
            self._data_farm_degraded_since_ns = None
        await self._reconcile(since_ns=self._last_disconnection_ns)


async def _port_accepts(host: str, port: int) -> bool:
    """Whether something accepts TCP connections at host:port now (the connection is closed at once)."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True
