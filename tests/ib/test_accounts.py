"""`ib.accounts`: which ports and accounts are IB's live ones, and the default paper port, stated once."""

from __future__ import annotations

import pytest

from nautilus_node.ib.accounts import DEFAULT_PORT, is_paper_account, live_trading_problems
from nautilus_node.settings import GatewaySettings


def test_the_default_port_is_ib_gateways_paper_port_and_the_settings_default() -> None:
    assert DEFAULT_PORT == 4002 == GatewaySettings().port


@pytest.mark.parametrize("port", [4002, 7497])
def test_paper_ports_with_a_paper_account_are_no_problem(port: int) -> None:
    assert live_trading_problems(port, "DU1234567") == []
    assert live_trading_problems(port, None) == []


def test_live_ports_and_live_accounts_are_each_named() -> None:
    assert live_trading_problems(4001, "U7654321") == [
        "port 4001 is a live-trading port (paper: IB Gateway 4002, TWS 7497)",
        "account 'U7654321' is not a paper account (paper accounts start with DU)",
    ]
    assert live_trading_problems(7496, None) == ["port 7496 is a live-trading port (paper: IB Gateway 4002, TWS 7497)"]


def test_paper_accounts_start_with_du() -> None:
    assert is_paper_account("DU1234567") and not is_paper_account("U1234567") and not is_paper_account("du1")
