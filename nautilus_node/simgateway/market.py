"""Prices for the simulated gateway: a seeded random walk, or a replay of catalog quotes. No I/O here
except reading the catalog once when a replay is set up."""

from __future__ import annotations

import bisect
import math
import random
import threading
from dataclasses import dataclass
from pathlib import Path

from nautilus_node.simgateway import options
from nautilus_node.simgateway.contracts import ContractSpec, Universe

REPLAY_INSTRUMENT_ID = "EUR/USD.IDEALPRO"


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book for one contract at ``ts`` (Unix seconds). ``bid < ask`` always holds."""

    bid: float
    ask: float
    bid_size: int
    ask_size: int
    ts: float

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class Trade:
    """One print on the tape (only for contracts that trade on an exchange)."""

    price: float
    size: int
    ts: float


class RandomWalk:
    """A seeded geometric random walk per contract with a one-or-two-tick spread."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rngs: dict[int, random.Random] = {}
        self._mids: dict[int, float] = {}

    def rng(self, spec: ContractSpec) -> random.Random:
        """The contract's own seeded generator."""
        if spec.con_id not in self._rngs:
            self._rngs[spec.con_id] = random.Random(self._seed * 1_000_003 + spec.con_id)
            self._mids[spec.con_id] = spec.start_price
        return self._rngs[spec.con_id]

    def jump(self, spec: ContractSpec, mid: float, now: float) -> Quote:
        """Move the walk to ``mid`` at once; it walks on from there."""
        self.rng(spec)
        self._mids[spec.con_id] = mid
        bid = spec.round_price(mid - spec.min_tick * spec.spread_ticks / 2)
        ask = max(spec.round_price(bid + spec.min_tick * spec.spread_ticks), spec.round_price(bid + spec.min_tick))
        lo = spec.size_range[0]
        return Quote(bid, ask, lo, lo, now)

    def step(self, spec: ContractSpec, now: float) -> tuple[Quote, Trade | None]:
        rng = self.rng(spec)
        mid = self._mids[spec.con_id] * math.exp(rng.gauss(0.0, spec.step_vol))
        mid = max(mid, spec.min_tick * 10)
        self._mids[spec.con_id] = mid
        spread = spec.min_tick * spec.spread_ticks * rng.choice((1, 1, 1, 2))
        bid = spec.round_price(mid - spread / 2)
        ask = max(spec.round_price(bid + spread), spec.round_price(bid + spec.min_tick))
        lo, hi = spec.size_range
        quote = Quote(bid, ask, rng.randint(lo, hi), rng.randint(lo, hi), now)
        trade = None
        if spec.has_trades and rng.random() < 0.5:
            trade = Trade(rng.choice((bid, ask)), max(1, rng.randint(lo, hi) // 3), now)
        return quote, trade


class CatalogReplay:
    """Replays real ``QuoteTick``s for EUR/USD from a ``ParquetDataCatalog`` at ``speed`` x real time.

    Wall time ``now`` maps onto data time from the first tick; past the last tick it loops.
    """

    def __init__(self, catalog_path: str | Path, speed: float = 1.0, instrument_id: str = REPLAY_INSTRUMENT_ID):
        from nautilus_trader.model.data import QuoteTick
        from nautilus_trader.persistence.catalog import ParquetDataCatalog

        if speed <= 0:
            raise ValueError(f"replay speed must be positive, got {speed}")
        path = Path(catalog_path)
        if not path.is_dir():
            raise ValueError(f"replay catalog {path} is not a directory")
        ticks = ParquetDataCatalog(str(path)).query(QuoteTick, identifiers=[instrument_id])
        if not ticks:
            raise ValueError(f"replay catalog {path} has no QuoteTick data for {instrument_id}")
        self.instrument_id = instrument_id
        self._ts = [t.ts_event / 1e9 for t in ticks]
        self._rows = [
            (t.bid_price.as_double(), t.ask_price.as_double(), t.bid_size.as_double(), t.ask_size.as_double())
            for t in ticks
        ]
        self._speed = speed
        self._wall_start: float | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def step(self, spec: ContractSpec, now: float) -> tuple[Quote, Trade | None]:
        if self._wall_start is None:
            self._wall_start = now
        span = max(self._ts[-1] - self._ts[0], 1e-9)
        data_time = self._ts[0] + ((now - self._wall_start) * self._speed) % (span + 1e-9)
        index = max(bisect.bisect_right(self._ts, data_time) - 1, 0)
        bid, ask, bid_size, ask_size = self._rows[index]
        bid = spec.round_price(bid)
        ask = spec.round_price(ask)
        if ask <= bid:
            ask = spec.round_price(bid + spec.min_tick)
        size_floor = spec.size_range[0]
        return Quote(bid, ask, max(int(bid_size), size_floor), max(int(ask_size), size_floor), now), None


class Market:
    """Current quotes for the universe; thread-safe. ``advance`` moves one contract one step."""

    def __init__(self, universe: Universe, seed: int = 7, replay: CatalogReplay | None = None) -> None:
        self.universe = universe
        self._walk = RandomWalk(seed)
        self._replay = replay
        self._replay_con_id = self._replay_con_id_for(universe, replay)
        self._quotes: dict[int, Quote] = {}
        self._replay_offset = 0.0  # set_price on the replayed contract shifts the replayed prices
        self._lock = threading.Lock()

    @staticmethod
    def _replay_con_id_for(universe: Universe, replay: CatalogReplay | None) -> int | None:
        if replay is None:
            return None
        symbol = replay.instrument_id.split(".")[0].replace("/", ".")
        spec = universe.by_local_symbol(symbol)
        return spec.con_id if spec else None

    def advance(self, spec: ContractSpec, now: float) -> tuple[Quote, Trade | None]:
        """Move the contract's price one step and return the new quote and any trade (an option's is priced
        from its underlying's current mid)."""
        if spec.sec_type == "OPT":
            return self._advance_option(spec, now)
        with self._lock:
            if spec.con_id == self._replay_con_id:
                quote, trade = self._replay.step(spec, now)
                if self._replay_offset:
                    bid, ask = (spec.round_price(p + self._replay_offset) for p in (quote.bid, quote.ask))
                    quote = Quote(
                        bid, max(ask, spec.round_price(bid + spec.min_tick)), quote.bid_size, quote.ask_size, now
                    )
            else:
                quote, trade = self._walk.step(spec, now)
            self._quotes[spec.con_id] = quote
            return quote, trade

    def underlying(self, spec: ContractSpec, now: float) -> tuple[ContractSpec, float]:
        """An option's underlying contract and its current mid."""
        under = self.universe.by_con_id(spec.under_con_id)
        if under is None:
            raise ValueError(f"option {spec.local_symbol} has no underlying {spec.under_con_id} in the universe")
        return under, self.quote(under, now).mid

    def _advance_option(self, spec: ContractSpec, now: float) -> tuple[Quote, Trade | None]:
        under, spot = self.underlying(spec, now)
        fair = options.model(spec, under, spot, now).price
        with self._lock:
            rng = self._walk.rng(spec)
            bid, ask = options.quote_prices(fair, wide=rng.random() < 0.25)
            lo, hi = spec.size_range
            quote = Quote(bid, ask, rng.randint(lo, hi), rng.randint(lo, hi), now)
            trade = Trade(rng.choice((bid, ask)), rng.randint(1, 10), now) if rng.random() < 0.1 else None
            self._quotes[spec.con_id] = quote
            return quote, trade

    def option_ticks(self, spec: ContractSpec, quote: Quote, trade: Trade | None, now: float) -> options.OptionTicks:
        """The option computations IB sends with a new quote (and trade) of option ``spec``."""
        under, spot = self.underlying(spec, now)
        return options.option_ticks(spec, under, spot, quote.bid, quote.ask, trade.price if trade else None, now)

    def set_price(self, spec: ContractSpec, price: float, now: float) -> Quote:
        """The market jumps to ``price`` (the new mid) and walks on from it; returns the new quote."""
        with self._lock:
            if spec.con_id == self._replay_con_id:
                self._replay_offset = 0.0
                replayed = self._replay.step(spec, now)[0]
                self._replay_offset = price - replayed.mid
            quote = self._walk.jump(spec, price, now)
            self._quotes[spec.con_id] = quote
            return quote

    def priced(self) -> set[int]:
        """The con ids with a price so far: a contract gets one only when a client asks about it."""
        with self._lock:
            return set(self._quotes)

    def quote(self, spec: ContractSpec, now: float) -> Quote:
        """The current quote, creating the first one on demand."""
        with self._lock:
            existing = self._quotes.get(spec.con_id)
        return existing if existing is not None else self.advance(spec, now)[0]
