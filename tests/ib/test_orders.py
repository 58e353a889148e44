"""`ib.orders`: IB's order vocabulary, and that each name the node offers is one NautilusTrader knows."""

from __future__ import annotations

import msgspec
import pytest
from nautilus_trader.model.enums import TimeInForce

from nautilus_node.ib.orders import IB_TIMES_IN_FORCE, TIMES_IN_FORCE
from nautilus_node.status.manual_orders import OrderRequest


def test_each_time_in_force_a_person_can_give_is_one_of_nautilus_traders() -> None:
    assert [TimeInForce[name].name for name in TIMES_IN_FORCE] == ["DAY", "GTC", "IOC", "FOK"]


def test_the_status_pages_orders_accept_exactly_those_times_in_force() -> None:
    for name in TIMES_IN_FORCE:
        request = msgspec.convert(
            {"instrument_id": "SPY.ARCA", "side": "BUY", "quantity": 1, "time_in_force": name}, OrderRequest
        )
        assert request.time_in_force == name
    with pytest.raises(msgspec.ValidationError, match="time_in_force"):
        msgspec.convert(
            {"instrument_id": "SPY.ARCA", "side": "BUY", "quantity": 1, "time_in_force": "GTD"}, OrderRequest
        )


def test_ib_also_has_good_till_date_which_only_ibs_own_clients_send_here() -> None:
    assert set(IB_TIMES_IN_FORCE) - set(TIMES_IN_FORCE) == {"GTD"}
