"""`order` refuses bad arguments with one line on stderr and exit code 2, before connecting to anything."""

from __future__ import annotations

import pytest

from tests.live.conftest import run_cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["HOLD", "100", "SPY.ARCA"], "error: side 'HOLD' must be BUY or SELL"),
        (["BUY", "0", "SPY.ARCA"], "error: quantity must be greater than 0, got 0"),
        (["BUY", "-100", "SPY.ARCA"], "error: quantity must be greater than 0, got -100"),
        (["BUY", "ten", "SPY.ARCA"], "error: quantity 'ten' is not a number"),
        (["BUY", "inf", "SPY.ARCA"], "error: quantity 'inf' is not a number"),
        (["BUY", "100", "SPY"], "error: instrument 'SPY': not an instrument id (SYMBOL.VENUE"),
        (["BUY", "100000", "EURUSD.IDEALPRO"], "error: instrument 'EURUSD.IDEALPRO': IDEALPRO trades FX pairs only"),
        (["BUY", "100", "SPY.ARCA", "--limit", "-5"], "error: --limit must be greater than 0, got -5"),
        (["BUY", "100", "SPY.ARCA", "--limit", "abc"], "error: --limit 'abc' is not a number"),
        (["BUY", "100", "SPY.ARCA", "--tif", "GTD"], "error: --tif 'GTD' must be one of DAY, GTC, IOC, FOK"),
        (["BUY", "100", "SPY.ARCA", "--timeout", "soon"], "error: --timeout 'soon' is not a number"),
    ],
)
def test_a_bad_argument_exits_2_with_one_line_naming_it(args: list[str], message: str) -> None:
    result = run_cli("order", *args, "--sim")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert "simulated IB Gateway" not in result.stdout, "nothing is started for a bad argument"


def test_side_and_time_in_force_are_accepted_in_any_case() -> None:
    # The first argument error after side and --tif is the quantity: so both were accepted.
    result = run_cli("order", "sell", "zero", "SPY.ARCA", "--tif", "gtc")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: quantity 'zero' is not a number"
