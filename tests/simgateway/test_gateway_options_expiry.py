"""Options held to expiry over a real socket, on the market clock the test moves: IB's own client buys calls,
sells a put and buys an out-of-the-money call; past Friday's close the in-the-money ones are exercised or
assigned into SPY at their strikes and the other expires worthless, with the positions and cash IB reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from ibapi.contract import Contract
from ibapi.order import Order

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.options import expiry_close

from .conftest import TWO_STACKS
from .ibapp import IBApp

EXPIRY = dt.date(2030, 1, 4)  # a Friday
WEDNESDAY_MORNING = dt.datetime(2030, 1, 2, 15, 0, tzinfo=dt.UTC).timestamp()
SPY_CON_ID = 756733


def _option(strike: float, right: str) -> Contract:
    c = Contract()
    c.symbol, c.secType, c.exchange, c.currency = "SPY", "OPT", "SMART", "USD"
    c.lastTradeDateOrContractMonth, c.strike, c.right, c.multiplier = f"{EXPIRY:%Y%m%d}", strike, right, "100"
    return c


def _market(action: str, quantity: int) -> Order:
    order = Order()
    order.action, order.orderType, order.totalQuantity, order.tif = action, "MKT", Decimal(quantity), "DAY"
    return order


def _cash(ib: IBApp, req_id: int) -> float:
    ib.client.reqAccountSummary(req_id, "All", "TotalCashValue")
    ib.wait_for("accountSummaryEnd", lambda a: a[0] == req_id)
    [value] = [float(a[3]) for a in ib.of("accountSummary") if a[0] == req_id and a[2] == "TotalCashValue"]
    ib.client.cancelAccountSummary(req_id)
    return value


@pytest.mark.parametrize("version", TWO_STACKS)
def test_an_option_held_to_expiry_is_exercised_assigned_or_expires_as_ib_settles_it(version: int) -> None:
    now = [WEDNESDAY_MORNING]
    with SimulatedGateway(port=0, seed=7, tick_interval=0.1, clock=lambda: now[0], server_version=version) as gw:
        ib = IBApp().connect(gw.port)
        try:
            gw.faults.set_price("SPY", 590.0)
            legs = [(_option(580, "C"), "BUY", 2), (_option(600, "P"), "SELL", 1), (_option(620, "C"), "BUY", 3)]
            for order_id, (contract, action, quantity) in enumerate(legs, start=ib.of("nextValidId")[0][0]):
                ib.client.placeOrder(order_id, contract, _market(action, quantity))
            fills = ib.wait_for("execDetails", count=3, timeout=20)
            assert {(c.strike, c.right, e.side, e.shares) for _, c, e in fills} == {
                (580.0, "C", "BOT", Decimal(2)),
                (600.0, "P", "SLD", Decimal(1)),
                (620.0, "C", "BOT", Decimal(3)),
            }
            cash_at_expiry = _cash(ib, 901)
            ib.client.reqPositions()
            ib.wait_for("positionEnd")

            now[0] = expiry_close(EXPIRY) + 60  # a minute past Friday's close
            removed = ib.wait_for("position", lambda a: a[1].secType == "OPT" and a[2] == 0, count=3, timeout=20)
            assert {(a[1].strike, a[1].right) for a in removed} == {(580.0, "C"), (600.0, "P"), (620.0, "C")}
            # 2 calls at 580 exercised (+200 shares), the short 600 put assigned (+100 shares)
            stock = ib.wait_for("position", lambda a: a[1].conId == SPY_CON_ID and a[2] == Decimal(300), timeout=20)
            assert stock[-1][3] == pytest.approx((200 * 580 + 100 * 600) / 300)  # average cost: the strikes
            assert _cash(ib, 902) == pytest.approx(cash_at_expiry - 200 * 580 - 100 * 600, abs=0.01)
            assert len(ib.of("execDetails")) == 3  # a clearing event, not a trade: no execution reported

            option_positions = [p for p in gw.broker.positions() if p.spec.sec_type == "OPT"]
            assert option_positions == []
        finally:
            ib.disconnect()
