"""`catalog list`: instruments, data types, time ranges and counts, read from the catalog's files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from nautilus_node.catalog.importer import import_lean
from nautilus_node.catalog.listing import entries
from nautilus_node.cli import main
from tests.catalog.conftest import REPO, source_rows


def test_entries_give_counts_and_ranges_of_each_data_directory(lean_dir: Path, tmp_path: Path) -> None:
    tick, minute = lean_dir / "tick/eurusd/20140504_quote.zip", lean_dir / "minute/eurusd/20140504_quote.zip"
    import_lean(tmp_path, [tick, minute])

    found = {(e.data_type, e.identifier): e for e in entries(tmp_path)}

    ticks = source_rows(tick)
    quotes = found[("quote_tick", "EUR/USD.IDEALPRO")]
    day = pd.Timestamp("2014-05-04", tz="UTC").value
    assert (quotes.rows, quotes.first, quotes.last) == (
        len(ticks),
        day + int(ticks[0][0]) * 10**6,
        day + int(ticks[-1][0]) * 10**6,
    )
    assert found[("bar", "EUR/USD.IDEALPRO-1-MINUTE-ASK-EXTERNAL")].rows == len(source_rows(minute))
    assert found[("currency_pair", "EUR/USD.IDEALPRO")].rows == 1


def test_list_command_shows_the_shipped_catalog() -> None:
    result = CliRunner().invoke(main, ["catalog", "list", "--catalog", str(REPO / "catalog")])
    assert result.exit_code == 0, result.output
    assert "CurrencyPair EUR/USD.IDEALPRO" in result.output
    assert "quote_tick     EUR/USD.IDEALPRO" in result.output
    assert "532,903  2014-05-01 00:00:00.292" in result.output
    assert "EUR/USD.IDEALPRO-1-HOUR-BID-EXTERNAL" in result.output


def test_list_of_a_folder_that_is_no_catalog_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["catalog", "list", "--catalog", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {tmp_path}: not a catalog (no data/ folder)"
