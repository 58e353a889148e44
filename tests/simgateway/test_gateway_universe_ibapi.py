"""The wider universe through IB's own client on both stacks: a continuous future's details are its front
month's, its history is stitched across the roll, and only the contracts a client asks about are priced."""

from __future__ import annotations

import time

import pytest
from ibapi.contract import Contract

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.bars import ROLL_PREMIUM

from .conftest import TWO_STACKS
from .ibapp import IBApp

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("gateway", TWO_STACKS, indirect=True)]


def _contfut(symbol: str, exchange: str) -> Contract:
    c = Contract()
    c.symbol, c.secType, c.exchange, c.currency = symbol, "CONTFUT", exchange, "USD"
    return c


def test_a_contfut_request_gets_the_front_months_details_as_a_contfut(gateway: SimulatedGateway, ib: IBApp) -> None:
    front = gateway.universe.front_month("NQ", "CME", time.time())
    ib.client.reqContractDetails(7, _contfut("NQ", "CME"))
    ib.wait_for("contractDetailsEnd", lambda a: a[0] == 7)
    [(_, details)] = ib.of("contractDetails")
    contract = details.contract
    assert (contract.secType, contract.conId, contract.localSymbol) == ("CONTFUT", front.con_id, front.local_symbol)
    assert (contract.lastTradeDateOrContractMonth, contract.multiplier) == (front.last_trade_date, "20")
    assert details.contractMonth == front.contract_month and details.minTick == 0.25
    ib.client.reqContractDetails(8, _contfut("QQ", "CME"))
    assert ib.wait_error(200, req_id=8)[3] == "No security definition has been found for the request"


def test_contfut_history_is_stitched_at_the_roll(gateway: SimulatedGateway, ib: IBApp) -> None:
    now = time.time()
    ib.client.reqHistoricalData(9, _contfut("CL", "NYMEX"), "", "40 D", "1 hour", "MIDPOINT", 0, 2, False, [])
    ib.wait_for("historicalDataEnd", lambda a: a[0] == 9, timeout=20)
    bars = [bar for _, bar in ib.of("historicalData")]
    assert len(bars) >= 40 * 24 - 1
    rolls = [since for since, _ in gateway.universe.continuous_months("CL", "NYMEX", now - 40 * 86400, now)[1:]]
    assert rolls
    for rolled_at in rolls:
        i = next(i for i, bar in enumerate(bars) if int(bar.date) >= rolled_at)
        assert bars[i].open / bars[i - 1].close - 1 == pytest.approx(ROLL_PREMIUM, abs=0.0004)


def test_only_the_contracts_asked_about_are_priced(gateway: SimulatedGateway, ib: IBApp) -> None:
    gbpusd = gateway.universe.by_local_symbol("GBP.USD")
    contract = Contract()
    contract.conId, contract.exchange = gbpusd.con_id, "IDEALPRO"
    ib.client.reqMktData(11, contract, "", False, False, [])
    ib.wait_for("tickPrice", lambda a: a[0] == 11, count=4)
    assert gateway.market.priced() == {gbpusd.con_id}  # of the whole universe, the one contract subscribed
