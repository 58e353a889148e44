"""The parity comparison on hand-checked orders: pairing, tick differences and their sign, the PnL path, and the
explanation of the first divergence."""

from __future__ import annotations

import pytest
from nautilus_trader.model.enums import OrderSide

from nautilus_node.record.parity import OrderTrace, compare, pnl_path, summary

TICK = 0.00005
SECOND = 1_000_000_000
STRATEGY = "EMACrossStrategy-000"


def order(n: int, side: OrderSide, qty: float, at: int, fills: list[tuple[int, float, float]], kind="MARKET"):
    return OrderTrace(STRATEGY, f"O-{n}", "EUR/USD.IDEALPRO", side, qty, kind, at, fills)


def parity(live: list[OrderTrace], replay: list[OrderTrace], quotes: list[int] | None = None, end: int = 100 * SECOND):
    quote_times = quotes if quotes is not None else list(range(0, 100 * SECOND, SECOND // 10))
    return compare({STRATEGY: live}, {STRATEGY: replay}, {"EUR/USD.IDEALPRO": TICK}, quote_times, end, 8_000_000, 1)


def test_the_same_orders_filled_alike_do_not_diverge() -> None:
    live = [order(1, OrderSide.BUY, 20000, SECOND, [(SECOND + 8, 1.0802, 20000)])]
    replay = [order(1, OrderSide.BUY, 20000, SECOND, [(SECOND, 1.0802, 20000)])]
    result = parity(live, replay)
    assert (result.same_orders, result.tick_diffs, result.divergence) == (1, [0.0], None)
    assert "no divergence" in summary(result)


@pytest.mark.parametrize(
    ("side", "live_px", "replay_px", "ticks"),
    [
        (OrderSide.BUY, 1.08025, 1.08020, 1.0),  # paid one tick more live: worse
        (OrderSide.SELL, 1.08020, 1.08030, 2.0),  # sold two ticks lower live: worse
        (OrderSide.SELL, 1.08030, 1.08025, -1.0),  # sold one tick higher live: better
    ],
)
def test_fill_differences_are_ticks_with_live_worse_positive(side, live_px, replay_px, ticks) -> None:
    live = [order(1, side, 20000, SECOND, [(SECOND, live_px, 20000)])]
    replay = [order(1, side, 20000, SECOND, [(SECOND, replay_px, 20000)])]
    assert parity(live, replay).tick_diffs == [ticks]


def test_a_fill_beyond_the_tolerance_is_the_first_divergence_explained_as_latency() -> None:
    live = [
        order(1, OrderSide.BUY, 20000, SECOND, [(SECOND, 1.0802, 20000)]),
        order(2, OrderSide.SELL, 20000, 2 * SECOND, [(2 * SECOND + 9_000_000, 1.0800, 20000)]),
    ]
    replay = [
        order(1, OrderSide.BUY, 20000, SECOND, [(SECOND, 1.0802, 20000)]),
        order(2, OrderSide.SELL, 20000, 2 * SECOND, [(2 * SECOND, 1.0801, 20000)]),
    ]
    result = parity(live, replay)
    pair, why = result.divergence
    assert (pair.index, pair.price_diff_ticks) == (2, 2.0)
    assert why.startswith("fill model: live filled at 1.08 9.0 ms after deciding, the replay at 1.0801")


def test_an_order_placed_live_while_stopping_is_explained_by_the_end_of_the_data() -> None:
    live = [order(1, OrderSide.SELL, 20000, 101 * SECOND, [(101 * SECOND, 1.08, 20000)])]
    _, why = parity(live, []).divergence
    assert why.startswith("placed live after the last recorded quote (while stopping)")


def test_a_different_decision_after_a_quote_gap_is_explained_by_the_gap() -> None:
    quotes = [n * SECOND // 10 for n in range(100)] + [n * SECOND // 10 for n in range(400, 500)]  # 30 s silent
    live = [order(1, OrderSide.BUY, 20000, 45 * SECOND, [(45 * SECOND, 1.08, 20000)])]
    replay = [order(1, OrderSide.SELL, 20000, 45 * SECOND, [(45 * SECOND, 1.08, 20000)])]
    _, why = parity(live, replay, quotes=quotes).divergence
    assert why.startswith("a different decision (live BUY 20000 MARKET, replay SELL 20000 MARKET): a 30.1 s gap")


def test_partial_fills_live_are_named() -> None:
    live = [order(1, OrderSide.BUY, 20000, SECOND, [(SECOND, 1.0802, 10000), (SECOND + 5, 1.0803, 10000)])]
    replay = [order(1, OrderSide.BUY, 20000, SECOND, [(SECOND, 1.0802, 20000)])]
    result = parity(live, replay)
    assert result.tick_diffs == [1.0]  # average 1.08025 against 1.0802
    assert result.divergence is None  # within one tick
    strict = compare({STRATEGY: live}, {STRATEGY: replay}, {"EUR/USD.IDEALPRO": TICK}, [], 100 * SECOND, 0, 0.5)
    assert strict.divergence[1] == "partial fills live (2 fills) against one fill in the replay"


def test_an_order_filled_on_one_side_only_diverges() -> None:
    live = [order(1, OrderSide.BUY, 20000, SECOND, [(SECOND, 1.0802, 20000)])]
    replay = [order(1, OrderSide.BUY, 20000, SECOND, [])]
    pair, why = parity(live, replay).divergence
    assert pair.filled_once and why.startswith("filled only live")


def test_pnl_path_nets_a_reversal_and_a_close() -> None:
    trades = [
        order(1, OrderSide.BUY, 20000, 1, [(1, 1.0800, 20000)]),
        order(2, OrderSide.SELL, 40000, 2, [(2, 1.0810, 40000)]),  # closes +20.00, opens short 20000 @ 1.0810
        order(3, OrderSide.BUY, 20000, 3, [(3, 1.0805, 20000)]),  # closes the short +10.00
    ]
    assert [(ts, round(pnl, 6)) for ts, pnl in pnl_path(trades)] == [(1, 0.0), (2, 20.0), (3, 30.0)]
