"""The status snapshot: one msgspec schema shared by the actor, the HTTP surface, the file and the CLI.

Every field holds a fact that arrived from the node or the gateway; a value that never arrived is `None`
(or an empty list), never a placeholder. Times are ISO 8601 UTC strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import msgspec

SCHEMA_VERSION = 2  # 2: money as numbers beside a currency field (1: formatted strings such as "1_000.00 USD")

GatewayState = Literal["connected", "disconnected", "reconnecting"]
FeedState = Literal["fresh", "waiting", "stale", "degraded", "closed"]
NodeState = Literal["starting", "startup_incomplete", "running", "stopped"]
FarmCondition = Literal["ok", "broken"]


class _Record(msgspec.Struct, frozen=True):
    """Base for every part of the snapshot."""


class CodeEvent(_Record, kw_only=True):
    """An IB error/info code the gateway sent, as received."""

    code: int
    at: str
    message: str
    req_id: int = -1


class Gateway(_Record, kw_only=True):
    """The IB Gateway connection as the adapter's shared client sees it."""

    host: str | None
    port: int | None
    client_id: int | None
    state: GatewayState
    since: str | None
    server_version: int | None = None  # while connected
    connection_time: str | None = None  # the gateway's time text at the handshake, while connected
    market_data_farm: FarmCondition | None = None  # from the last 2103/2104 seen
    historical_data_farm: FarmCondition | None = None  # from the last 2105/2106 seen
    codes: list[CodeEvent] = []
    security_definition_farm: FarmCondition | None = None  # from the last 2157/2158 seen
    reconnects: int = 0  # times connected again after the first connection
    scheduled_reset: str | None = None  # while not connected inside one of IB's scheduled windows: its label


class ExpectedWindow(_Record, kw_only=True):
    """One of IB's scheduled resets for the node's region (a disconnection in it is expected, still reported)."""

    kind: str  # "daily reset" or "weekend maintenance"
    label: str
    starts_at: str
    ends_at: str


class Balance(_Record, kw_only=True):
    """Amounts in `currency`, as numbers (formatted only for people, by the page and the CLI)."""

    currency: str
    total: float
    free: float
    locked: float


class Margin(_Record, kw_only=True):
    currency: str
    initial: float
    maintenance: float
    instrument_id: str | None = None


class Account(_Record, kw_only=True):
    """An account as last reported by the venue (an `AccountState` event)."""

    account_id: str
    reported_at: str
    balances: list[Balance]
    margins: list[Margin]
    info: dict[str, str] = {}


class Position(_Record, kw_only=True):
    position_id: str
    instrument_id: str
    strategy_id: str
    side: str
    quantity: str
    avg_px_open: str
    unrealized_pnl: float | None
    realized_pnl: float | None
    pnl_currency: str  # the currency of both PnLs (the instrument's settlement currency)
    opened_at: str


class Order(_Record, kw_only=True):
    client_order_id: str
    venue_order_id: str | None
    instrument_id: str
    strategy_id: str
    side: str
    type: str
    quantity: str
    filled_qty: str
    price: str | None
    trigger_price: str | None
    time_in_force: str
    status: str
    updated_at: str


class Fill(_Record, kw_only=True):
    client_order_id: str
    venue_order_id: str | None
    trade_id: str
    instrument_id: str
    side: str
    quantity: str
    price: str
    commission: float
    commission_currency: str
    at: str


class Feed(_Record, kw_only=True):
    """One subscribed data feed (an instrument and a data type) as it arrives on the message bus."""

    topic: str
    name: str
    data_type: str
    required: bool
    state: FeedState
    count: int
    rate_per_sec: float
    last_event_at: str | None
    age_secs: float | None
    reason: str | None = None
    opens_at: str | None = None  # while closed: when its instrument's next session opens


SubscriptionState = Literal["waiting", "live", "recovering", "dead"]


class Subscription(_Record, kw_only=True):
    """One market-data subscription at the gateway, as the resilient IB client watches it."""

    name: str
    kind: str  # quotes, ticks (tick-by-tick), bars (5-second real-time), live_bars (keepUpToDate)
    state: SubscriptionState
    since: str | None  # recovering/dead: since when; live: the last data
    tries: int  # re-requests since it went silent (dead: the tries it took)
    cause: str | None = None  # what made it recover: silent, reconnect, 1101, 10225, ...
    text: str  # "live", "recovering since …", "dead after N tries"


class HotPath(_Record, kw_only=True):
    """The resilient client's message path: its reader, the messages it skipped, the sessions it ended."""

    reader: str  # "inline" (read and decoded on the event loop) or "nautilus" (NautilusTrader's own reader)
    skipped_messages: int  # messages that failed to decode (or had an unknown id), skipped
    skipped_by_id: dict[str, int] = {}  # the same, by TWS message id
    handler_failures: int = 0  # NautilusTrader handlers that raised (logged, skipped)
    reconciliations: int = 0  # reconciliations asked for by a skipped order or execution message
    last_skipped: str | None = None
    sessions_ended: int = 0  # sessions ended for a fault (stream out of step, a pump ended, silent) and reconnected
    last_session_ended: str | None = None
    backlog: int = 0  # messages read but not yet decoded


class Resilience(_Record, kw_only=True):
    """Reconnection and subscription recovery (present when the resilient IB client runs)."""

    reconnect_attempts: int  # attempts in the current outage (0 while connected)
    next_attempt_at: str | None
    disconnected_since: str | None
    reconnects: int  # reconnections since the node started
    subscriptions: list[Subscription] = []
    hot_path: HotPath | None = None


