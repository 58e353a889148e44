"""Data feeds as they arrive on the message bus: O(1) per event, counted and judged once per snapshot.

The monitor observes the data topics the node's components already subscribe to (and the required feeds)
by adding its own message-bus handlers; it never sends a data subscription of its own to the venue.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nautilus_trader.common.component import MessageBus
from nautilus_trader.core.data import Data
from nautilus_trader.model.data import BarType
from nautilus_trader.model.identifiers import InstrumentId

from nautilus_node.ib.market_state import UNKNOWN, MarketState
from nautilus_node.status.snapshot import Feed, FeedState, iso

OBSERVED_KINDS = ("quotes", "trades", "bars")
RATE_WINDOW_SECS = 10.0
MarketOf = Callable[[InstrumentId, float], MarketState]  # an instrument's market at a Unix time


def required_feed_topic(text: str) -> str:
    """The message-bus topic of a required feed: a bar type's bars, or an instrument id's quotes."""
    if text.count("-") >= 3:
        try:
            return f"data.bars.{BarType.from_str(text)}"
        except ValueError:
            pass
    try:
        instrument_id = InstrumentId.from_str(text)
    except ValueError:
        raise ValueError(f"required_feeds: {text!r} is neither an instrument id nor a bar type") from None
    return f"data.quotes.{instrument_id.venue}.{instrument_id.symbol}"


def topic_instrument(name: str, data_type: str) -> InstrumentId | None:
    """The instrument of a described feed (`name` as `describe_topic` gives it), or None if it names none."""
    try:
        return BarType.from_str(name).instrument_id if data_type == "bars" else InstrumentId.from_str(name)
    except ValueError:
        return None


def closed_reason(market: MarketState) -> str:
    """Why a closed market's feed is quiet, and until when."""
    if market.opens_at is None:
        return "market closed (no session listed ahead)"
    spell = "closed for the break" if market.in_break else "closed"
    return f"{spell} until {iso(int(market.opens_at * 1e9))}"


def describe_topic(topic: str) -> tuple[str, str] | None:
    """`(name, data type)` of an observed data topic, or `None` for a topic this monitor does not follow."""
    parts = topic.split(".", 2)
    if len(parts) != 3 or parts[0] != "data" or parts[1] not in OBSERVED_KINDS or "*" in topic:
        return None
    kind, rest = parts[1], parts[2]
    if kind == "bars":
        return rest, kind
    venue, _, symbol = rest.partition(".")
    return f"{symbol}.{venue}", kind


class FeedCounter:
    """One feed's events. Its message-bus handler is the C-level `append` of a deque: no Python frame per
    event, and a fixed-size block every 64 events where a list would regrow and copy its whole buffer. Each
    snapshot drains it into a count and the last event, so it holds at most one snapshot interval of events
    (the handler and the snapshot timer run on the same event loop)."""

    __slots__ = ("count", "handler", "last", "pending")

    def __init__(self) -> None:
        self.count = 0
        self.last: Data | None = None
        self.pending: deque[Data] = deque()
        self.handler = self.pending.append

    def drain(self, keep_all: bool = False) -> list[Data]:
        """Count the events that arrived since the last drain and keep the newest; returns the drained
        events (all of them with `keep_all`, else only the newest)."""
        pending = self.pending
        if not pending:
            return []
        self.count += len(pending)
        self.last = pending[-1]
        drained = list(pending) if keep_all else [self.last]
        pending.clear()
        return drained

    @property
    def last_ns(self) -> int:
        """When the node received the last drained event (its `ts_init`); 0 before any."""
        return self.last.ts_init if self.last is not None else 0


@dataclass
class _Tracked:
    name: str
    data_type: str
    required: bool
    first_seen_ns: int
    stale_after_secs: float
    instrument_id: InstrumentId | None
    counter: FeedCounter = field(default_factory=FeedCounter)
    samples: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=64))


