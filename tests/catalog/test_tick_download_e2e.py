"""Downloading ticks through NautilusTrader's IB adapter from the simulated gateway over a real socket.

The ticks the gateway serves are seeded: `ticks_between` gives every tick of a span, which is what paging
through it must store. As in test_download_e2e.py both sides use IB's pacing rules scaled down (4 requests
per 3 s, identical requests 1 s apart) to keep the tests short.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.catalog.download import DownloadError
from nautilus_node.catalog.ib_history import download_ticks_from_ib
from nautilus_node.catalog.pacing import PacingRules
from nautilus_node.cli import main
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.ticks import ticks_between
from tests.catalog.conftest import REPO

pytestmark = pytest.mark.e2e

CLIENT_PACING = PacingRules(window_secs=3.0, window_requests=4, identical_secs=1.0, margin_secs=0.2)
GATEWAY_PACING = CLIENT_PACING  # the same rules; the gateway applies them without the margin
END = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=2)).floor("h")
START = END - pd.Timedelta(hours=2)
SEED = 7


def served(gateway: SimulatedGateway, local_symbol: str, what: str, start: pd.Timestamp, end: pd.Timestamp):
    """Every tick the gateway has in [start, end)."""
    spec = next(s for s in gateway.universe if s.local_symbol == local_symbol)
    return list(ticks_between(spec, what, int(start.timestamp()), int(end.timestamp()) - 1, SEED))


def fetch(catalog: Path, port: int, client_id: int, rules: PacingRules = CLIENT_PACING, end: pd.Timestamp = END):
    return download_ticks_from_ib(
        catalog,
        "EUR/USD.IDEALPRO",
        "BID_ASK",
        START.isoformat(),
        end.isoformat(),
        port=port,
        client_id=client_id,
        rules=rules,
    )


def test_a_quote_tick_download_stores_exactly_the_served_ticks_paced_and_a_second_run_asks_nothing(
    tmp_path: Path,
) -> None:
    with SimulatedGateway(port=0, seed=SEED, pacing=GATEWAY_PACING) as gateway:
        first = fetch(tmp_path, gateway.port, client_id=51)
        second = fetch(tmp_path, gateway.port, client_id=52)
        expected = served(gateway, "EUR.USD", "BID_ASK", START, END)

    stored = ParquetDataCatalog(str(tmp_path)).quote_ticks(instrument_ids=["EUR/USD.IDEALPRO"])
    assert len(expected) > 2 * 1000  # more than one page an hour: paging and its boundaries are exercised
    assert len(stored) == first.ticks_added == len(expected)
    as_rows = [
        (t.ts_event // 10**9, t.bid_price.as_double(), t.ask_price.as_double(), int(t.bid_size), int(t.ask_size))
        for t in stored
    ]
    assert as_rows == [(t.time, t.bid, t.ask, t.bid_size, t.ask_size) for t in expected]
    assert stored[0].ts_event >= START.value and stored[-1].ts_event < END.value
    assert first.requests >= 4 and first.waited_secs > 0  # BID_ASK counts twice: 2 requests per 3 s
    assert (second.requests, second.skipped, second.ticks_added) == (0, 2, 0)


def test_a_tick_download_that_ignores_pacing_is_refused_with_162_and_keeps_what_it_finished(tmp_path: Path) -> None:
    careless = PacingRules(window_requests=1000, identical_secs=0.0, burst_requests=1000, margin_secs=0.0)
    with SimulatedGateway(port=0, seed=SEED, pacing=GATEWAY_PACING) as gateway, pytest.raises(DownloadError) as error:
        fetch(tmp_path, gateway.port, client_id=53, rules=careless, end=END + pd.Timedelta(hours=2))
    # BID_ASK counts twice: the two requests the window admits cover the first hour
    first_hour = served(gateway, "EUR.USD", "BID_ASK", START, START + pd.Timedelta(hours=1))

    assert "IB error 162" in str(error.value) and "pacing violation" in str(error.value)
    stored = ParquetDataCatalog(str(tmp_path)).quote_ticks(instrument_ids=["EUR/USD.IDEALPRO"])
    assert [t.ts_event // 10**9 for t in stored] == [t.time for t in first_hour]


def run_cli(*args: str, port: int, catalog: Path) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "nautilus_node",
        "catalog",
        "download",
        *args,
        "--port",
        str(port),
        "--catalog",
        str(catalog),
    ]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


def test_the_download_command_fetches_trade_ticks_and_resumes_to_nothing(tmp_path: Path) -> None:
    hour = ("--start", (END - pd.Timedelta(hours=1)).isoformat(), "--end", END.isoformat())
    with SimulatedGateway(port=0, seed=SEED) as gateway:
        first = run_cli(
            "--ticks",
            "TRADES",
            "--instrument",
            "SPY.ARCA",
            *hour,
            "--client-id",
            "54",
            port=gateway.port,
            catalog=tmp_path,
        )
        second = run_cli(
            "--ticks",
            "TRADES",
            "--instrument",
            "SPY.ARCA",
            *hour,
            "--client-id",
            "55",
            port=gateway.port,
            catalog=tmp_path,
        )
        expected = served(gateway, "SPY", "TRADES", END - pd.Timedelta(hours=1), END)

    assert first.returncode == 0, first.stderr
    assert "[1/1] SPY.ARCA TRADES ticks " in first.stderr
    assert f"0 chunks already downloaded, {len(expected):,} ticks added" in first.stdout
    stored = ParquetDataCatalog(str(tmp_path)).trade_ticks(instrument_ids=["SPY.ARCA"])
    assert [(t.ts_event // 10**9, t.price.as_double(), int(t.size)) for t in stored] == [
        (t.time, t.price, t.size) for t in expected
    ]
    assert second.returncode == 0, second.stderr
    assert "done: 0 requests, 1 chunks already downloaded, 0 ticks added" in second.stdout


def test_trade_ticks_for_eurusd_fail_in_one_line_naming_the_ib_error(tmp_path: Path) -> None:
    with SimulatedGateway(port=0, seed=SEED) as gateway:
        result = run_cli(
            "--ticks",
            "TRADES",
            "--start",
            START.isoformat(),
            "--end",
            END.isoformat(),
            "--client-id",
            "56",
            port=gateway.port,
            catalog=tmp_path,
        )

    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: IB error 162 for EUR/USD.IDEALPRO TRADES ticks from ")
    assert "No historical market data for EUR/CASH@IDEALPRO" in last and last.endswith("try --ticks BID_ASK)")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "trade_tick").exists()


@pytest.mark.parametrize("choice", [("--ticks", "BID_ASK", "--bar-size", "1 min"), ()], ids=["both", "neither"])
def test_the_download_command_wants_bars_or_ticks(tmp_path: Path, choice: tuple[str, ...]) -> None:
    result = CliRunner().invoke(
        main,
        ["catalog", "download", *choice, "--start", "2024-01-01", "--end", "2024-01-02", "--catalog", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "give exactly one of --bar-size (bars) and --ticks (ticks)" in result.output
    assert not tmp_path.joinpath("data").exists()
