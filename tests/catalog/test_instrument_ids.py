"""Instrument ids are checked against IB's rules where they enter (define, import, fetch, download, order,
config), each refusal one line with what was probably meant; nothing is announced as defined unless written,
and an empty file is called empty."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nautilus_node.cli import main
from nautilus_node.ib.instrument_ids import InstrumentIdError, check_instrument_id, suggestions

from .helpers import snapshot

REPO = Path(__file__).resolve().parents[2]
IDEALPRO_PAIRS = "IDEALPRO trades FX pairs only, written BASE/QUOTE (e.g. EUR/USD.IDEALPRO)"


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("AUD/XYZ.IDEALPRO", "XYZ is not an ISO 4217 currency code; did you mean AUD/USD.IDEALPRO?"),
        ("AUDUSD.IDEALPRO", f"{IDEALPRO_PAIRS}; AUDUSD is not one; did you mean AUD/USD.IDEALPRO?"),
        ("EURUSD.IDEALPRO", f"{IDEALPRO_PAIRS}; EURUSD is not one; did you mean EUR/USD.IDEALPRO?"),
        ("AAPL.IDEALPRO", f"{IDEALPRO_PAIRS}; AAPL is not one"),
        (
            "EUR/EUR.IDEALPRO",
            "an FX pair needs two different currencies, not EUR twice; did you mean EUR/USD.IDEALPRO?",
        ),
        (
            "EUR/USD.NASDAQ",
            "NASDAQ lists stocks; BASE/QUOTE is a pair (FX pairs trade on IDEALPRO, e.g. "
            "EUR/USD.IDEALPRO); did you mean EUR/USD.IDEALPRO?",
        ),
        (
            "BTCUSD.PAXOS",
            "PAXOS trades crypto pairs, written BASE/QUOTE (e.g. BTC/USD.PAXOS); did you mean BTC/USD.PAXOS?",
        ),
        ("SPY", 'not an instrument id (SYMBOL.VENUE, e.g. "EUR/USD.IDEALPRO" or "SPY.ARCA")'),
    ],
)
def test_ibs_rules_refuse_the_id_and_say_what_was_meant(text: str, message: str) -> None:
    with pytest.raises(InstrumentIdError) as refused:
        check_instrument_id(text)
    assert str(refused.value) == f"instrument {text!r}: {message}"


@pytest.mark.parametrize(
    "text",
    [
        "EUR/USD.IDEALPRO",
        "USD/JPY.IDEALPRO",
        "HUF/ILS.IDEALPRO",
        "SPY.ARCA",
        "ESH6.CME",
        "BTC/USD.PAXOS",
        "AAPL.NASDAQ",
        "EUR/USD.SIM",
    ],
)
def test_ids_ib_accepts_pass(text: str) -> None:
    assert str(check_instrument_id(text)) == text


def test_the_known_ids_are_suggested_by_symbol() -> None:
    known = ["SPY.ARCA", "EUR/USD.IDEALPRO", "ESZ6.CME"]
    assert suggestions("SPY", known) == ["SPY.ARCA"]
    assert suggestions("SPX.ARCA", known) == ["SPY.ARCA"]
    assert suggestions("EURUSD.IDEALPRO", known) == ["EUR/USD.IDEALPRO"]


@pytest.mark.parametrize(
    ("text", "meant"), [("AUD/XYZ.IDEALPRO", "AUD/USD.IDEALPRO"), ("AUDUSD.IDEALPRO", "AUD/USD.IDEALPRO")]
)
def test_define_refuses_an_id_ib_would_not_trade_and_writes_nothing(tmp_path: Path, text: str, meant: str) -> None:
    catalog = tmp_path / "cat"
    code, output = _cli("catalog", "instruments", "define", text, "--currency", "USD", "--catalog", str(catalog))
    assert code == 2, output
    assert output.startswith(f"error: instrument {text!r}: ") and output.endswith(f"did you mean {meant}?\n")
    assert len(output.splitlines()) == 1 and "defined" not in output
    assert not catalog.exists() or snapshot(catalog) == {}


def test_a_definitions_file_with_a_bad_id_is_refused_naming_it(tmp_path: Path) -> None:
    definitions = tmp_path / "instruments.toml"
    definitions.write_text('[[instruments]]\nid = "GBPUSD.IDEALPRO"\n')
    code, output = _cli("catalog", "instruments", "define", str(definitions), "--catalog", str(tmp_path / "cat"))
    assert code == 2
    assert output == f"error: GBPUSD.IDEALPRO: {IDEALPRO_PAIRS}; GBPUSD is not one; did you mean GBP/USD.IDEALPRO?\n"


def test_import_refuses_the_id_suggesting_the_catalogs_instrument(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    data.write_text("timestamp,open,high,low,close,volume\n2024-01-02T00:00:00Z,1.1,1.2,1.0,1.1,5\n")
    code, output = _cli(
        "catalog",
        "import",
        "csv",
        str(data),
        "--kind",
        "bars",
        "--instrument",
        "EURUSD.IDEALPRO",
        "--catalog",
        str(REPO / "catalog"),
    )
    assert code == 2
    meant = "did you mean EUR/USD.IDEALPRO?"
    assert output == f"error: --instrument 'EURUSD.IDEALPRO': {IDEALPRO_PAIRS}; EURUSD is not one; {meant}\n"


def test_a_failing_import_announces_no_definition(tmp_path: Path) -> None:
    data = tmp_path / "bars.csv"
    data.write_text("timestamp,open,high,low,close,volume\n2024-01-02T00:00:00Z,1.1,1.2,1.0,oops,5\n")
    catalog = tmp_path / "cat"
    code, output = _cli(
        "catalog",
        "import",
        "csv",
        str(data),
        "--kind",
        "bars",
        "--instrument",
        "GBP/USD.IDEALPRO",
        "--bar-type",
        "GBP/USD.IDEALPRO-1-MINUTE-MID-EXTERNAL",
        "--catalog",
        str(catalog),
    )
    assert code == 2
    assert "defined" not in output and output.startswith(f"error: {data}:2: ")
    assert not catalog.exists() or snapshot(catalog) == {}

    data.write_text("timestamp,open,high,low,close,volume\n2024-01-02T00:00:00Z,1.1,1.2,1.0,1.1,5\n")
    code, output = _cli(
        "catalog",
        "import",
        "csv",
        str(data),
        "--kind",
        "bars",
        "--instrument",
        "GBP/USD.IDEALPRO",
        "--bar-type",
        "GBP/USD.IDEALPRO-1-MINUTE-MID-EXTERNAL",
        "--catalog",
        str(catalog),
    )
    assert code == 0, output
    lines = output.splitlines()
    announced = [i for i, line in enumerate(lines) if line.startswith("defined GBP/USD.IDEALPRO as CurrencyPair")]
    assert announced, output


@pytest.mark.parametrize("content", ["", "\n\n", "  \r\n"])
def test_an_empty_file_is_called_empty(tmp_path: Path, content: str) -> None:
    data = tmp_path / "empty.csv"
    data.write_text(content)
    code, output = _cli(
        "catalog",
        "import",
        "csv",
        str(data),
        "--kind",
        "quotes",
        "--instrument",
        "EUR/USD.IDEALPRO",
        "--catalog",
        str(tmp_path / "cat"),
    )
    assert code == 2
    assert output == f"error: {data}: the file is empty\n"


def test_download_refuses_the_id_before_connecting(tmp_path: Path) -> None:
    code, output = _cli(
        "catalog",
        "download",
        "--instrument",
        "EURUSD.IDEALPRO",
        "--bar-size",
        "1 min",
        "--catalog",
        str(tmp_path),
        "--start",
        "2024-01-02",
        "--end",
        "2024-01-03",
    )
    assert code == 2, output
    assert output.startswith("error: --instrument 'EURUSD.IDEALPRO': ")
    assert output.endswith("did you mean EUR/USD.IDEALPRO?\n")


def test_a_config_with_a_bad_id_is_refused_by_check(tmp_path: Path) -> None:
    config = tmp_path / "paper.toml"
    text = (REPO / "configs" / "paper.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('load = ["EUR/USD.IDEALPRO"]', 'load = ["EURUSD.IDEALPRO"]'))
    code, output = _cli("check", str(config))
    assert code == 2
    assert output == (
        f"error: {config}: instruments.load[0] 'EURUSD.IDEALPRO': {IDEALPRO_PAIRS}; EURUSD is not one; "
        "did you mean EUR/USD.IDEALPRO?\n"
    )
