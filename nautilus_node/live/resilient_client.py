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
from dataclasses import dataclass, field
from typing import Any, ClassVar

from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient

from nautilus_node.ib.market_state import MarketClock
from nautilus_node.live.hot_path import HOT_PATH_ATTRIBUTES, HOT_PATH_METHODS, HOT_PATH_OVERRIDES, HotPathMixin
from nautilus_node.live.liveness import LivenessBook, LivenessPolicy, Watch
from nautilus_node.live.resilient_connection import ConnectionMixin
from nautilus_node.live.resilient_reconciliation import ReconciliationMixin
from nautilus_node.live.resilient_subscriptions import SubscriptionsMixin, subscription_kind, subscription_label
from nautilus_node.nautilus_internals import set_factories_ib_client_class

__all__ = [
    "ConnectionStatus",
    "LivenessPolicy",
    "ResiliencePolicy",
    "ResilientInteractiveBrokersClient",
    "SubscriptionStatus",
    "install",
    "subscription_kind",
    "subscription_label",
    "uninstall",
]

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
    "_cache",
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


@dataclass(frozen=True, slots=True)
class ResiliencePolicy:
    """What the resilient client does; the defaults suit a real IB Gateway."""

    reconnect_backoff_max_secs: float = 30.0
    farm_wait_secs: float = 5.0
    connectivity_restore_secs: float = 120.0
    watchdog_interval_secs: float = 1.0
    market_hours: str = "instruments"
    liveness: LivenessPolicy = field(default_factory=LivenessPolicy)
    inline_reader: bool = True  # False: NautilusTrader's own socket reader and decoder threads
    inline_engines: bool = True  # False: NautilusTrader's engine queues for every message
    session_probe_secs: float = 3.0
    log_messages: bool = False  # NautilusTrader's debug line per request and message (built even when not logged)


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


class ResilientInteractiveBrokersClient(
    HotPathMixin, ConnectionMixin, SubscriptionsMixin, ReconciliationMixin, InteractiveBrokersClient
):
    """NautilusTrader's IB client that recovers feeds and reconciles orders after what IB does to a session: its
    connection (`resilient_connection`), subscriptions (`resilient_subscriptions`) and reconciliation
    (`resilient_reconciliation`), each a mixin in front of NautilusTrader's class."""

    policy: ClassVar[ResiliencePolicy] = ResiliencePolicy()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._liveness = LivenessBook(self.policy.liveness)
        self._market = MarketClock(self._cache, self.policy.market_hours)
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


def install(policy: ResiliencePolicy | None = None) -> None:
    """Make NautilusTrader's IB factories build the resilient client (with `policy`) for new connections."""
    ResilientInteractiveBrokersClient.policy = policy or ResiliencePolicy()
    set_factories_ib_client_class(ResilientInteractiveBrokersClient)


def uninstall() -> None:
    """Make the factories build NautilusTrader's plain client again."""
    set_factories_ib_client_class(PLAIN_CLIENT)
