"""Our `backtest` is NautilusTrader's `BacktestNode`, nothing more: same fills and balance as a raw run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from nautilus_trader.backtest.config import (
    BacktestDataConfig,
    BacktestEngineConfig,
    BacktestRunConfig,
    BacktestVenueConfig,
    ImportableFeeModelConfig,
)
from nautilus_trader.backtest.node import BacktestNode
from nautilus_trader.common.config import LoggingConfig
from nautilus_trader.model.data import Bar
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.trading.config import ImportableStrategyConfig

from nautilus_node.backtest.command import backtest_command

from .conftest import CATALOG

FILL_COLUMNS = [
    "client_order_id",
    "venue_order_id",
    "trade_id",
    "order_side",
    "last_qty",
    "last_px",
    "commission",
    "ts_event",
]


def raw_ema_cross_run() -> tuple[pd.DataFrame, float]:
    """The shipped EMA cross backtest written directly against NautilusTrader's API."""
    config = BacktestRunConfig(
        engine=BacktestEngineConfig(
            strategies=[
                ImportableStrategyConfig(
                    strategy_path="strategies.ema_cross:EMACrossStrategy",
                    config_path="strategies.ema_cross:EMACrossConfig",
                    config={
                        "instrument_id": "EUR/USD.IDEALPRO",
                        "bar_type": "EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL",
                        "trade_size": "100000",
                        "fast_ema_period": 30,
                        "slow_ema_period": 120,
                        "min_gap_bps": 0.5,
                    },
                ),
            ],
            logging=LoggingConfig(log_level="ERROR"),
        ),
        venues=[
            BacktestVenueConfig(
                name="IDEALPRO",
                oms_type="NETTING",
                account_type="MARGIN",
                base_currency="USD",
                starting_balances=["100000 USD"],
                default_leverage=30,
                fee_model=ImportableFeeModelConfig(
                    fee_model_path="nautilus_node.backtest.fees:IBFeeModel",
                    config_path="nautilus_node.backtest.fees:IBFeeConfig",
                    config={},
                ),
            ),
        ],
        data=[
            BacktestDataConfig(
                catalog_path=str(CATALOG),
                data_cls=Bar,
                bar_types=[
                    "EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL",
                    "EUR/USD.IDEALPRO-1-MINUTE-ASK-EXTERNAL",
                ],
            ),
        ],
        start="2014-05-01T00:00:00+00:00",
        end="2014-05-16T00:00:00+00:00",
        raise_exception=True,
        dispose_on_completion=False,
    )
    node = BacktestNode(configs=[config])
    node.run()
    engine = node.get_engine(config.id)
    fills = engine.trader.generate_fills_report()
    balance = float(engine.portfolio.account(Venue("IDEALPRO")).balance_total().as_decimal())
    node.dispose()
    return _normalise(fills.reset_index()), balance


def _normalise(fills: pd.DataFrame) -> pd.DataFrame:
    return fills[FILL_COLUMNS].astype(str).reset_index(drop=True)


def ours(config: Path) -> tuple[pd.DataFrame, float]:
    outcome = backtest_command(config, strategy="ema_cross", progress=True)
    fills = pd.read_csv(outcome.directory / "fills.csv", dtype=str, keep_default_na=False)
    return _normalise(fills), outcome.statistics["final_balance"]


def test_backtest_gives_the_same_fills_and_balance_as_raw_backtest_node(backtest_config) -> None:
    config = backtest_config()
    raw_fills, raw_balance = raw_ema_cross_run()
    our_fills, our_balance = ours(config)

    assert len(raw_fills) > 20  # the strategy really trades over the real data
    pd.testing.assert_frame_equal(our_fills, raw_fills)
    assert our_balance == raw_balance != 100_000.0


def test_backtest_gives_the_same_result_on_a_second_run(backtest_config) -> None:
    config = backtest_config()
    first_fills, first_balance = ours(config)
    second_fills, second_balance = ours(config)

    pd.testing.assert_frame_equal(first_fills, second_fills)
    assert first_balance == second_balance
