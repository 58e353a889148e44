"""Importing plain CSV: bars, quotes and trades, with column maps, time zones and time formats."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.catalog.csv_import import CsvSpec, parse_column_map
from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.catalog.importer import import_csv
from nautilus_node.cli import main
from tests.catalog.helpers import snapshot

BAR_TYPE = "EUR/USD.IDEALPRO-1-MINUTE-MID-EXTERNAL"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_bars_with_mapped_columns_and_local_open_times_are_stamped_at_utc_close(tmp_path: Path) -> None:
    source = write(
        tmp_path / "bars.csv",
        "Date,O,H,L,C,V\n"
        "2024-01-15 09:30:00,1.09500,1.09550,1.09480,1.09520,1200\n"
        "2024-01-15 09:31:00,1.09520,1.09600,1.09510,1.09590,800\n",
    )
    spec = CsvSpec(
        "bars",
        "EUR/USD.IDEALPRO",
        BAR_TYPE,
        parse_column_map("timestamp=Date,open=O,high=H,low=L,close=C,volume=V", "bars"),
        tz="America/New_York",
    )

    results = import_csv(tmp_path / "cat", [source], spec)

    bars = ParquetDataCatalog(str(tmp_path / "cat")).bars([BAR_TYPE])
    assert [b.ts_init for b in bars] == [
        pd.Timestamp("2024-01-15 14:31", tz="UTC").value,
        pd.Timestamp("2024-01-15 14:32", tz="UTC").value,
    ]
    assert [(str(b.open), str(b.high), str(b.low), str(b.close), str(b.volume)) for b in bars] == [
        ("1.09500", "1.09550", "1.09480", "1.09520", "1200"),
        ("1.09520", "1.09600", "1.09510", "1.09590", "800"),
    ]
    assert {r.group: r.rows_added for r in results}["bar/EURUSD.IDEALPRO-1-MINUTE-MID-EXTERNAL"] == 2


def test_bars_stamped_at_close_keep_their_time_and_take_the_stated_nominal_volume(tmp_path: Path) -> None:
    source = write(tmp_path / "bars.csv", "timestamp,open,high,low,close\n2024-01-15T14:31:00Z,1.1,1.2,1.0,1.15\n")
    spec = CsvSpec("bars", "EUR/USD.IDEALPRO", BAR_TYPE, bar_time="close")
    with pytest.raises(CatalogInputError, match=r"bars\.csv: no volume column: state a nominal volume per bar"):
        import_csv(tmp_path / "cat", [source], spec)
    notes: list[str] = []
    import_csv(tmp_path / "cat", [source], replace(spec, nominal_volume=1_000_000), note=notes.append)
    [bar] = ParquetDataCatalog(str(tmp_path / "cat")).bars([BAR_TYPE])
    assert bar.ts_init == pd.Timestamp("2024-01-15 14:31", tz="UTC").value
    assert str(bar.volume) == "1000000"
    assert notes == ["no volume column: every bar gets the nominal volume 1,000,000 (--volume)"]


def test_quotes_with_unix_millisecond_times_and_sizes(tmp_path: Path) -> None:
    source = write(
        tmp_path / "q.csv",
        "t,bid,ask,bid_size,ask_size\n"
        "1705329000000,1.09500,1.09510,1000000,2000000\n1705329000250,1.09505,1.09515,500000,700000\n",
    )
    spec = CsvSpec("quotes", "EUR/USD.IDEALPRO", columns={"timestamp": "t"}, time_format="unix_ms")
    import_csv(tmp_path / "cat", [source], spec)
    ticks = ParquetDataCatalog(str(tmp_path / "cat")).quote_ticks()
    assert [(t.ts_init, str(t.bid_price), str(t.ask_price), str(t.bid_size), str(t.ask_size)) for t in ticks] == [
        (1705329000000 * 10**6, "1.09500", "1.09510", "1000000", "2000000"),
        (1705329000250 * 10**6, "1.09505", "1.09515", "500000", "700000"),
    ]


def test_trades_of_a_stock_not_in_the_catalog_define_it_by_ib_conventions(tmp_path: Path) -> None:
    source = write(
        tmp_path / "spy.csv",
        "time,price,size,side,id\n2024-01-15 10:00:00.123,475.12,100,BUY,T1\n2024-01-15 10:00:00.456,475.10,50,S,T2\n",
    )
    spec = CsvSpec(
        "trades",
        "SPY.ARCA",
        columns={"timestamp": "time", "trade_id": "id"},
        tz="America/New_York",
        time_format="%Y-%m-%d %H:%M:%S.%f",
    )
    notes: list[str] = []
    import_csv(tmp_path / "cat", [source], spec, note=notes.append)

    assert notes == ["defined SPY.ARCA as Equity (assumed IB conventions: currency USD, tick 0.01)"]
    [spy] = ParquetDataCatalog(str(tmp_path / "cat")).instruments()
    assert (str(spy.id), str(spy.price_increment), spy.quote_currency.code) == ("SPY.ARCA", "0.01", "USD")

    trades = ParquetDataCatalog(str(tmp_path / "cat")).trade_ticks()
    assert [(str(t.price), str(t.size), t.aggressor_side, str(t.trade_id)) for t in trades] == [
        ("475.12", "100", AggressorSide.BUYER, "T1"),
        ("475.10", "50", AggressorSide.SELLER, "T2"),
    ]
    assert trades[0].ts_init == pd.Timestamp("2024-01-15 15:00:00.123", tz="UTC").value


def test_reimporting_a_csv_adds_nothing(tmp_path: Path) -> None:
    source = write(
        tmp_path / "q.csv", "timestamp,bid,ask\n2024-01-15T10:00:00Z,1.1,1.2\n2024-01-15T10:00:01Z,1.1,1.2\n"
    )
    spec = CsvSpec("quotes", "EUR/USD.IDEALPRO")
    import_csv(tmp_path / "cat", [source], spec)
    before = snapshot(tmp_path / "cat")
    again = import_csv(tmp_path / "cat", [source], spec)
    assert sum(r.rows_added for r in again) == 0
    assert snapshot(tmp_path / "cat") == before


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "timestamp,bid,ask\n2024-01-15T10:00:00Z,1.1,1.2\n2024-01-15T10:00:01Z,1.1\n",
            3,
            "expected 3 fields, found 2",
        ),
        (
            "timestamp,bid,ask\n2024-01-15T10:00:00Z,1.1,1.2\nyesterday,1.1,1.2\n",
            3,
            "field 'timestamp' value 'yesterday' is not an ISO-8601 time",
        ),
        (
            "timestamp,bid,ask\n2024-01-15T10:00:00Z,1.1,1.2\n2024-01-15T10:00:01Z,1.1,n/a\n",
            3,
            "field 'ask' value 'n/a' is not a number",
        ),
        ("timestamp,bid,ask\n2024-01-15T10:00:00Z,0,1.2\n", 2, "field 'bid' value 0.0 is not a positive number"),
    ],
)
def test_a_bad_csv_row_names_file_and_line_and_changes_nothing(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    good = write(tmp_path / "good.csv", "timestamp,bid,ask\n2024-01-14T10:00:00Z,1.1,1.2\n")
    spec = CsvSpec("quotes", "EUR/USD.IDEALPRO")
    import_csv(tmp_path / "cat", [good], spec)
    before = snapshot(tmp_path / "cat")
    bad = write(tmp_path / "bad.csv", text)

    with pytest.raises(CatalogInputError) as error:
        import_csv(tmp_path / "cat", [bad], spec)

    assert str(error.value) == f"{bad}:{line}: {message}"
    assert snapshot(tmp_path / "cat") == before


def test_a_missing_column_and_an_unknown_field_are_named(tmp_path: Path) -> None:
    source = write(tmp_path / "q.csv", "time,bid,ask\n2024-01-15T10:00:00Z,1.1,1.2\n")
    expected = r"no column 'timestamp' for field 'timestamp' \(header: time, bid, ask\)"
    with pytest.raises(CatalogInputError, match=expected):
        import_csv(tmp_path / "cat", [source], CsvSpec("quotes", "EUR/USD.IDEALPRO"))
    with pytest.raises(CatalogInputError, match="quotes have no field 'open'"):
        parse_column_map("open=O", "quotes")


def test_a_nonexistent_local_time_is_reported(tmp_path: Path) -> None:
    source = write(tmp_path / "q.csv", "timestamp,bid,ask\n2024-03-10 02:30:00,1.1,1.2\n")
    spec = CsvSpec("quotes", "EUR/USD.IDEALPRO", tz="America/New_York")
    with pytest.raises(
        CatalogInputError,
        match=r":2: field 'timestamp' value '2024-03-10 02:30:00' is ambiguous or "
        r"missing in America/New_York",
    ):
        import_csv(tmp_path / "cat", [source], spec)


def test_cli_csv_import_bad_bar_type_exits_2_with_one_line(tmp_path: Path) -> None:
    source = write(tmp_path / "b.csv", "timestamp,open,high,low,close\n2024-01-15T14:31:00Z,1.1,1.2,1.0,1.15\n")
    result = CliRunner().invoke(
        main,
        [
            "catalog",
            "import",
            "csv",
            str(source),
            "--kind",
            "bars",
            "--instrument",
            "EUR/USD.IDEALPRO",
            "--bar-type",
            "GBP/USD.IDEALPRO-1-MINUTE-MID-EXTERNAL",
            "--catalog",
            str(tmp_path / "cat"),
        ],
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: --bar-type: 'GBP/USD.IDEALPRO-1-MINUTE-MID-EXTERNAL' is not for instrument EUR/USD.IDEALPRO"
    )
