"""Futures into the catalog from the simulated gateway through NautilusTrader's IB adapter, on both stacks: a
futures month and IB's continuous future (CONTFUT) fetched as the adapter builds them, a continuous future's
history downloaded across a roll, and both kinds defined offline."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from nautilus_trader.model.data import Bar
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.catalog.ib_history import download_from_ib
from nautilus_node.catalog.instruments import define_instruments, fetch_instruments
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.bars import ROLL_PREMIUM

pytestmark = pytest.mark.e2e


@pytest.fixture(params=[200, 223], ids=["text-200", "protobuf-223"])
def gateway(request: pytest.FixtureRequest):
    with SimulatedGateway(port=0, server_version=request.param) as simulated:
        yield simulated


def test_a_futures_month_and_the_continuous_future_are_fetched_as_the_adapter_builds_them(
    gateway: SimulatedGateway, tmp_path: Path
) -> None:
    now = time.time()
    nq = next(s for s in gateway.universe if s.symbol == "NQ")
    front = gateway.universe.front_month("ES", "CME", now)
    lines = fetch_instruments(tmp_path, [f"{nq.local_symbol}.CME", "ES.CME"], port=gateway.port)
    assert lines == [
        f"fetched {nq.local_symbol}.CME as FuturesContract from IB (tick 0.25)",
        "fetched ES.CME as FuturesContract from IB (tick 0.25)",
    ]
    fetched = {str(i.id): i for i in ParquetDataCatalog(str(tmp_path)).instruments()}
    month, continuous = fetched[f"{nq.local_symbol}.CME"], fetched["ES.CME"]
    assert (month.raw_symbol.value, str(month.multiplier), month.underlying) == (nq.local_symbol, "20", "NQ")
    assert month.expiration_utc.strftime("%Y%m%d") == nq.last_trade_date
    assert (continuous.raw_symbol.value, str(continuous.multiplier)) == ("ES", "50")
    contract = continuous.info["contract"]
    assert (contract["secType"], contract["localSymbol"], contract["conId"]) == (
        "CONTFUT",
        front.local_symbol,
        front.con_id,
    )
    assert continuous.expiration_utc.strftime("%Y%m%d") == front.last_trade_date


def test_a_continuous_futures_download_is_one_request_stitched_at_the_roll(
    gateway: SimulatedGateway, tmp_path: Path
) -> None:
    end = pd.Timestamp.now(tz="UTC").floor("h")
    start = end - pd.Timedelta(days=40)  # CL rolls every month: at least one roll inside
    report = download_from_ib(tmp_path, "CL.NYMEX", "1 hour", "TRADES", str(start), str(end), port=gateway.port)
    bars = ParquetDataCatalog(str(tmp_path)).query(Bar, identifiers=["CL.NYMEX-1-HOUR-LAST-EXTERNAL"])
    assert report.requests == 1 and report.bars_added == len(bars) == 40 * 24
    closes = [b.ts_init for b in bars]
    assert closes == list(pd.date_range(start + pd.Timedelta(hours=1), end, freq="1h").asi8)

    months = gateway.universe.continuous_months("CL", "NYMEX", start.timestamp(), end.timestamp())
    assert len(months) >= 2
    for rolled_at, _ in months[1:]:  # bar opening at the roll is the new month's, a calendar spread above
        i = next(i for i, b in enumerate(bars) if b.ts_event >= rolled_at * 1e9)
        step = bars[i].open.as_double() / bars[i - 1].close.as_double() - 1
        assert step == pytest.approx(ROLL_PREMIUM, abs=0.0004)


def test_futures_and_the_continuous_future_are_defined_offline(tmp_path: Path) -> None:
    stated = {"multiplier": "1000", "tick": "0.01", "expiry": "2027-01-20"}
    lines = define_instruments(tmp_path, ["CLG7.NYMEX", "CL.NYMEX"], **stated)
    assert lines == [
        "defined CLG7.NYMEX as FuturesContract (assumed IB conventions: currency USD, underlying CL)",
        "defined CL.NYMEX as FuturesContract (assumed IB conventions: currency USD, underlying CL)",
    ]
    defined = {str(i.id): i for i in ParquetDataCatalog(str(tmp_path)).instruments()}
    month, continuous = defined["CLG7.NYMEX"], defined["CL.NYMEX"]
    assert (str(month.multiplier), month.raw_symbol.value, continuous.raw_symbol.value) == ("1000", "CLG7", "CL")
