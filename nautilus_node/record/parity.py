"""Live against replay, order by order: the same orders? the same fill prices (in ticks)? the same PnL path?

Orders are paired per strategy in the order they were created: the n-th order of a strategy live with its n-th
in the replay. A pair is the *same order* when side, quantity and type agree. Price differences are in ticks of
the instrument, signed so that a positive number means live did worse (paid more on a buy, got less on a sell).
The first divergence is the first pair that is not the same order, lacks a side, or differs in price by more than
the tolerance; it is explained from what the recording shows (see `explain`).
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nautilus_trader.model.enums import OrderSide, order_side_to_str, order_type_to_str
from nautilus_trader.model.events import OrderFilled, OrderInitialized

QUOTE_GAP_FACTOR = 20  # a pause in quotes this many times their median interval reads as a gap
QUOTE_GAP_MIN_NS = 2_000_000_000


@dataclass
class OrderTrace:
    """One order as the node (or the replay) created and filled it."""

    strategy: str
    client_order_id: str
    instrument_id: str
    side: OrderSide
    quantity: float
    order_type: str
    ts_init: int
    fills: list[tuple[int, float, float]] = field(default_factory=list)  # (ts_init, price, quantity)

    @property
    def avg_px(self) -> float | None:
        filled = sum(q for _, _, q in self.fills)
        return sum(p * q for _, p, q in self.fills) / filled if filled else None

    @property
    def label(self) -> str:
        return f"{order_side_to_str(self.side)} {self.quantity:g} {self.order_type}"


@dataclass
class Pair:
    """The n-th order of a strategy, live and replayed (either may be missing)."""

    index: int
    strategy: str
    live: OrderTrace | None
    replay: OrderTrace | None
    tick: float

    @property
    def same_order(self) -> bool:
        if self.live is None or self.replay is None:
            return False
        return (self.live.side, self.live.quantity, self.live.order_type) == (
            self.replay.side,
            self.replay.quantity,
            self.replay.order_type,
        )

    @property
    def price_diff_ticks(self) -> float | None:
        if not self.same_order or self.live.avg_px is None or self.replay.avg_px is None:  # type: ignore[union-attr]
            return None
        sign = 1 if self.live.side == OrderSide.BUY else -1  # type: ignore[union-attr]
        return round(sign * (self.live.avg_px - self.replay.avg_px) / self.tick, 6) + 0.0  # type: ignore[union-attr]

    @property
    def filled_once(self) -> bool:
        """The same order filled on one side only."""
        return self.same_order and (self.live.avg_px is None) != (self.replay.avg_px is None)  # type: ignore[union-attr]

    @property
    def time_diff_ms(self) -> float | None:
        if self.live is None or self.replay is None:
            return None
        return (self.live.ts_init - self.replay.ts_init) / 1e6


@dataclass
class Parity:
    """The whole comparison, for the console summary and `parity.html`."""

    pairs: list[Pair]
    tolerance_ticks: float
    live_pnl: list[tuple[int, float]]
    replay_pnl: list[tuple[int, float]]
    round_trip_ms: float
    divergence: tuple[Pair, str] | None

    @property
    def same_orders(self) -> int:
        return sum(p.same_order for p in self.pairs)

    @property
    def tick_diffs(self) -> list[float]:
        return [d for p in self.pairs if (d := p.price_diff_ticks) is not None]

    @property
    def within_tolerance(self) -> int:
        return sum(abs(d) <= self.tolerance_ticks for d in self.tick_diffs)

    def slippage_histogram(self) -> list[tuple[float, int]]:
        """How many same orders filled live that many ticks worse (negative: better) than the replay."""
        return sorted(Counter(self.tick_diffs).items())


def traces(initialized: Iterable[OrderInitialized], filled: Iterable[OrderFilled], strategies: set[str]) -> dict:
    """Orders per strategy (only `strategies`), oldest first, each with its fills."""
    orders: dict[str, OrderTrace] = {}
    for event in sorted(initialized, key=lambda e: e.ts_init):
        if event.strategy_id.value not in strategies:
            continue
        orders[event.client_order_id.value] = OrderTrace(
            strategy=event.strategy_id.value,
            client_order_id=event.client_order_id.value,
            instrument_id=event.instrument_id.value,
            side=event.side,
            quantity=float(event.quantity),
            order_type=order_type_to_str(event.order_type),
            ts_init=event.ts_init,
        )
    for fill in sorted(filled, key=lambda e: e.ts_init):
        order = orders.get(fill.client_order_id.value)
        if order is not None:
            order.fills.append((fill.ts_init, float(fill.last_px), float(fill.last_qty)))
    by_strategy: dict[str, list[OrderTrace]] = defaultdict(list)
    for order in orders.values():
        by_strategy[order.strategy].append(order)
    return by_strategy


def pnl_path(orders: Iterable[OrderTrace]) -> list[tuple[int, float]]:
    """Cumulative realized PnL (quote currency, before commissions) after each fill, netting per strategy and
    instrument as an IB account does."""
    fills = sorted(
        (
            (ts, o.strategy, o.instrument_id, (1 if o.side == OrderSide.BUY else -1) * q, p)
            for o in orders
            for ts, p, q in o.fills
        ),
    )
    positions: dict[tuple[str, str], tuple[float, float]] = defaultdict(lambda: (0.0, 0.0))  # (quantity, avg price)
    total, path = 0.0, []
    for ts, strategy, instrument, signed, price in fills:
        quantity, avg = positions[(strategy, instrument)]
        if quantity and (quantity > 0) != (signed > 0):
            closing = min(abs(quantity), abs(signed))
            total += closing * (price - avg) * (1 if quantity > 0 else -1)
        new = quantity + signed
        if new == 0:
            avg = 0.0
        elif quantity == 0 or (quantity > 0) != (new > 0):
            avg = price
        elif (quantity > 0) == (signed > 0):
            avg = (avg * abs(quantity) + price * abs(signed)) / abs(new)
        positions[(strategy, instrument)] = (new, avg)
        path.append((ts, total))
    return path


def compare(
    live: dict[str, list[OrderTrace]],
    replay: dict[str, list[OrderTrace]],
    ticks: dict[str, float],
    quote_times: list[int],
    replay_end_ns: int,
    round_trip_ns: int,
    tolerance_ticks: float,
) -> Parity:
    """Pair the orders of every strategy and find the first divergence."""
    pairs = []
    for strategy in sorted(set(live) | set(replay)):
        left, right = live.get(strategy, []), replay.get(strategy, [])
        for index in range(max(len(left), len(right))):
            one = left[index] if index < len(left) else None
            other = right[index] if index < len(right) else None
            instrument = (one or other).instrument_id  # type: ignore[union-attr]
            pairs.append(Pair(index + 1, strategy, one, other, ticks.get(instrument, 1.0)))
    divergent = [p for p in pairs if _diverges(p, tolerance_ticks)]
    first = min(divergent, key=_pair_time) if divergent else None
    return Parity(
        pairs=pairs,
        tolerance_ticks=tolerance_ticks,
        live_pnl=pnl_path(o for orders in live.values() for o in orders),
        replay_pnl=pnl_path(o for orders in replay.values() for o in orders),
        round_trip_ms=round_trip_ns / 1e6,
        divergence=(first, explain(first, quote_times, replay_end_ns)) if first is not None else None,
    )


def _pair_time(pair: Pair) -> int:
    return min(o.ts_init for o in (pair.live, pair.replay) if o is not None)


def _diverges(pair: Pair, tolerance_ticks: float) -> bool:
    if not pair.same_order or pair.filled_once:
        return True
    diff = pair.price_diff_ticks
    return diff is not None and abs(diff) > tolerance_ticks


def explain(pair: Pair, quote_times: list[int], replay_end_ns: int) -> str:
    """The likeliest cause of a divergence, from what the recording shows."""
    live, replay = pair.live, pair.replay
    if replay is None and live is not None:
        if live.ts_init >= replay_end_ns:
            return "placed live after the last recorded quote (while stopping): the replay ends with the data"
        return "the replay never placed it: " + _gap_or_timing(live.ts_init, quote_times)
    if live is None and replay is not None:
        return "the node never placed it live: " + _gap_or_timing(replay.ts_init, quote_times)
    assert live is not None and replay is not None
    if not pair.same_order:
        return f"a different decision (live {live.label}, replay {replay.label}): " + _gap_or_timing(
            min(live.ts_init, replay.ts_init), quote_times
        )
    if pair.filled_once:
        side, when = ("live", live.ts_init) if live.avg_px is not None else ("in the replay", replay.ts_init)
        if when >= replay_end_ns:
            return f"filled only {side}: placed while stopping, and the other side had no quote left to fill it"
        return f"filled only {side}: the touch reached its price on one side only (a quote seen by one side only?)"
    if len(live.fills) > 1 and len(replay.fills) == 1:
        return f"partial fills live ({len(live.fills)} fills) against one fill in the replay"
    return (
        f"fill model: live filled at {live.avg_px:g} {(live.fills[0][0] - live.ts_init) / 1e6:.1f} ms after deciding, "
        f"the replay at {replay.avg_px:g}; the touch moved in between (latency)"
    )


def _gap_or_timing(ts: int, quote_times: list[int]) -> str:
    """A gap in the quotes before `ts` (a reconnect or a stalled feed), else the timing of the strategy's data."""
    before = [t for t in quote_times if t <= ts]
    intervals = [b - a for a, b in itertools.pairwise(before)]
    if len(intervals) >= 2:
        typical = statistics.median(intervals)
        threshold = max(QUOTE_GAP_FACTOR * typical, QUOTE_GAP_MIN_NS)
        gaps = [(b - a, b) for a, b in itertools.pairwise(before) if b - a > threshold]
        if gaps:
            length, end = gaps[-1]
            ago = (ts - end) / 1e9
            return f"a {length / 1e9:.1f} s gap in the recorded quotes ending {ago:.1f} s before (a reconnect?)"
    return (
        "the strategy saw its data at different moments (live bars close on the node's timer, a few milliseconds "
        "after the boundary, and quotes arriving meanwhile fall into the other bar)"
    )


