"""The state the sans-IO handlers read and update: one API session's, and the gateway's shared by all."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nautilus_node.simgateway.bars import BarBuilder
from nautilus_node.simgateway.broker import Broker
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
    tick_by_tick: dict[int, tuple[ContractSpec, str]] = field(default_factory=dict)
    realtime_bars: dict[int, LiveBars] = field(default_factory=dict)
    historical: dict[int, LiveBars] = field(default_factory=dict)
    account_summary: dict[int, tuple[str, ...]] = field(default_factory=dict)
    pnl: dict[int, int] = field(default_factory=dict)
    positions: bool = False
    account_updates: bool = False

    def contracts(self) -> set[int]:
        ids = {s.con_id for s in self.market_data.values()}
        ids |= {s.con_id for s, _ in self.tick_by_tick.values()}
        ids |= {b.builder.spec.con_id for b in (*self.realtime_bars.values(), *self.historical.values())}
        return ids

    def drop_market_data(self) -> None:
        self.market_data.clear()
        self.tick_by_tick.clear()
        self.realtime_bars.clear()
        self.historical.clear()


@dataclass(slots=True)
class SessionState:
    """What IB keeps per API session: the negotiated wire, the client id and its subscriptions."""

    wire: Wire = LATEST
    client_id: int | None = None
    subs: Subscriptions = field(default_factory=Subscriptions)


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
    active: dict[int, ContractSpec] = field(default_factory=dict)  # contracts the quote clock moves
    client_ids: dict[int, SessionState] = field(default_factory=dict)  # client id -> the session holding it

    def activate(self, spec: ContractSpec) -> None:
        """Start ticking ``spec`` (it has a subscriber or a working order)."""
        self.active[spec.con_id] = spec

    def feed_alive(self, spec: ContractSpec) -> bool:
        return self.faults.data_flowing and not self.faults.is_stalled(spec.local_symbol, spec.symbol, str(spec.con_id))