class LatencyFigure(_Record, kw_only=True):
    """One latency over the last hour: how many, p50/p99 in milliseconds, and Prometheus-style buckets."""

    count: int
    p50_ms: float | None
    p99_ms: float | None
    sum_secs: float = 0.0
    buckets: dict[str, int] = {}  # upper bound in seconds (as text) → samples at or below it (cumulative)


class Latency(_Record, kw_only=True):
    """The node's own order latency and the quote age at decision (see status/latency.py)."""

    window_secs: int
    submit_to_accepted: LatencyFigure
    submit_to_filled: LatencyFigure
    quote_age: dict[str, LatencyFigure] = {}  # per instrument: its latest quote's age when an order was created


class InstrumentRules(_Record, kw_only=True):
    """What an order for a loaded instrument must respect: its price and size grids."""

    instrument_id: str
    price_increment: str
    size_increment: str
    min_quantity: str | None
    max_quantity: str | None
    quote_currency: str


class Pnl(_Record, kw_only=True):
    """Equity (the account's reported total) and the unrealized PnL of open positions, in one currency."""

    currency: str
    equity: float | None
    unrealized: float


class Strategy(_Record, kw_only=True):
    strategy_id: str
    state: str
    reason: str | None = None


class Node(_Record, kw_only=True):
    trader_id: str
    state: NodeState
    started_at: str
    uptime_secs: float
    market_open: bool
    on_stop: str = "cancel"  # `[node] on_stop`: what stopping does with the manual desk's orders and positions


class Trading(_Record, kw_only=True):
    """NautilusTrader's risk engine trading state, and the halt that set it (who or what, why, when)."""

    state: Literal["ACTIVE", "REDUCING", "HALTED"]
    by: str | None = None
    reason: str | None = None
    since: str | None = None
    flatten: bool = False


class LimitUse(_Record, kw_only=True):
    """One of the node's risk limits and how much of it is used now."""

    name: str  # max_position, max_daily_loss, max_open_orders
    instrument_id: str | None = None
    limit: float
    used: float
    percent: float
    breached: bool


AlertKind = Literal["alert", "recovered"]


class AlertRecord(_Record, kw_only=True):
    """A recent alert and what became of it: queued for every destination, or suppressed (a duplicate within
    the dedup window, or over the rate)."""

    key: str
    kind: AlertKind
    title: str
    message: str
    at: str
    outcome: Literal["queued", "suppressed"]


class AlertDestination(_Record, kw_only=True):
    """An alert destination, named by kind and position (its URL may hold a secret: never shown)."""

    name: str
    sent: int
    failed: int
    dropped: int


class Alerting(_Record, kw_only=True):
    destinations: list[AlertDestination]
    raised: int
    suppressed: int
    recent: list[AlertRecord]


class BrokerPosition(_Record, kw_only=True):
    """One instrument's position as IB reports it beside the strategies' (each by name, and their sum)."""

    instrument_id: str  # or "conId N (SYMBOL)" for a contract the node has not loaded
    broker: float | None  # None: IB has not reported this instrument
    node: float  # the strategies' positions summed (signed)
    strategies: dict[str, float]  # signed, by strategy id; "EXTERNAL": NautilusTrader's reconciled positions
    mismatch: bool
    since: str | None = None  # when the two began to differ, once a mismatch


class Health(_Record, kw_only=True):
    healthy: bool
    reasons: list[str]


class Snapshot(_Record, kw_only=True):
    """The whole status of one node at `generated_at`."""

    schema_version: int = SCHEMA_VERSION
    generated_at: str
    interval_secs: float
    node: Node
    gateway: Gateway
    account_id: str | None
    accounts: list[Account]
    positions: list[Position]
    orders: list[Order]
    fills: list[Fill]
    feeds: list[Feed]
    strategies: list[Strategy]
    warnings: list[str]
    health: Health
    resilience: Resilience | None = None
    instruments: list[InstrumentRules] = []
    pnl: Pnl | None = None
    order_events: dict[str, int] = {}  # order events seen since start, by kind (accepted, filled, ...)
    expected_windows: list[ExpectedWindow] = []  # IB's scheduled resets now and in the next day
    latency: Latency | None = None  # order latency and quote age at decision over the last hour
    trading: Trading | None = None  # None: the node's kernel was not found
    limits: list[LimitUse] = []
    alerts: Alerting | None = None  # None: no alert destination configured
    broker_positions: list[BrokerPosition] = []


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Snapshot)


def encode(snapshot: Snapshot) -> bytes:
    """The snapshot as JSON bytes."""
    return _encoder.encode(snapshot)


def decode(data: bytes) -> Snapshot:
    """Parse and validate snapshot JSON; raises `msgspec.DecodeError`/`ValidationError` naming the field."""
    return _decoder.decode(data)


def iso(ts_ns: int) -> str:
    """A UNIX-nanosecond timestamp as ISO 8601 UTC with milliseconds."""
    moment = datetime.fromtimestamp(ts_ns / 1e9, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> float:
    """An ISO 8601 timestamp as UNIX seconds."""
    return datetime.fromisoformat(text).timestamp()


def money(amount: float | None, currency: str) -> str:
    """An amount for people: `1,000,000.00 USD` (two decimals), `-` when unknown."""
    return "-" if amount is None else f"{amount:,.2f} {currency}"