def summary(parity: Parity) -> str:
    """The comparison on one screen."""
    diffs = parity.tick_diffs
    lines = [
        f"parity: {parity.same_orders} of {len(parity.pairs)} orders the same live and replayed; "
        f"{parity.within_tolerance} of {len(diffs)} fills within {parity.tolerance_ticks:g} tick(s)",
        f"live round trip (market order submitted to filled, median): {parity.round_trip_ms:.1f} ms",
    ]
    if diffs:
        lines.append(
            f"fill price live - replay (ticks, + = live worse): mean {statistics.fmean(diffs):+.2f}, "
            f"max |{max(abs(d) for d in diffs):g}|; "
            + ", ".join(f"{t:+g}: {n}" for t, n in parity.slippage_histogram())
        )
    live_pnl = parity.live_pnl[-1][1] if parity.live_pnl else 0.0
    replay_pnl = parity.replay_pnl[-1][1] if parity.replay_pnl else 0.0
    lines.append(f"realized PnL before commissions: live {live_pnl:+,.2f}, replay {replay_pnl:+,.2f}")
    lines.append(f"{'#':>3} {'strategy':<28} {'live':<28} {'replay':<28} {'ticks':>6} {'Δt ms':>8}")
    for pair in parity.pairs[:12]:
        lines.append(
            f"{pair.index:>3} {pair.strategy:<28} {describe_order(pair.live):<28} {describe_order(pair.replay):<28} "
            f"{_num(pair.price_diff_ticks):>6} {_num(pair.time_diff_ms, '.0f'):>8}"
        )
    if len(parity.pairs) > 12:
        lines.append(f"    … {len(parity.pairs) - 12} more in parity.html")
    if parity.divergence is None:
        lines.append("no divergence: every order the same, every fill within the tolerance")
    else:
        pair, reason = parity.divergence
        lines.append(f"first divergence: order {pair.index} of {pair.strategy}: {reason}")
    return "\n".join(lines)


