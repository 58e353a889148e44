"""The catalog shipped in catalog/: every LEAN row, the IB instrument, its provenance, and it loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nautilus_trader.adapters.interactive_brokers.parsing.instruments import parse_instrument
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.catalog.instrument import eurusd_contract_details
from tests.catalog.conftest import REPO, scaled, source_rows
from tests.catalog.helpers import raw_column, read_group

CATALOG = REPO / "catalog"


def test_shipped_quote_ticks_are_every_lean_tick_row_with_exact_prices(lean_dir: Path) -> None:
    files = sorted((lean_dir / "tick/eurusd").glob("2014*_quote.zip"))
    rows = [
        (pd.Timestamp(f.name[:8], tz="UTC").value + int(r[0]) * 1_000_000, r[1], r[2])
        for f in files
        for r in source_rows(f)
    ]
    table = read_group(CATALOG, "quote_tick/EURUSD.IDEALPRO")

    assert len(files) == 13
    assert table.num_rows == len(rows) == 532_903
    assert np.array_equal(table.column("ts_init").to_numpy(), np.array([r[0] for r in rows], dtype=np.uint64))
    assert np.array_equal(raw_column(table, "bid_price"), np.array([scaled(r[1]) for r in rows]))
    assert np.array_equal(raw_column(table, "ask_price"), np.array([scaled(r[2]) for r in rows]))


@pytest.mark.parametrize(
    ("step", "sources"),
    [
        ("1-MINUTE", "minute/eurusd/201405*_quote.zip"),
        ("1-HOUR", "hour/eurusd.zip"),
        ("1-DAY", "daily/eurusd.zip"),
    ],
)
def test_shipped_bars_have_one_bid_and_one_ask_bar_per_lean_row(lean_dir: Path, step: str, sources: str) -> None:
    rows = [r for f in sorted(lean_dir.glob(sources)) for r in source_rows(f)]
    for side, close_column in (("BID", 4), ("ASK", 9)):
        table = read_group(CATALOG, f"bar/EURUSD.IDEALPRO-{step}-{side}-EXTERNAL")
        assert table.num_rows == len(rows)
        assert np.array_equal(raw_column(table, "close"), np.array([scaled(r[close_column]) for r in rows]))


def test_shipped_instrument_is_the_one_the_ib_adapter_parses() -> None:
    [shipped] = ParquetDataCatalog(str(CATALOG)).instruments()
    parsed = parse_instrument(eurusd_contract_details(), "IDEALPRO")

    assert str(shipped.id) == "EUR/USD.IDEALPRO"
    for field in (
        "raw_symbol",
        "base_currency",
        "quote_currency",
        "price_precision",
        "size_precision",
        "price_increment",
        "size_increment",
        "multiplier",
        "lot_size",
    ):
        assert getattr(shipped, field) == getattr(parsed, field), field
    assert shipped.info["contract"]["conId"] == 12087792
    assert shipped.info["contract"]["secType"] == "CASH"
    assert str(shipped.price_increment) == "0.00005"


def test_shipped_catalog_states_source_licence_time_zone_and_command() -> None:
    readme = (CATALOG / "README.md").read_text()
    assert "Data from the QuantConnect LEAN project, Apache License 2.0" in readme
    assert "UTC" in readme
    assert "python -m nautilus_node catalog import lean --catalog catalog" in readme


def test_shipped_catalog_is_small_enough_for_git() -> None:
    size = sum(p.stat().st_size for p in CATALOG.rglob("*") if p.is_file())
    assert size < 12 * 2**20, f"catalog/ is {size / 2**20:.1f} MiB"


def test_shipped_catalog_loads_in_a_backtest_node() -> None:
    from nautilus_trader.backtest.node import BacktestNode
    from nautilus_trader.config import (
        BacktestDataConfig,
        BacktestEngineConfig,
        BacktestRunConfig,
        BacktestVenueConfig,
        LoggingConfig,
    )
    from nautilus_trader.model.data import Bar, QuoteTick

    window = {"start_time": "2014-05-04", "end_time": "2014-05-05"}
    config = BacktestRunConfig(
        engine=BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR")),
        venues=[
            BacktestVenueConfig(
                name="IDEALPRO",
                oms_type="NETTING",
                account_type="MARGIN",
                base_currency="USD",
                starting_balances=["100000 USD"],
            )
        ],
        data=[
            BacktestDataConfig(
                catalog_path=str(CATALOG), data_cls=QuoteTick, instrument_id="EUR/USD.IDEALPRO", **window
            ),
            BacktestDataConfig(
                catalog_path=str(CATALOG), data_cls=Bar, bar_types=["EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL"], **window
            ),
        ],
    )
    [result] = BacktestNode([config]).run()

    ticks = ParquetDataCatalog(str(CATALOG)).quote_ticks(start="2014-05-04", end="2014-05-05")
    minute_bars = ParquetDataCatalog(str(CATALOG)).bars(
        ["EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL"], start="2014-05-04", end="2014-05-05"
    )
    assert result.iterations == len(ticks) + len(minute_bars) > 0


@pytest.mark.e2e
def test_shipped_catalog_replays_through_the_simulated_gateway() -> None:
    from nautilus_node.simgateway import SimulatedGateway
    from tests.simgateway.ibapp import IBApp, eurusd

    raw_bids = raw_column(read_group(CATALOG, "quote_tick/EURUSD.IDEALPRO"), "bid_price")[:2000]
    first_bids = {round(int(raw) / 10**16, 5) for raw in raw_bids}
    with SimulatedGateway(port=0, replay_catalog=CATALOG, replay_speed=50, tick_interval=0.1) as gateway:
        app = IBApp().connect(gateway.port, 1)
        app.client.reqMktData(1, eurusd(), "", False, False, [])
        bids = app.wait_for("tickPrice", lambda a: a[0] == 1 and a[1] == 1, count=5)
        app.disconnect()
    served = {round(b[2], 5) for b in bids}
    assert served <= first_bids, "the bids served are the real 2014-05-01 quotes from the start of the catalog"
