"""A backtest streamed from the catalog in chunks gives exactly the fills and balance of the in-memory run."""

from __future__ import annotations

import pandas as pd

from nautilus_node.backtest.command import backtest_command

KEPT = ["client_order_id", "venue_order_id", "trade_id", "order_side", "last_qty", "last_px", "commission", "ts_event"]


def fills_and_balance(config, chunk_size: int | None) -> tuple[pd.DataFrame, float]:
    outcome = backtest_command(
        config, strategy="quote_reversion", start="2014-05-05", end="2014-05-07", progress=False, chunk_size=chunk_size
    )
    fills = pd.read_csv(outcome.directory / "fills.csv", dtype=str, keep_default_na=False)
    return fills[KEPT], outcome.statistics["final_balance"]


def test_quotes_streamed_in_small_chunks_trade_exactly_as_loaded_in_memory(backtest_config) -> None:
    config = backtest_config()
    memory_fills, memory_balance = fills_and_balance(config, None)
    streamed_fills, streamed_balance = fills_and_balance(config, 5_000)  # ~15 chunks over these two days

    assert len(memory_fills) > 10
    pd.testing.assert_frame_equal(streamed_fills, memory_fills)
    assert streamed_balance == memory_balance != 100_000.0
