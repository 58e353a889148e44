"""`ResilientInteractiveBrokersClient`: NautilusTrader's IB client with the gaps a real gateway hits closed.

A small subclass of NautilusTrader 1.231's `InteractiveBrokersClient`, installed through its factories (they
look the class up as a module attribute, see `install`), so the adapter itself is not forked. Each override
names the NautilusTrader behaviour it corrects:

- reconnect: NautilusTrader waits 5 s after a lost socket, then backs off 5·2^(n-2) s up to 300 s. Here the
  first attempt is at once, a refused connection is retried as soon as the port accepts again, and other
  failures back off from 0.5 s up to `reconnect_backoff_max_secs`.
- after a reconnect NautilusTrader re-issues the subscriptions only. Here it waits (bounded) for the data
  farms, sends the market data type again (it is per API session), re-subscribes, then reconciles: the
  executions since the disconnection become `OrderFilled` events, and open orders their current status.
- 326 (client id in use) while connecting: NautilusTrader waits out its 15-second handshake timeout; here
  the attempt ends at once and the next follows after the back-off.
- 1100 (connectivity lost) closes the socket in NautilusTrader; IB keeps it open. Here the session is kept
  until 1101/1102 (bounded). 1101 (restored, data lost) only sets the connected flag in NautilusTrader. Here
  every market-data subscription is cancelled and requested again; 1101 and 1102 reconcile orders and fills.
- 2104/2106 after a break re-issue subscriptions without cancelling them first; 10225 and 322 are only
  logged, 10182 waits for a farm notice that may never come. Here the affected subscriptions are cancelled,
  then requested again under a new request id.
- a subscription that dies silently is never noticed. Here a liveness watchdog re-requests a subscription
  silent beyond its expected interval (bars: period + grace; quotes: a threshold) while its market is open
  and its farm OK, with back-off and a bounded number of tries, and then reports it dead.
- the hot path (`hot_path.py`): the socket read and hot messages decoded on the loop, a message that fails to
  decode skipped (not the end of NautilusTrader's queue task), and a session whose reader or pump ended, or
  that stays silent after re-requests, ended and reconnected.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from ibapi.execution import ExecutionFilter
from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.adapters.interactive_brokers.client.common import Subscription
from nautilus_trader.model.data import BarType

from nautilus_node.live.hot_path import HOT_PATH_ATTRIBUTES, HOT_PATH_METHODS, HOT_PATH_OVERRIDES, HotPathMixin
from nautilus_node.live.liveness import LivenessBook, LivenessPolicy, Watch
from nautilus_node.nautilus_internals import set_factories_ib_client_class
from nautilus_node.status.feeds import market_open

PLAIN_CLIENT = InteractiveBrokersClient
# NautilusTrader's own members this subclass overrides or uses; tests/resilience/test_nautilus_hooks.py checks
# each against the installed version, so an upgrade that renames one fails with its name.
OVERRIDDEN_METHODS = (
    "_get_reconnect_delay",
    "_connect",
    "_handle_disconnection",
    "_resume",
    "set_market_data_type",
    "_handle_connectivity_message",
    "_handle_data_farm_ok",
    "_handle_subscription_error",
    "_subscribe",
    "_unsubscribe",
    "process_tick_price",
    "process_tick_by_tick_bid_ask",
    "process_tick_by_tick_all_last",
    "process_realtime_bar",
    "process_historical_data_update",
    "_start",
    "_stop",
    *HOT_PATH_OVERRIDES,
)
USED_ATTRIBUTES = (
    "_connection_attempts",
    "_eclient",
    "_is_ib_connected",
    "_is_client_ready",
    "_had_ib_connection",
    "_last_disconnection_ns",
    "_data_farm_degraded_since_ns",
    "_data_farm_resubscription_task",
    "_subscriptions",
    "_subscription_tick_data",
    "_event_subscriptions",
    "_clock",
    "_loop",
    "_host",
    "_port",
    *HOT_PATH_ATTRIBUTES,
)
USED_METHODS = (
    "_degrade",
    "_clear_bar_tracking_state",
    "_handle_reconnect",
    "_create_task",
    "_next_req_id",
    "_is_message_processing_stopping",
    "accounts",
    "get_executions",
    "get_open_orders",
    *HOT_PATH_METHODS,
)
MARKET_DATA_FARM_OK, HMDS_FARM_OK = 2104, 2106
CONNECTIVITY_LOST = 1100
CLIENT_ID_IN_USE = 326
RESUBSCRIBE_CODES = frozenset({10182, 10225, 322})
RECONCILE_LOOKBACK_SECS = 60.0
FIRST_BACKOFF_SECS = 0.5
PORT_PROBE_SECS = 0.2


@dataclass(frozen=True, slots=True)
class ResiliencePolicy:
    """What the resilient client does; the defaults suit a real IB Gateway."""

    reconnect_backoff_max_secs: float = 30.0
    farm_wait_secs: float = 5.0
    connectivity_restore_secs: float = 120.0
    watchdog_interval_secs: float = 1.0
    market_hours: str = "fx"
    liveness: LivenessPolicy = field(default_factory=LivenessPolicy)
    inline_reader: bool = True  # False: NautilusTrader's own socket reader and decoder threads
    session_probe_secs: float = 3.0


@dataclass(frozen=True, slots=True)
class SubscriptionStatus:
    """One market-data subscription as the client sees it."""

    name: str
    kind: str
    state: str
    since_ns: int | None
    tries: int
    cause: str | None
    last_data_ns: int | None


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """Reconnection as the client sees it: attempts in the current outage, the next one, reconnects so far."""

    attempts: int
    next_attempt_ns: int | None
    reconnects: int
    disconnected_since_ns: int | None
    subscriptions: list[SubscriptionStatus]


def subscription_kind(name: str | tuple) -> str:
    """`quotes`, `ticks` (tick-by-tick), `bars` (5-second real-time), `live_bars` (keepUpToDate) or `other`."""
    if isinstance(name, tuple):
        tag = name[1] if len(name) > 1 else ""
        return {"market_data": "quotes", "BidAsk": "ticks", "AllLast": "ticks"}.get(tag, "other")
    try:
        bar_type = BarType.from_str(name)
    except ValueError:
        return "other"
    return "bars" if bar_type.spec.timedelta.total_seconds() == 5 else "live_bars"


def subscription_label(name: str | tuple) -> str:
    """A subscription name as text: `EUR/USD.IDEALPRO market_data`, or the bar type."""
    return " ".join(str(part) for part in name) if isinstance(name, tuple) else str(name)


class ResilientInteractiveBrokersClient(HotPathMixin, InteractiveBrokersClient):
    """NautilusTrader's IB client that recovers feeds and reconciles orders after what IB does to a session."""

    policy: ClassVar[ResiliencePolicy] = ResiliencePolicy()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._liveness = LivenessBook(self.policy.liveness)
        self._req_names: dict[int, str] = {}
        self._data_req_ids: set[int] = set()
        self._market_data_type_sent: int | None = None
        self._farms_ok: set[int] = set()
        self._farms_seen = False
        self._farms_ready = asyncio.Event()
        self._recovery_task: asyncio.Task | None = None
        self._watchdog_task: asyncio.Task | None = None
        self._last_attempt_refused = False
        self._next_attempt_ns: int | None = None
        self._reconnects = 0
        self._disconnected_since_ns: int | None = None
        self._connectivity_lost_ns: int | None = None
        self._init_hot_path()

    # -- what status shows ---------------------------------------------------------------------------------

    def connection_status(self) -> ConnectionStatus:
        """Reconnect attempts, the next attempt's time and every subscription's liveness, now."""
        self._note_data(self._clock.timestamp_ns())
        return ConnectionStatus(
            attempts=self._connection_attempts if self._disconnected_since_ns is not None else 0,
            next_attempt_ns=self._next_attempt_ns,
            reconnects=self._reconnects,
            disconnected_since_ns=self._disconnected_since_ns,
            subscriptions=[_subscription_status(w) for w in self._liveness.watches()],
        )

    # -- reconnecting --------------------------------------------------------------------------------------

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

    # -- IB's connectivity and farm notices ----------------------------------------------------------------

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

    def _handle_data_farm_ok(self, error_code: int) -> None:
        """After a break NautilusTrader re-issues every subscription without cancelling; here the farm's own
        subscriptions are cancelled, then requested again."""
        if self._data_farm_degraded_since_ns is None:
            return
        kinds = {"live_bars"} if error_code == HMDS_FARM_OK else {"quotes", "ticks", "bars", "live_bars"}
        chosen = [s for s in self._all_subscriptions() if subscription_kind(s.name) in kinds]
        self._data_farm_resubscription_task = self._create_task(self._resubscribe_after_farm(chosen, error_code))

    async def _resubscribe_after_farm(self, subscriptions: list[Subscription], code: int) -> None:
        try:
            await self._resubscribe(subscriptions, cancel_first=True, cause=str(code))
        finally:
            self._data_farm_degraded_since_ns = None

    async def _handle_subscription_error(self, req_id: int, error_code: int, error_string: str) -> None:
        """10182/10225/322 end one subscription: cancel it and request it again (10182 during a farm outage
        waits for the farm, as NautilusTrader does)."""
        subscription = self._subscriptions.get(req_id=req_id)
        farm_down = self._data_farm_degraded_since_ns is not None
        if subscription is None or error_code not in RESUBSCRIBE_CODES or (error_code == 10182 and farm_down):
            await super()._handle_subscription_error(req_id, error_code, error_string)
            return
        self._log.warning(f"{error_code} on {subscription.name}: cancelling and requesting it again")
        await self._resubscribe([subscription], cancel_first=True, cause=str(error_code))

    # -- subscriptions -------------------------------------------------------------------------------------

    def _all_subscriptions(self) -> list[Subscription]:
        return [s for s in self._subscriptions.get_all() if subscription_kind(s.name) != "other"]

    async def _resubscribe(self, subscriptions: list[Subscription], *, cancel_first: bool, cause: str) -> None:
        now = self._clock.timestamp_ns()
        for subscription in subscriptions:
            self._liveness.recovering(subscription_label(subscription.name), cause, now)
            try:
                await self._request_again(subscription, cancel_first)
            except Exception as exc:
                self._log.exception(f"Failed to request {subscription.name} again", exc)

    async def _request_again(self, subscription: Subscription, cancel_first: bool) -> None:
        """Cancel (on a live session) and request again under a new request id (IB answers 322 to a reused
        live id); keepUpToDate bars take a new id through NautilusTrader's own re-subscription."""
        if cancel_first and self._eclient.isConnected():
            subscription.cancel()
        if subscription_kind(subscription.name) == "live_bars":
            await _call(subscription.handle)
            return
        handle, cancel = subscription.handle, subscription.cancel
        if not (isinstance(handle, functools.partial) and isinstance(cancel, functools.partial)):
            await _call(handle)
            return
        self._subscriptions.remove(req_id=subscription.req_id)
        self._subscription_tick_data.pop(subscription.req_id, None)
        req_id = self._next_req_id()
        renewed = self._subscriptions.add(
            req_id=req_id,
            name=subscription.name,
            handle=functools.partial(handle.func, req_id, *handle.args[1:], **handle.keywords),
            cancel=functools.partial(cancel.func, req_id, *cancel.args[1:], **cancel.keywords),
        )
        if renewed is not None:
            await _call(renewed.handle)

    async def _subscribe(self, name: str | tuple, *args: Any, **kwargs: Any) -> Subscription:
        """NautilusTrader's subscribe, with the new subscription put under the liveness watchdog."""
        subscription = await super()._subscribe(name, *args, **kwargs)
        self._watch(name)
        return subscription

    async def _unsubscribe(self, name: str | tuple, *args: Any, **kwargs: Any) -> None:
        await super()._unsubscribe(name, *args, **kwargs)
        self._liveness.forget(subscription_label(name))

    def _watch(self, name: str | tuple) -> None:
        kind = subscription_kind(name)
        if kind == "other":
            return
        liveness = self.policy.liveness
        if kind in ("bars", "live_bars"):
            expected = BarType.from_str(str(name)).spec.timedelta.total_seconds() + liveness.bar_grace_secs
        else:
            expected = liveness.quote_silence_secs
        self._liveness.track(subscription_label(name), kind, expected, self._clock.timestamp_ns())

    def _note_data(self, now_ns: int) -> None:
        """Mark live every subscription that sent data since the last check (the request ids collected, per
        message, by one C-level set insertion in the overrides below)."""
        arrived, self._data_req_ids = self._data_req_ids, set()
        for req_id in arrived:
            name = self._req_names.get(req_id)
            if name is None:
                subscription = self._subscriptions.get(req_id=req_id)
                if subscription is None:
                    continue
                name = self._req_names[req_id] = subscription_label(subscription.name)
            self._liveness.seen(name, now_ns)

    # Plain functions returning NautilusTrader's coroutine: no extra coroutine frame per market-data message.
    def process_tick_price(self, **kwargs: Any) -> Coroutine[Any, Any, None]:
        self._data_req_ids.add(kwargs["req_id"])
        return super().process_tick_price(**kwargs)

    def process_tick_by_tick_bid_ask(self, **kwargs: Any) -> Coroutine[Any, Any, None]:
        self._data_req_ids.add(kwargs["req_id"])
        return super().process_tick_by_tick_bid_ask(**kwargs)

    def process_tick_by_tick_all_last(self, **kwargs: Any) -> Coroutine[Any, Any, None]:
        self._data_req_ids.add(kwargs["req_id"])
        return super().process_tick_by_tick_all_last(**kwargs)

    def process_realtime_bar(self, **kwargs: Any) -> Coroutine[Any, Any, None]:
        self._data_req_ids.add(kwargs["req_id"])
        return super().process_realtime_bar(**kwargs)

    def process_historical_data_update(self, **kwargs: Any) -> Coroutine[Any, Any, None]:
        self._data_req_ids.add(kwargs["req_id"])
        return super().process_historical_data_update(**kwargs)

    # -- the liveness watchdog -----------------------------------------------------------------------------

    def _start(self) -> None:
        super()._start()
        self._watchdog_task = self._loop.create_task(self._run_liveness_watchdog(), name="liveness-watchdog")

    def _stop(self) -> None:
        if self._watchdog_task is not None:
            self._watchdog_task.cancel()
        super()._stop()

    async def _run_liveness_watchdog(self) -> None:
        while True:
            await asyncio.sleep(self.policy.watchdog_interval_secs)
            try:
                self._check_session(self._clock.timestamp_ns())
                await self._check_liveness()
            except Exception as exc:
                self._log.exception("Liveness check failed", exc)

    async def _check_liveness(self) -> None:
        """Re-request the subscriptions silent too long, while they could flow at all."""
        now = self._clock.timestamp_ns()
        self._note_data(now)
        can_flow = (
            self.is_ready
            and self._data_farm_degraded_since_ns is None
            and market_open(self.policy.market_hours, datetime.fromtimestamp(now / 1e9, tz=UTC))
        )
        if not can_flow:
            self._liveness.pause(now)
            return
        due = set(self._liveness.due(now))
        if not due:
            return
        if any(w.tries > 1 for w in self._liveness.watches() if w.name in due):
            self._probe_session(now)
        chosen = [s for s in self._all_subscriptions() if subscription_label(s.name) in due]
        for subscription in chosen:
            self._log.warning(f"{subscription.name} silent beyond its expected interval: requesting it again")
            try:
                await self._request_again(subscription, cancel_first=True)
            except Exception as exc:
                self._log.exception(f"Failed to request {subscription.name} again", exc)

    # -- reconciling orders and fills ----------------------------------------------------------------------

    async def _reconcile(self, since_ns: int | None) -> None:
        """Fills since the disconnection through the execution client's own `execDetails` handler (so they
        become `OrderFilled` events, duplicates dropped by trade id), then the open orders' current status."""
        for account in sorted(self.accounts()):
            if f"execDetails-{account}" not in self._event_subscriptions:
                continue
            execution_filter = ExecutionFilter()
            execution_filter.acctCode = account
            if since_ns is not None:
                since = datetime.fromtimestamp(since_ns / 1e9 - RECONCILE_LOOKBACK_SECS, tz=UTC)
                execution_filter.time = since.strftime("%Y%m%d-%H:%M:%S")
            executions = await self.get_executions(account, execution_filter)
            orders = await self.get_open_orders(account)
            self._log.info(
                f"Reconciled {account} after reconnect: {len(executions or [])} executions, "
                f"{len(orders or [])} open orders",
            )


def _subscription_status(watch: Watch) -> SubscriptionStatus:
    since = watch.recovering_since_ns if watch.state in ("recovering", "dead") else watch.last_data_ns
    return SubscriptionStatus(
        name=watch.name,
        kind=watch.kind,
        state=watch.state,
        since_ns=since,
        tries=watch.tries,
        cause=watch.cause,
        last_data_ns=watch.last_data_ns,
    )


async def _call(handle: Callable[[], Any]) -> None:
    result = handle()
    if asyncio.iscoroutine(result):
        await result


async def _port_accepts(host: str, port: int) -> bool:
    """Whether something accepts TCP connections at host:port now (the connection is closed at once)."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


def install(policy: ResiliencePolicy | None = None) -> None:
    """Make NautilusTrader's IB factories build the resilient client (with `policy`) for new connections."""
    ResilientInteractiveBrokersClient.policy = policy or ResiliencePolicy()
    set_factories_ib_client_class(ResilientInteractiveBrokersClient)


def uninstall() -> None:
    """Make the factories build NautilusTrader's plain client again."""
    set_factories_ib_client_class(PLAIN_CLIENT)
