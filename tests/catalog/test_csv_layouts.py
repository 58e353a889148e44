"""The CSV layouts people have, each through the importer into a real catalog, and the files surely wrong."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.catalog.csv_import import CsvSpec, parse_column_map
from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.catalog.importer import import_csv

GBP_BID = "GBP/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL"
SPLIT_HEADERLESS = CsvSpec(
    "bars",
    "GBP/USD.IDEALPRO",
    GBP_BID,
    parse_column_map("date=1,time=2,open=3,high=4,low=5,close=6", "bars"),
    time_format="%Y.%m.%d %H:%M",
    header=False,
    nominal_volume=1_000_000,
)
ROWS = "2024.01.15,09:30,1.27010,1.27030,1.27000,1.27020\n2024.01.15,09:31,1.27020,1.27040,1.27010,1.27035\n"


def _bars(catalog: Path, bar_type: str) -> list[tuple[int, str, str]]:
    return [(b.ts_event, str(b.close), str(b.volume)) for b in ParquetDataCatalog(str(catalog)).bars([bar_type])]


def test_a_gzip_without_header_with_split_date_and_time_and_no_volume(tmp_path: Path) -> None:
    source = tmp_path / "GBPUSD_M1_BID.csv.gz"
    source.write_bytes(gzip.compress(ROWS.encode()))
    notes: list[str] = []
    import_csv(tmp_path / "cat", [source], SPLIT_HEADERLESS, note=notes.append)
    assert _bars(tmp_path / "cat", GBP_BID) == [
        (pd.Timestamp("2024-01-15 09:31", tz="UTC").value, "1.27020", "1000000"),
        (pd.Timestamp("2024-01-15 09:32", tz="UTC").value, "1.27035", "1000000"),
    ]
    assert notes == [  # the definition is announced once written
        "no volume column: every bar gets the nominal volume 1,000,000 (--volume)",
        "defined GBP/USD.IDEALPRO as CurrencyPair (assumed IB conventions: tick 0.00005, size increment 1)",
    ]


def test_a_headerless_file_takes_the_usual_column_order_by_default(tmp_path: Path) -> None:
    source = tmp_path / "quotes.csv"
    source.write_text("2024-01-15T10:00:00Z,1.27010,1.27015,100000,200000\n2024-01-15T10:00:01Z,1.27011,1.27016,1,2\n")
    import_csv(tmp_path / "cat", [source], CsvSpec("quotes", "GBP/USD.IDEALPRO", header=False))
    ticks = ParquetDataCatalog(str(tmp_path / "cat")).quote_ticks()
    assert [(str(t.bid_price), str(t.ask_price), str(t.bid_size), str(t.ask_size)) for t in ticks] == [
        ("1.27010", "1.27015", "100000", "200000"),
        ("1.27011", "1.27016", "1", "2"),
    ]


def test_a_zip_of_one_vendor_tick_file_with_day_first_times(tmp_path: Path) -> None:
    source = tmp_path / "USDJPY_Ticks.csv.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr(
            "USDJPY_Ticks.csv",
            "Gmt time,Ask,Bid,AskVolume,BidVolume\n15.01.2024 07:00:03.382,147.515,147.505,900000,1300000\n",
        )
    spec = CsvSpec(
        "quotes",
        "USD/JPY.IDEALPRO",
        columns=parse_column_map("timestamp=Gmt time,bid=Bid,ask=Ask,bid_size=BidVolume,ask_size=AskVolume", "quotes"),
        time_format="%d.%m.%Y %H:%M:%S.%f",
    )
    import_csv(tmp_path / "cat", [source], spec)
    [tick] = ParquetDataCatalog(str(tmp_path / "cat")).quote_ticks()
    assert (tick.ts_event, str(tick.bid_price), str(tick.ask_size)) == (
        pd.Timestamp("2024-01-15 07:00:03.382", tz="UTC").value,
        "147.505",
        "900000",
    )


def test_a_zip_of_several_files_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "two.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("a.csv", "timestamp,bid,ask\n")
        archive.writestr("b.csv", "timestamp,bid,ask\n")
    with pytest.raises(CatalogInputError, match=r"two\.zip: a zip of 2 files; give zips that hold one CSV each"):
        import_csv(tmp_path / "cat", [source], CsvSpec("quotes", "GBP/USD.IDEALPRO"))


def test_daily_bars_from_a_date_only_column(tmp_path: Path) -> None:
    source = tmp_path / "GBPUSD_D1.csv"
    source.write_text(
        "date,open,high,low,close,volume\n2024-01-02,1.27,1.28,1.26,1.275,100\n2024-01-03,1.275,1.28,1.27,1.271,90\n"
    )
    bar_type = "GBP/USD.IDEALPRO-1-DAY-MID-EXTERNAL"
    import_csv(tmp_path / "cat", [source], CsvSpec("bars", "GBP/USD.IDEALPRO", bar_type))
    assert [ts for ts, _, _ in _bars(tmp_path / "cat", bar_type)] == [
        pd.Timestamp("2024-01-03", tz="UTC").value,  # stamped at the close of the day
        pd.Timestamp("2024-01-04", tz="UTC").value,
    ]


def test_intraday_bars_from_a_date_only_column_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "minutes.csv"
    source.write_text(
        "date,open,high,low,close,volume\n2024-01-15,1.27,1.28,1.26,1.275,1\n2024-01-15,1.275,1.28,1.27,1.271,1\n"
        "2024-01-15,1.271,1.28,1.27,1.272,1\n"
    )
    with pytest.raises(CatalogInputError) as error:
        import_csv(tmp_path / "cat", [source], CsvSpec("bars", "GBP/USD.IDEALPRO", GBP_BID))
    assert str(error.value).startswith(
        f"{source}:3: a second bar at '2024-01-15': bars need one row per timestamp (a date-only column"
    )


def test_rows_out_of_time_order_are_refused_with_their_line(tmp_path: Path) -> None:
    source = tmp_path / "q.csv"
    source.write_text("timestamp,bid,ask\n2024-01-15T10:00:01Z,1.1,1.2\n2024-01-15T10:00:00Z,1.1,1.2\n")
    with pytest.raises(CatalogInputError) as error:
        import_csv(tmp_path / "cat", [source], CsvSpec("quotes", "GBP/USD.IDEALPRO"))
    assert str(error.value) == (
        f"{source}:3: time '2024-01-15T10:00:00Z' is earlier than the row before it (rows must be in time order)"
    )


def test_the_same_file_twice_in_one_command_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    first = tmp_path / "a.csv.gz"
    first.write_bytes(gzip.compress(ROWS.encode()))
    copy = tmp_path / "copy.csv"
    copy.write_text(ROWS)
    with pytest.raises(
        CatalogInputError, match=r"copy\.csv: the same data as .*a\.csv\.gz, given twice in one command"
    ):
        import_csv(tmp_path / "cat", [first, copy], SPLIT_HEADERLESS)
    assert not (tmp_path / "cat" / "data").exists()


def test_a_quote_another_file_of_the_command_already_has_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    first = tmp_path / "part1.csv"
    first.write_text("timestamp,bid,ask\n2024-01-15T10:00:00Z,1.1,1.2\n2024-01-15T10:00:01Z,1.1,1.2\n")
    second = tmp_path / "part2.csv"
    second.write_text("timestamp,bid,ask\n2024-01-15T10:00:01Z,1.1,1.2\n2024-01-15T10:00:02Z,1.1,1.2\n")
    with pytest.raises(CatalogInputError) as error:
        import_csv(tmp_path / "cat", [first, second], CsvSpec("quotes", "GBP/USD.IDEALPRO"))
    assert str(error.value) == f"{second}:2: this row is also in {first} (same command)"
    assert not (tmp_path / "cat" / "data").exists()


def test_a_timestamp_another_file_already_has_is_refused_for_bars(tmp_path: Path) -> None:
    monday = tmp_path / "monday.csv"
    monday.write_text(ROWS)
    again = tmp_path / "again.csv"
    again.write_text(ROWS.splitlines()[1].replace("1.27035", "1.27036") + "\n")
    with pytest.raises(CatalogInputError) as error:
        import_csv(tmp_path / "cat", [monday, again], SPLIT_HEADERLESS)
    assert str(error.value) == f"{again}:1: this row is also in {monday} (same command)"


def test_an_id_that_does_not_define_itself_names_the_commands_that_do(tmp_path: Path) -> None:
    source = tmp_path / "es.csv"
    source.write_text("timestamp,open,high,low,close,volume\n2026-01-12T23:00:00Z,6949,6950,6948,6949.5,10\n")
    with pytest.raises(CatalogInputError) as error:
        import_csv(tmp_path / "cat", [source], CsvSpec("bars", "ESH6.CME", "ESH6.CME-1-MINUTE-LAST-EXTERNAL"))
    assert str(error.value) == (
        "ESH6.CME: not in the catalog, and the id alone does not define it (a future needs multiplier); define it "
        "with `catalog instruments define ESH6.CME --tick ... ` (or a TOML file) or fetch it from IB with "
        "`catalog instruments fetch ESH6.CME`"
    )
