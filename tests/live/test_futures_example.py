"""The futures example (`configs/futures.toml`, `strategies/futures_momentum.py`) end to end: it trades on
`run --sim`, and it backtests over a catalog that `catalog download` filled from the simulated gateway.

A futures month expires, so the shipped config's month is replaced by the CL month trading today."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from nautilus_node.backtest.command import backtest_command
from nautilus_node.catalog.ib_history import download_from_ib
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.contracts import build_universe
from nautilus_node.status.snapshot import decode
from tests.live.conftest import PROJECT_ROOT, run_cli

pytestmark = pytest.mark.e2e

SHIPPED = PROJECT_ROOT / "configs" / "futures.toml"
SHIPPED_MONTH = "CLG7"
STRATEGY = "FuturesMomentumStrategy-000"


def _front_cl() -> str:
    return next(s.local_symbol for s in build_universe(dt.datetime.now(dt.UTC).date()) if s.symbol == "CL")


def _config(folder: Path, month: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert SHIPPED_MONTH in text
    text = text.replace(SHIPPED_MONTH, month)
    text = text.replace('catalog = "catalog"', f'catalog = "{folder / "catalog"}"')
    text = text.replace('results = "results"', f'results = "{folder / "results"}"')
    path = folder / "futures.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow  # a 45-second run of the node
def test_the_futures_example_trades_on_the_simulated_gateway(tmp_path: Path) -> None:
    month = _front_cl()
    result = run_cli("run", str(_config(tmp_path, month)), "--sim", "--for", "45s", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert f"strategies running: {STRATEGY}" in result.stdout
    snapshot = decode((tmp_path / "status" / "status.json").read_bytes())
    fills = [f for f in snapshot.fills if f.instrument_id == f"{month}.NYMEX"]
    assert fills, "the momentum strategy got at least one fill"
    assert all(float(f.quantity) in (1, 2) for f in fills)  # one contract, or a reversal of one


def test_the_futures_example_backtests_over_bars_downloaded_from_the_simulated_gateway(tmp_path: Path) -> None:
    month = _front_cl()
    end = pd.Timestamp.now(tz="UTC").floor("h") - pd.Timedelta(hours=1)
    start = end - pd.Timedelta(hours=2)
    config = _config(tmp_path, month)
    with SimulatedGateway(port=0) as gateway:
        report = download_from_ib(
            tmp_path / "catalog", f"{month}.NYMEX", "5 secs", "TRADES", str(start), str(end), port=gateway.port
        )
    assert report.requests == 4 and report.bars_added == 2 * 3600 // 5  # four 30-minute requests

    outcome = backtest_command(config, start=str(start), end=str(end), progress=False)
    stats = json.loads((outcome.directory / "statistics.json").read_text())
    fills = pd.read_csv(outcome.directory / "fills.csv")
    assert stats["fills"] == len(fills) >= 10
    assert set(fills["instrument_id"]) == {f"{month}.NYMEX"}
    commissions = fills["commission"].str.removesuffix(" USD").astype(float)
    assert list(commissions) == pytest.approx(list(2.25 * fills["last_qty"].astype(float)))  # IB: 2.25 a contract
