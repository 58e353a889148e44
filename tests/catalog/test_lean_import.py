"""Importing QuantConnect LEAN forex files: every row, exact prices, close-stamped bars, all or nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.catalog.importer import import_lean
from nautilus_node.cli import main
from tests.catalog.conftest import scaled, source_rows, write_lean_zip
from tests.catalog.helpers import raw_column, read_group, snapshot

NS = 1_000_000
QUOTES = "quote_tick/EURUSD.IDEALPRO"


def day_ns(day: str) -> int:
    return pd.Timestamp(day, tz="UTC").value


def test_tick_import_keeps_every_row_with_exact_prices_and_utc_times(lean_dir: Path, tmp_path: Path) -> None:
    files = [lean_dir / "tick/eurusd/20140504_quote.zip", lean_dir / "tick/eurusd/20140511_quote.zip"]
    import_lean(tmp_path, files)

    expected = [
        (day_ns(f.name[:8]) + int(r[0]) * NS, scaled(r[1]), scaled(r[2])) for f in files for r in source_rows(f)
    ]
    table = read_group(tmp_path, QUOTES)
    got = list(
        zip(
            table.column("ts_init").to_pylist(),
            raw_column(table, "bid_price").tolist(),
            raw_column(table, "ask_price").tolist(),
            strict=True,
        )
    )
    assert got == expected
    assert table.column("ts_event").to_pylist() == table.column("ts_init").to_pylist()
    ticks = ParquetDataCatalog(str(tmp_path)).quote_ticks(instrument_ids=["EUR/USD.IDEALPRO"])
    assert len(ticks) == len(expected)


def test_minute_bars_are_bid_and_ask_stamped_at_their_close(lean_dir: Path, tmp_path: Path) -> None:
    source = lean_dir / "minute/eurusd/20140504_quote.zip"
    import_lean(tmp_path, [source])

    rows = source_rows(source)
    catalog = ParquetDataCatalog(str(tmp_path))
    for side, first in (("BID", 1), ("ASK", 6)):
        bars = catalog.bars([f"EUR/USD.IDEALPRO-1-MINUTE-{side}-EXTERNAL"])
        assert len(bars) == len(rows)
        for bar, row in zip(bars, rows, strict=True):
            assert bar.ts_init == day_ns("2014-05-04") + int(row[0]) * NS + 60 * 10**9
            got = [str(p) for p in (bar.open, bar.high, bar.low, bar.close)]
            assert got == [f"{float(x):.5f}" for x in row[first : first + 4]]


def test_hour_and_daily_bars_cover_every_source_row(lean_dir: Path, tmp_path: Path) -> None:
    import_lean(tmp_path, [lean_dir / "hour/eurusd.zip", lean_dir / "daily/eurusd.zip"])

    for folder, step, seconds in (("hour", "1-HOUR", 3600), ("daily", "1-DAY", 86400)):
        rows = source_rows(lean_dir / folder / "eurusd.zip")
        for side, first in (("BID", 1), ("ASK", 6)):
            table = read_group(tmp_path, f"bar/EURUSD.IDEALPRO-{step}-{side}-EXTERNAL")
            assert table.num_rows == len(rows)
            opened = [pd.Timestamp(r[0], tz="UTC").value for r in rows]
            assert table.column("ts_init").to_pylist() == [t + seconds * 10**9 for t in opened]
            for i, field in enumerate(("open", "high", "low", "close")):
                expected = np.array([scaled(r[first + i]) for r in rows], dtype=np.int64)
                assert np.array_equal(raw_column(table, field), expected), f"{folder} {side} {field}"


def test_importing_the_same_files_again_adds_nothing(lean_dir: Path, tmp_path: Path) -> None:
    files = [lean_dir / "tick/eurusd/20140504_quote.zip", lean_dir / "minute/eurusd/20140504_quote.zip"]
    first = import_lean(tmp_path, files)
    before = snapshot(tmp_path)

    again = import_lean(tmp_path, files)

    assert sum(r.rows_added for r in first) == 1 + len(source_rows(files[0])) + 2 * len(source_rows(files[1]))
    assert [r.rows_added for r in again] == [0] * len(again)
    assert snapshot(tmp_path) == before


def test_an_overlapping_import_adds_only_the_new_rows(lean_dir: Path, tmp_path: Path) -> None:
    day1, day2 = lean_dir / "tick/eurusd/20140504_quote.zip", lean_dir / "tick/eurusd/20140511_quote.zip"
    import_lean(tmp_path, [day1])

    results = import_lean(tmp_path, [day1, day2])

    added = {r.group: r.rows_added for r in results}
    assert added[QUOTES] == len(source_rows(day2))
    total = len(source_rows(day1)) + len(source_rows(day2))
    assert len(ParquetDataCatalog(str(tmp_path)).quote_ticks()) == total
    assert len(list((tmp_path / "data" / QUOTES).glob("*.parquet"))) == 1


def test_identical_rows_in_a_source_are_all_kept_and_not_added_twice(tmp_path: Path) -> None:
    source = write_lean_zip(
        tmp_path / "lean/tick/eurusd/20140505_quote.zip",
        ["100,1.38600,1.38610", "100,1.38600,1.38610", "200,1.38605,1.38615"],
    )
    catalog = tmp_path / "catalog"

    import_lean(catalog, [source])
    again = import_lean(catalog, [source])

    assert read_group(catalog, QUOTES).num_rows == 3
    assert {r.group: r.rows_added for r in again}[QUOTES] == 0


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (["100,1.38600,1.38610", "200,1.38605", "300,1.38605,1.38615"], 2, "expected 3 fields, found 2"),
        (["100,1.38600,1.38610", "200,1.38605,1.38615", "300,abc,1.38615"], 3, "field 'bid' value 'abc'"),
        (["100,1.38600,1.38610", "200,1.386051,1.38615"], 2, "field 'bid' value 1.386051 has more than 5"),
        (["100,1.38600,1.38610", "200,-1.38605,1.38615"], 2, "field 'bid' value -1.38605 is not a positive"),
        (["100,1.38600,1.38610", "86400000,1.38605,1.38615"], 2, "field 'ms' value 86400000 is not within"),
        (["100,1.38600,1.38610", "200,,1.38615"], 2, "field 'bid' is empty"),
    ],
)
def test_a_bad_row_names_file_and_line_and_leaves_the_catalog_untouched(
    lean_dir: Path, tmp_path: Path, rows: list[str], line: int, message: str
) -> None:
    catalog = tmp_path / "catalog"
    import_lean(catalog, [lean_dir / "tick/eurusd/20140504_quote.zip"])
    before = snapshot(catalog)
    bad = write_lean_zip(tmp_path / "lean/tick/eurusd/20140505_quote.zip", rows)

    with pytest.raises(CatalogInputError) as error:
        import_lean(catalog, [lean_dir / "tick/eurusd/20140511_quote.zip", bad])

    assert str(error.value).startswith(f"{bad}:{line}: ")
    assert message in str(error.value)
    assert snapshot(catalog) == before


def test_bars_whose_high_is_below_their_close_are_rejected(tmp_path: Path) -> None:
    bad = write_lean_zip(
        tmp_path / "lean/minute/eurusd/20140505_quote.zip",
        ["0,1.1,1.2,1.0,1.15,0,1.1,1.2,1.0,1.15,0", "60000,1.1,1.12,1.0,1.15,0,1.1,1.2,1.0,1.15,0"],
    )
    with pytest.raises(CatalogInputError, match=r":2: bar bid_open/high/low/close 1.1/1.12/1.0/1.15 is inconsistent"):
        import_lean(tmp_path / "catalog", [bad])
    assert not (tmp_path / "catalog" / "data").exists()


def test_files_of_another_symbol_or_layout_are_refused(tmp_path: Path) -> None:
    other = write_lean_zip(tmp_path / "lean/tick/gbpusd/20140505_quote.zip", ["100,1.6,1.7"])
    with pytest.raises(CatalogInputError, match=r"LEAN symbol 'gbpusd' is not EUR/USD\.IDEALPRO"):
        import_lean(tmp_path / "catalog", [other])
    stray = write_lean_zip(tmp_path / "elsewhere/prices.zip", ["100,1.6,1.7"])
    with pytest.raises(CatalogInputError, match="not a LEAN quote file"):
        import_lean(tmp_path / "catalog", [stray])


def test_cli_import_prints_counts_and_a_bad_file_exits_2_with_one_line(lean_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        main,
        [
            "catalog",
            "import",
            "lean",
            "--catalog",
            str(tmp_path / "c"),
            str(lean_dir / "tick/eurusd/20140504_quote.zip"),
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert (
        f"quote_tick/EURUSD.IDEALPRO: {len(source_rows(lean_dir / 'tick/eurusd/20140504_quote.zip')):,} added"
        in ok.output
    )

    bad = write_lean_zip(tmp_path / "lean/tick/eurusd/20140505_quote.zip", ["1,x,1.1"])
    failed = runner.invoke(main, ["catalog", "import", "lean", "--catalog", str(tmp_path / "c"), str(bad)])
    assert failed.exit_code == 2
    assert failed.output.strip().splitlines()[-1] == f"error: {bad}:1: field 'bid' value 'x' is not a number"
    assert "Traceback" not in failed.output
