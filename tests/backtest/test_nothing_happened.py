"""A backtest never succeeds at nothing: what is missing exits 2 with one line naming it and `catalog list`; a
run that fills no order (none placed, or every one rejected) exits 1 saying why, and 0 with a warning only when
`--allow-empty` accepts it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from nautilus_node.cli import main

from .conftest import CATALOG

SEE = f"; see what the catalog holds: python3 -m uv run nautilus-node catalog list --catalog {CATALOG}"


def _backtest(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["backtest", str(config), "--strategy", "ema_cross", "--no-progress", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'bar_type = "EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL"',
            'bar_type = "EUR/USD.IDEALPRO-5-MINUTE-ASK-EXTERNAL"',
            "strategy strategies.ema_cross:EMACrossStrategy trades on bars EUR/USD.IDEALPRO-5-MINUTE-ASK-EXTERNAL, "
            "which no [[backtest.data]] provides (data: EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL, "
            "EUR/USD.IDEALPRO-1-MINUTE-ASK-EXTERNAL)",
        ),
        (
            'bar_types = ["EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL", "EUR/USD.IDEALPRO-1-MINUTE-ASK-EXTERNAL"]',
            'bar_types = ["EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL", "EUR/USD.IDEALPRO-5-MINUTE-ASK-EXTERNAL"]',
            "the catalog has no bars EUR/USD.IDEALPRO-5-MINUTE-ASK-EXTERNAL",
        ),
        (
            'instrument_id = "EUR/USD.IDEALPRO"\nbar_type = "EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL"',
            'instrument_id = "GBP/USD.IDEALPRO"\nbar_type = "EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL"',
            "strategy strategies.ema_cross:EMACrossStrategy trades GBP/USD.IDEALPRO, for which no [[backtest.data]] "
            "provides data (data: EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL, EUR/USD.IDEALPRO-1-MINUTE-ASK-EXTERNAL)",
        ),
    ],
    ids=["strategy-bar-type-not-in-data", "bar-type-not-in-catalog", "strategy-instrument-not-in-data"],
)
def test_what_the_run_would_miss_exits_2_in_one_line(
    backtest_config: Callable[..., Path], old: str, new: str, message: str
) -> None:
    config = backtest_config(old, new)
    code, output = _backtest(config)
    assert code == 2
    assert output == f"error: {config}: {message}{SEE}\n"


def test_an_instrument_missing_from_the_catalog_exits_2_in_one_line(backtest_config: Callable[..., Path]) -> None:
    config = backtest_config(
        'EUR/USD.IDEALPRO-1-MINUTE-ASK-EXTERNAL"]',
        'EUR/USD.IDEALPRO-1-MINUTE-ASK-EXTERNAL", "GBP/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL"]',
    )
    code, output = _backtest(config)
    assert code == 2
    assert output == f"error: {config}: instrument GBP/USD.IDEALPRO is not defined in {CATALOG}{SEE}\n"


def test_a_period_without_data_exits_2_naming_what_the_catalog_has(backtest_config: Callable[..., Path]) -> None:
    config = backtest_config()
    code, output = _backtest(config, "--start", "2020-01-01", "--end", "2020-01-02")
    assert code == 2
    assert output.startswith(
        f"error: {config}: no bars EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL in 2020-01-01 00:00 .. 2020-01-02 00:00 "
        "(the catalog has 2014-"
    )
    assert output.endswith(f"{SEE}\n")


def test_a_run_that_places_no_order_fails_saying_so_unless_allowed(backtest_config: Callable[..., Path]) -> None:
    config = backtest_config("min_gap_bps = 0.5", "min_gap_bps = 100000.0")
    code, output = _backtest(config, "--start", "2014-05-05", "--end", "2014-05-06")
    assert code == 1, output
    results = Path(re.search(r"^results\s+(\S+)$", output, re.MULTILINE)[1])
    stats = json.loads((results / "statistics.json").read_text())
    assert stats["orders"] == 0 and stats["events"] > 2000  # a day of BID and ASK minute bars
    said = f"the strategies saw {stats['events']:,} data points and placed no order"
    assert output.splitlines()[-1] == (
        f"error: {config}: {said} (results in {results}; --allow-empty accepts a run that fills nothing)"
    )

    code, output = _backtest(config, "--start", "2014-05-05", "--end", "2014-05-06", "--allow-empty")
    assert code == 0, output
    assert output.splitlines()[-1] == f"warning: {said}"


def test_a_run_whose_every_order_is_rejected_fails_with_the_first_reason(
    backtest_config: Callable[..., Path],
) -> None:
    config = backtest_config(
        'bar_types = ["EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL", "EUR/USD.IDEALPRO-1-MINUTE-ASK-EXTERNAL"]',
        'bar_types = ["EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL"]',  # no ASK: the venue cannot price a buy
    )
    code, output = _backtest(config, "--start", "2014-05-05", "--end", "2014-05-07")
    assert code == 1, output
    results = Path(re.search(r"^results\s+(\S+)$", output, re.MULTILINE)[1])
    orders = pd.read_csv(results / "orders.csv")
    assert len(orders) > 0 and set(orders["status"]) == {"REJECTED"}
    assert set(orders["reason"]) == {"no market for EUR/USD.IDEALPRO"}
    assert output.splitlines()[-1].startswith(
        f"error: {config}: no order filled: {len(orders)} orders ({len(orders)} rejected); first reasons: "
        f"'no market for EUR/USD.IDEALPRO' ({len(orders)}x) (bar execution needs both BID and ASK bars"
    )


def test_orders_csv_gives_no_reason_for_an_order_that_filled(backtest_config: Callable[..., Path]) -> None:
    code, output = _backtest(backtest_config(), "--start", "2014-05-05", "--end", "2014-05-06")
    assert code == 0, output
    results = Path(re.search(r"^results\s+(\S+)$", output, re.MULTILINE)[1])
    orders = pd.read_csv(results / "orders.csv", keep_default_na=False)
    assert set(orders["status"]) == {"FILLED"} and set(orders["reason"]) == {""}


@pytest.mark.parametrize(
    ("old", "new", "end_from"),
    [(None, "", "backtest.end"), ('end = "2014-05-16"', "", "the catalog's last data")],
    ids=["config-end", "catalog-end"],
)
def test_a_start_past_the_end_says_where_the_end_came_from(
    backtest_config: Callable[..., Path], old: str | None, new: str, end_from: str
) -> None:
    config = backtest_config(old, new)
    code, output = _backtest(config, "--start", "2014-05-20")
    assert code == 2
    assert output == (
        f"error: {config}: the end 2014-05-16 00:00 ({end_from}) is not after the start 2014-05-20 00:00 (--start); "
        "give a period with --start and --end\n"
    )