def describe_order(order: OrderTrace | None) -> str:
    if order is None:
        return "—"
    return f"{order.label} @ {order.avg_px:g}" if order.avg_px is not None else f"{order.label} (no fill)"


def _num(value: float | None, spec: str = "+g") -> str:
    return "" if value is None else format(value, spec)


def replay_traces(orders: Iterable[Any], strategies: set[str]) -> dict[str, list[OrderTrace]]:
    """`traces` for a backtest's orders (NautilusTrader `Order` objects from its cache)."""
    initialized, filled = [], []
    for order in orders:
        initialized.append(order.init_event)
        filled += [e for e in order.events if isinstance(e, OrderFilled)]
    return traces(initialized, filled, strategies)


def as_dict(parity: Parity) -> dict[str, Any]:
    """The comparison as plain data (`parity.json`)."""
    return {
        "orders": len(parity.pairs),
        "same_orders": parity.same_orders,
        "tolerance_ticks": parity.tolerance_ticks,
        "fills_compared": len(parity.tick_diffs),
        "fills_within_tolerance": parity.within_tolerance,
        "round_trip_ms": parity.round_trip_ms,
        "slippage_ticks": {f"{t:g}": n for t, n in parity.slippage_histogram()},
        "live_pnl": parity.live_pnl[-1][1] if parity.live_pnl else 0.0,
        "replay_pnl": parity.replay_pnl[-1][1] if parity.replay_pnl else 0.0,
        "first_divergence": None
        if parity.divergence is None
        else {
            "order": parity.divergence[0].index,
            "strategy": parity.divergence[0].strategy,
            "why": parity.divergence[1],
        },
        "pairs": [
            {
                "index": p.index,
                "strategy": p.strategy,
                "live": describe_order(p.live),
                "replay": describe_order(p.replay),
                "same_order": p.same_order,
                "price_diff_ticks": p.price_diff_ticks,
                "time_diff_ms": p.time_diff_ms,
            }
            for p in parity.pairs
        ],
    }
