"""A vertical spread of SPY options as one combo (BAG) over a real socket, on both stacks, with IB's own
client: its quote is the legs' (a bull call spread costs less than its width), and it fills as one order with
an execution per option leg and the combo's own, a position per leg."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from ibapi.order import Order

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.combos import COMBO_CON_ID
from nautilus_node.simgateway.contracts import ContractSpec
from nautilus_node.simgateway.options import expirations

from .conftest import TWO_STACKS
from .ibapp import IBApp
from .test_gateway_combos_ibapi import fill_combo, two_leg_combo

pytestmark = pytest.mark.parametrize("gateway", TWO_STACKS, indirect=True)
WIDTH = 5.0


def bull_call_spread(gateway: SimulatedGateway) -> tuple[ContractSpec, ContractSpec]:
    """Buy the SPY call nearest the money of the second listed expiry, sell the one WIDTH above it."""
    chains = gateway.universe.options
    spy = chains.underlying_named("SPY")
    expiry = expirations(time.time())[1]
    spot = gateway.market.quote(spy, time.time()).mid
    low = min(chains.strikes(spy), key=lambda k: abs(k - spot))
    buy, sell = chains.option(spy, expiry, "C", low), chains.option(spy, expiry, "C", low + WIDTH)
    assert buy is not None and sell is not None, "the chain lists both strikes"
    return buy, sell


def test_a_vertical_spread_is_quoted_from_its_legs_and_fills_as_one_combo(gateway: SimulatedGateway, ib: IBApp) -> None:
    buy, sell = bull_call_spread(gateway)
    contract = two_leg_combo(buy, sell)
    ib.client.reqMktData(9, contract, "", False, False, [])
    bid = ib.wait_for("tickPrice", lambda a: a[0] == 9 and a[1] == 1)[-1][2]
    ask = ib.wait_for("tickPrice", lambda a: a[0] == 9 and a[1] == 2)[-1][2]
    assert 0 < bid < ask < WIDTH  # the lower call is worth more, by less than the strikes' width

    order = Order()
    order.action, order.totalQuantity, order.orderType, order.tif = "BUY", Decimal(1), "LMT", "DAY"
    order.lmtPrice = round(ask + 0.5, 2)
    _, execs = fill_combo(ib, contract, order)
    assert [(c.conId, c.secType, e.side, e.shares) for c, e in execs] == [
        (buy.con_id, "OPT", "BOT", Decimal(1)),
        (sell.con_id, "OPT", "SLD", Decimal(1)),
        (COMBO_CON_ID, "BAG", "BOT", Decimal(1)),
    ]
    leg_buy, leg_sell, combo = (e for _, e in execs)
    assert combo.price == pytest.approx(leg_buy.price - leg_sell.price)
    assert 0 < combo.price <= order.lmtPrice
    reports = ib.wait_for(
        "commissionAndFeesReport", lambda a: a[0].execId in {leg_buy.execId, leg_sell.execId}, count=2
    )
    assert all(r[0].commissionAndFees >= 0.65 for r in reports)  # IB's option commission, a contract a leg
    positions = {p.spec.con_id: p.quantity for p in gateway.broker.positions()}
    assert positions == {buy.con_id: Decimal(1), sell.con_id: Decimal(-1)}
