"""The state the sans-IO handlers read and update: one API session's, and the gateway's shared by all."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nautilus_node.simgateway.bars import BarBuilder
from nautilus_node.simgateway.broker import Broker, Event
from nautilus_node.simgateway.combos import ComboFeed
from nautilus_node.simgateway.contracts import ContractSpec, Universe
from nautilus_node.simgateway.faults import FaultController
from nautilus_node.simgateway.market import Market
from nautilus_node.simgateway.pacing import HistoricalPacing
from nautilus_node.simgateway.versions import LATEST, Wire


@dataclass(slots=True)
class LiveBars:
    """A keepUpToDate historical request or a 5-second real-time bar subscription."""

    builder: BarBuilder
    format_date: int = 2
    last_sent: float = 0.0


@dataclass(slots=True)
class Subscriptions:
    market_data: dict[int, ContractSpec] = field(default_factory=dict)
    combo_feeds: dict[int, ComboFeed] = field(default_factory=dict)  # the combos among market_data, by req id
    tick_by_tick: dict[int, tuple[ContractSpec, str]] = field(default_factory=dict)
    realtime_bars: dict[int, LiveBars] = field(default_factory=dict)
    historical: dict[int, LiveBars] = field(default_factory=dict)
    account_summary: dict[int, tuple[str, ...]] = field(default_factory=dict)
    pnl: dict[int, int] = field(default_factory=dict)
    positions: bool = False
    account_updates: bool = False

    def contracts(self) -> set[int]:
        ids = {s.con_id for s in self.market_data.values()}
        ids |= {con_id for feed in self.combo_feeds.values() for con_id in feed.combo.con_ids}
        ids |= {s.con_id for s, _ in self.tick_by_tick.values()}
        ids |= {b.builder.spec.con_id for b in (*self.realtime_bars.values(), *self.historical.values())}
        ids |= {s.under_con_id for s in self.market_data.values() if s.under_con_id}  # options price from them
        return ids

    def live(self, kind: str) -> dict[int, object]:
        """The live subscriptions of one kind (quotes, tick-by-tick, realtime-bars, keepuptodate-bars)."""
        return {
            "quotes": self.market_data,
            "tick-by-tick": self.tick_by_tick,
            "realtime-bars": self.realtime_bars,
            "keepuptodate-bars": self.historical,
        }[kind]

    def is_live(self, req_id: int) -> bool:
        """Whether ``req_id`` names a live market data subscription of any kind (IB: reuse is error 322)."""
        return any(
            req_id in self.live(kind) for kind in ("quotes", "tick-by-tick", "realtime-bars", "keepuptodate-bars")
        )

    def drop_market_data(self) -> None:
        self.market_data.clear()
        self.combo_feeds.clear()
        self.tick_by_tick.clear()
        self.realtime_bars.clear()
        self.historical.clear()


@dataclass(slots=True)
class SessionState:
    """What IB keeps per API session: the negotiated wire, the client id and its subscriptions."""

    wire: Wire = LATEST
    client_id: int | None = None
    subs: Subscriptions = field(default_factory=Subscriptions)
    market_data_type: int = 1  # reqMarketDataType: 1 real-time, 2 frozen, 3 delayed, 4 delayed frozen
    delayed: set[int] = field(default_factory=set)  # quote subscriptions served with delayed tick types


@dataclass(slots=True)
class GatewayState:
    """What every session shares: contracts, prices, the account, pacing, fault switches and the clock."""

    universe: Universe
    market: Market
    broker: Broker
    faults: FaultController
    pacing: HistoricalPacing = field(default_factory=HistoricalPacing)
    seed: int = 7
    clock: Callable[[], float] = time.time
    realtime_entitled: bool = True  # False: the account has no real-time market data subscription
    active: dict[int, ContractSpec] = field(default_factory=dict)  # contracts the quote clock moves
    client_ids: dict[int, SessionState] = field(default_factory=dict)  # client id -> the session holding it
    held: dict[int, list[Event]] = field(default_factory=dict)  # order reports a client id has not had yet
    announced: set[tuple[int, int]] = field(default_factory=set)  # (client id, order id) reported at least once

    def hold(self, client_id: int, event: Event) -> None:
        """Keep an order report for its connected client until IB is reachable again (after 1100, or the farms)."""
        self.held.setdefault(client_id, []).append(event)

    def activate(self, spec: ContractSpec) -> None:
        """Start ticking ``spec`` (it has a subscriber or a working order), an option's underlying first."""
        under = self.universe.by_con_id(spec.under_con_id) if spec.under_con_id else None
        if under is not None:
            self.active.setdefault(under.con_id, under)
        self.active[spec.con_id] = spec

    def feed_alive(self, spec: ContractSpec) -> bool:
        return self.faults.data_flowing and not self.faults.is_stalled(spec.local_symbol, spec.symbol, str(spec.con_id))