class FeedMonitor:
    """Finds subscribed data feeds on the message bus, counts their events and judges their freshness."""

    def __init__(
        self,
        msgbus: MessageBus,
        stale_after_secs: float,
        required_feeds: Iterable[str],
        market_of: MarketOf = lambda _instrument_id, _t: UNKNOWN,
    ) -> None:
        self._msgbus = msgbus
        self._market_of = market_of
        self._stale_after_secs = stale_after_secs
        self._required = {required_feed_topic(text) for text in required_feeds}
        self._feeds: dict[str, _Tracked] = {}
        self.newest: list[Data] = []  # the newest quote or trade of each feed that had any, at the last views()
        self.bars: list[Data] = []  # every bar drained at the last views()

    def stale_limit_secs(self, name: str, data_type: str) -> float:
        """How long a feed may go without data: the configured limit, or for bars at least two bar intervals
        (a 1-minute bar feed is not stale 10 s after its last bar)."""
        if data_type != "bars":
            return self._stale_after_secs
        try:
            interval = BarType.from_str(name).spec.timedelta.total_seconds()
        except ValueError:  # a bar type without a fixed interval (ticks, volume)
            return self._stale_after_secs
        return max(self._stale_after_secs, 2 * interval)

    def discover(self, now_ns: int) -> None:
        """Follow every data topic now subscribed on the bus, and the required feeds."""
        topics = {sub.topic for sub in self._msgbus.subscriptions("data.*")} | self._required
        for topic in topics:
            if topic in self._feeds:
                continue
            described = describe_topic(topic)
            if described is None:
                continue
            name, data_type = described
            tracked = _Tracked(
                name,
                data_type,
                required=topic in self._required,
                first_seen_ns=now_ns,
                stale_after_secs=self.stale_limit_secs(name, data_type),
                instrument_id=topic_instrument(name, data_type),
            )
            self._feeds[topic] = tracked
            self._msgbus.subscribe(topic=topic, handler=tracked.counter.handler)

    def close(self) -> None:
        """Stop observing."""
        for topic, tracked in self._feeds.items():
            self._msgbus.unsubscribe(topic=topic, handler=tracked.counter.handler)
        self._feeds.clear()

    def views(self, now_ns: int, md_farm_broken: str | None, hmds_broken: str | None) -> list[Feed]:
        """Each feed's state at `now_ns`, by its instrument's market then; the farm arguments name an outstanding
        farm outage, if any."""
        result = []
        self.newest, self.bars = [], []
        for topic, tracked in sorted(self._feeds.items()):
            counter = tracked.counter
            bars = tracked.data_type == "bars"
            drained = counter.drain(keep_all=bars)
            (self.bars if bars else self.newest).extend(drained)
            tracked.samples.append((now_ns, counter.count))
            while now_ns - tracked.samples[0][0] > RATE_WINDOW_SECS * 1e9 and len(tracked.samples) > 2:
                tracked.samples.popleft()
            market = UNKNOWN if tracked.instrument_id is None else self._market_of(tracked.instrument_id, now_ns / 1e9)
            state, reason = self._judge(tracked, now_ns, market, md_farm_broken, hmds_broken)
            result.append(
                Feed(
                    topic=topic,
                    name=tracked.name,
                    data_type=tracked.data_type,
                    required=tracked.required,
                    state=state,
                    count=counter.count,
                    rate_per_sec=round(_rate(tracked.samples), 3),
                    last_event_at=iso(counter.last_ns) if counter.count else None,
                    age_secs=round((now_ns - counter.last_ns) / 1e9, 3) if counter.count else None,
                    reason=reason,
                    opens_at=iso(int(market.opens_at * 1e9)) if state == "closed" and market.opens_at else None,
                ),
            )
        return result

    def _judge(
        self,
        tracked: _Tracked,
        now_ns: int,
        market: MarketState,
        md_farm_broken: str | None,
        hmds_broken: str | None,
    ) -> tuple[FeedState, str | None]:
        """Closed while its market is; else degraded in a farm outage; else stale once silent beyond its limit,
        silence counted from the session's open at the earliest (a grace of one limit after each open)."""
        if not market.is_open:
            return "closed", closed_reason(market)
        outage = md_farm_broken or (hmds_broken if tracked.data_type == "bars" else None)
        if outage:
            return "degraded", outage
        counter = tracked.counter
        limit = tracked.stale_after_secs
        opened_ns = int(market.opened_at * 1e9) if market.opened_at is not None else 0
        if counter.count == 0:
            waited = (now_ns - max(tracked.first_seen_ns, opened_ns)) / 1e9
            if waited <= limit:
                return "waiting", "no data yet"
            since = "the session opened" if opened_ns > tracked.first_seen_ns else "observed"
            return "stale", f"no data since {since} {waited:.0f} s ago (threshold {limit:g} s)"
        silent = (now_ns - max(counter.last_ns, opened_ns)) / 1e9
        if silent > limit:
            since = " since the session opened" if opened_ns > counter.last_ns else ""
            return "stale", f"no data for {silent:.0f} s{since} (threshold {limit:g} s)"
        return "fresh", None


def _rate(samples: deque[tuple[int, int]]) -> float:
    if len(samples) < 2:
        return 0.0
    (t0, c0), (t1, c1) = samples[0], samples[-1]
    return (c1 - c0) / ((t1 - t0) / 1e9) if t1 > t0 else 0.0
