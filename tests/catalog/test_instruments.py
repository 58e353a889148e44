"""Instruments for any IB contract: defined offline by IB's conventions, fetched from a (simulated) IB Gateway
through NautilusTrader's IB instrument provider, and unknown contracts refused within seconds."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.cli import main
from nautilus_node.simgateway import SimulatedGateway

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_a_definitions_file_defines_fx_a_future_and_a_stock_and_catalog_list_shows_them(tmp_path: Path) -> None:
    definitions = tmp_path / "instruments.toml"
    definitions.write_text(
        '[[instruments]]\nid = "GBP/USD.IDEALPRO"\n\n'
        '[[instruments]]\nid = "ESH6.CME"\nmultiplier = "50"\ntick = "0.25"\nexpiry = "2026-03-20"\n\n'
        '[[instruments]]\nid = "AAPL.NASDAQ"\n'
    )
    code, output = _cli("catalog", "instruments", "define", str(definitions), "--catalog", str(tmp_path / "cat"))
    assert code == 0, output
    assert output.splitlines() == [
        "defined GBP/USD.IDEALPRO as CurrencyPair (assumed IB conventions: tick 0.00005, size increment 1)",
        "defined ESH6.CME as FuturesContract (assumed IB conventions: currency USD, underlying ES)",
        "defined AAPL.NASDAQ as Equity (assumed IB conventions: currency USD, tick 0.01)",
    ]
    es = ParquetDataCatalog(str(tmp_path / "cat")).instruments(instrument_ids=["ESH6.CME"])[0]
    assert (str(es.multiplier), str(es.price_increment), es.underlying) == ("50", "0.25", "ES")
    assert es.expiration_ns == pd.Timestamp("2026-03-20", tz="UTC").value
    code, listing = _cli("catalog", "list", "--catalog", str(tmp_path / "cat"))
    assert "  FuturesContract ESH6.CME (tick 0.25, size step 1, multiplier 50, expires 2026-03-20)" in listing
    assert "  CurrencyPair GBP/USD.IDEALPRO (tick 0.00005, size step 1)" in listing


def test_a_future_defined_without_its_multiplier_is_refused_in_one_line(tmp_path: Path) -> None:
    code, output = _cli("catalog", "instruments", "define", "ESH6.CME", "--tick", "0.25", "--catalog", str(tmp_path))
    assert code == 2
    assert output == (
        "error: ESH6.CME: a future needs multiplier; state it: catalog instruments define ID --tick .. "
        "--multiplier .. --expiry .. (or a TOML file)\n"
    )


def test_instruments_are_fetched_from_the_simulated_gateway_as_ib_describes_them(tmp_path: Path) -> None:
    code, output = _cli(
        "catalog", "instruments", "fetch", "SPY.ARCA", "EUR/USD.IDEALPRO", "--sim", "--catalog", str(tmp_path)
    )
    assert code == 0, output
    assert output.splitlines() == [
        "fetched SPY.ARCA as Equity from IB (tick 0.01)",
        "fetched EUR/USD.IDEALPRO as CurrencyPair from IB (tick 0.00005)",
    ]
    spy = ParquetDataCatalog(str(tmp_path)).instruments(instrument_ids=["SPY.ARCA"])[0]
    assert spy.info["contract"]["conId"] == 756733  # IB's contract id, as the gateway sent it


def test_an_option_is_defined_offline_from_its_occ_symbol(tmp_path: Path) -> None:
    code, output = _cli("catalog", "instruments", "define", "SPY   261218P00577500.SMART", "--catalog", str(tmp_path))
    assert code == 0, output
    assert output == (
        "defined SPY   261218P00577500.SMART as OptionContract (assumed IB conventions: currency USD, "
        "multiplier 100, tick 0.01, underlying SPY)\n"
    )
    [put] = ParquetDataCatalog(str(tmp_path)).instruments()
    assert (put.option_kind.name, str(put.strike_price), str(put.multiplier), put.underlying) == (
        "PUT",
        "577.50",
        "100",
        "SPY",
    )
    assert put.expiration_ns == pd.Timestamp("2026-12-18 16:00", tz="America/New_York").value  # at the close
    code, listing = _cli("catalog", "list", "--catalog", str(tmp_path))
    assert (
        "OptionContract SPY   261218P00577500.SMART (tick 0.01, size step 1, multiplier 100, expires 2026-12-18)"
        in (listing)
    )


def test_an_option_whose_stated_expiry_is_not_its_ids_is_refused_in_one_line(tmp_path: Path) -> None:
    code, output = _cli(
        "catalog",
        "instruments",
        "define",
        "SPY   261218C00600000.SMART",
        "--expiry",
        "2026-12-19",
        "--catalog",
        str(tmp_path),
    )
    assert code == 2
    assert output == "error: SPY   261218C00600000.SMART: expiry '2026-12-19' is not the id's 20261218\n"


def test_an_option_from_the_chain_is_fetched_from_the_simulated_gateway(tmp_path: Path) -> None:
    with SimulatedGateway(port=0) as gateway:
        spy = gateway.universe.by_local_symbol("SPY")
        call = next(s for s in gateway.universe.options.chain(spy, time.time()) if s.strike == 600 and s.right == "C")
        code, output = _cli(
            "catalog",
            "instruments",
            "fetch",
            f"{call.local_symbol}.SMART",
            "--port",
            str(gateway.port),
            "--catalog",
            str(tmp_path),
        )
    assert code == 0, output
    assert output.splitlines() == [f"fetched {call.local_symbol}.SMART as OptionContract from IB (tick 0.01)"]
    [fetched] = ParquetDataCatalog(str(tmp_path)).instruments()
    assert fetched.info["contract"]["conId"] == call.con_id and fetched.info["underConId"] == spy.con_id
    assert (str(fetched.strike_price), str(fetched.multiplier), fetched.underlying) == ("600.00", "100", "SPY")


def _timed(command: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    return result, time.monotonic() - started


def test_fetching_an_unknown_contract_ends_in_one_line_with_ibs_error_within_10_seconds(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "nautilus_node", "catalog", "instruments", "fetch", "ZZZZ.NASDAQ", "--sim"]
    result, elapsed = _timed([*command, "--catalog", str(tmp_path)])
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: IB does not know ZZZZ.NASDAQ: error 200 'No security definition has been found for the request'"
    ]
    assert elapsed < 50  # well inside the adapter's own 60-s wait (the interpreter's start is the rest)


def test_downloading_an_unknown_contract_ends_in_one_line_with_ibs_error(tmp_path: Path) -> None:
    with SimulatedGateway(port=0) as gateway:
        result, elapsed = _timed(
            [
                sys.executable,
                "-m",
                "nautilus_node",
                "catalog",
                "download",
                "--instrument",
                "ZZZZ.NASDAQ",
                "--bar-size",
                "1 hour",
                "--what",
                "TRADES",
                "--start",
                "2024-01-01",
                "--end",
                "2024-01-02",
                "--port",
                str(gateway.port),
                "--client-id",
                "41",
                "--catalog",
                str(tmp_path),
            ]
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: IB does not know ZZZZ.NASDAQ: error 200 'No security definition has been found for the request'"
    ]
    assert elapsed < 50
