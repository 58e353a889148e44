"""Order conditions, trailing stops and what-if orders through IB's official ``EClient``/``EWrapper`` over a real
socket, on both stacks (text at 200, protobuf at 223). Prices are moved with the gateway's fault controller so
that each condition or trigger is reached (or not) on purpose."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from ibapi.order import Order
from ibapi.order_condition import (
    ExecutionCondition,
    MarginCondition,
    PercentChangeCondition,
    PriceCondition,
    TimeCondition,
    VolumeCondition,
)

from nautilus_node.simgateway import SimulatedGateway

from .conftest import TWO_STACKS
from .ibapp import IBApp, spy

pytestmark = pytest.mark.parametrize("gateway", TWO_STACKS, indirect=True)


def _order(action: str, qty: int, order_type: str = "MKT", **fields: object) -> Order:
    o = Order()
    o.action, o.totalQuantity, o.orderType, o.tif = action, Decimal(qty), order_type, "DAY"
    for name, value in fields.items():
        setattr(o, name, value)
    return o


def _spy_con_id(gateway: SimulatedGateway) -> int:
    return next(s.con_id for s in gateway.universe if s.local_symbol == "SPY")


def _mid(ib: IBApp, req_id: int = 1) -> float:
    ib.client.reqMktData(req_id, spy(), "", False, False, [])
    bid = ib.wait_for("tickPrice", lambda a: a[0] == req_id and a[1] == 1)[-1][2]
    ask = ib.wait_for("tickPrice", lambda a: a[0] == req_id and a[1] == 2)[-1][2]
    return round((bid + ask) / 2, 2)


def _status(ib: IBApp, order_id: int, *statuses: str, timeout: float = 30) -> str:
    return ib.wait_for("orderStatus", lambda a: a[0] == order_id and a[1] in statuses, timeout=timeout)[-1][1]


def _stays_unfilled(gateway: SimulatedGateway, order_id: int, seconds: float = 1.5) -> bool:
    """The order has no execution after ``seconds`` of quotes (a bounded wait for something not to happen)."""
    time.sleep(seconds)
    return all(ex.order_id != order_id for ex in gateway.broker.executions())


def _in_utc(seconds_from_now: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds_from_now)).strftime("%Y%m%d-%H:%M:%S")


def test_a_price_condition_holds_the_order_presubmitted_until_the_price_is_reached(
    gateway: SimulatedGateway, ib: IBApp
) -> None:
    mid = _mid(ib)
    oid = ib.of("nextValidId")[-1][0]
    condition = PriceCondition(0, _spy_con_id(gateway), "SMART", True, mid + 5)
    ib.client.placeOrder(oid, spy(), _order("BUY", 10, conditions=[condition]))
    assert _status(ib, oid, "PreSubmitted") == "PreSubmitted"
    assert _stays_unfilled(gateway, oid)
    echoed = ib.wait_for("openOrder", lambda a: a[0] == oid)[-1][2]
    assert [(type(c).__name__, c.isMore, c.price, c.conId) for c in echoed.conditions] == [
        ("PriceCondition", True, mid + 5, _spy_con_id(gateway))
    ]
    assert {a[1] for a in ib.of("orderStatus") if a[0] == oid} == {"PreSubmitted"}

    gateway.faults.set_price("SPY", mid + 10)
    assert _status(ib, oid, "Filled") == "Filled"
    fill = next(ex for ex in gateway.broker.executions() if ex.order_id == oid)
    assert fill.price >= mid + 5


def test_conditions_cancel_order_cancels_instead_of_working(gateway: SimulatedGateway, ib: IBApp) -> None:
    _mid(ib)
    oid = ib.of("nextValidId")[-1][0]
    order = _order("BUY", 10, conditions=[TimeCondition(True, _in_utc(1.5))], conditionsCancelOrder=True)
    ib.client.placeOrder(oid, spy(), order)
    assert _status(ib, oid, "PreSubmitted") == "PreSubmitted"
    assert _status(ib, oid, "Cancelled", "Filled") == "Cancelled"
    assert all(ex.order_id != oid for ex in gateway.broker.executions())


def test_or_joins_conditions_so_either_releases_the_order_and_and_needs_both(
    gateway: SimulatedGateway, ib: IBApp
) -> None:
    mid = _mid(ib)
    spy_id = _spy_con_id(gateway)
    oid = ib.of("nextValidId")[-1][0]
    unreachable = PriceCondition(0, spy_id, "SMART", True, mid + 1000).Or()
    ib.client.placeOrder(oid, spy(), _order("BUY", 1, conditions=[unreachable, TimeCondition(True, _in_utc(1))]))
    reachable = PriceCondition(8, spy_id, "SMART", False, mid + 1000).And()
    past = TimeCondition(False, _in_utc(-3600))  # "time is before an hour ago": never
    ib.client.placeOrder(oid + 1, spy(), _order("BUY", 1, conditions=[reachable, past]))

    assert _status(ib, oid, "Filled") == "Filled"
    assert _stays_unfilled(gateway, oid + 1)
    assert [a[1] for a in ib.of("orderStatus") if a[0] == oid + 1][-1] == "PreSubmitted"


def test_an_execution_condition_releases_the_order_once_the_symbol_trades(gateway: SimulatedGateway, ib: IBApp) -> None:
    _mid(ib)
    oid = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(oid, spy(), _order("SELL", 5, conditions=[ExecutionCondition("STK", "SMART", "SPY")]))
    assert _status(ib, oid, "PreSubmitted") == "PreSubmitted"
    assert _stays_unfilled(gateway, oid, seconds=1.0)
    ib.client.placeOrder(oid + 1, spy(), _order("BUY", 5))
    assert _status(ib, oid + 1, "Filled") == "Filled"
    assert _status(ib, oid, "Filled") == "Filled"


def test_a_margin_condition_compares_the_accounts_cushion(gateway: SimulatedGateway, ib: IBApp) -> None:
    _mid(ib)
    oid = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(oid, spy(), _order("BUY", 1, conditions=[MarginCondition(False, 10)]))  # cushion <= 10 %
    ib.client.placeOrder(oid + 1, spy(), _order("BUY", 1, conditions=[MarginCondition(True, 50)]))  # >= 50 %
    assert _status(ib, oid + 1, "Filled") == "Filled"
    assert _stays_unfilled(gateway, oid)


@pytest.mark.parametrize(
    ("condition", "name"),
    [
        (VolumeCondition(756733, "SMART", True, 1000), "Volume"),
        (PercentChangeCondition(756733, "SMART", True, 2.0), "PercentChange"),
    ],
)
def test_volume_and_percent_change_conditions_are_refused_with_ibs_text(ib: IBApp, condition, name: str) -> None:
    oid = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(oid, spy(), _order("BUY", 1, conditions=[condition]))
    assert ib.wait_error(201, req_id=oid)[3] == f"Order rejected - reason:{name} conditions are not supported"


def test_a_field_the_gateway_does_not_serve_refuses_the_order(gateway: SimulatedGateway, ib: IBApp) -> None:
    oid = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(oid, spy(), _order("BUY", 1, hidden=True))
    assert ib.wait_error(201, req_id=oid)[3] == "Order rejected - reason:The 'hidden' order attribute is not supported."
    assert gateway.broker.open_orders() == [] and gateway.broker.executions() == []


def _trail_stop(ib: IBApp, oid: int) -> float:
    """The order's stop price as reqOpenOrders shows it now."""
    seen = len([a for a in ib.of("openOrder") if a[0] == oid])
    ib.client.reqOpenOrders()
    return ib.wait_for("openOrder", lambda a: a[0] == oid, count=seen + 1)[-1][2].trailStopPrice


def test_a_trailing_stop_follows_the_market_up_and_sells_when_it_turns(gateway: SimulatedGateway, ib: IBApp) -> None:
    mid = _mid(ib)
    oid = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(oid, spy(), _order("SELL", 10, "TRAIL", auxPrice=1.0, tif="GTC"))
    assert _status(ib, oid, "Submitted") == "Submitted"
    first = _trail_stop(ib, oid)
    assert mid - 2 < first < mid

    gateway.faults.set_price("SPY", mid + 3)
    raised = _trail_stop(ib, oid)
    assert raised >= first + 2.5, (first, raised)  # the stop followed the bid up by about the move
    assert _stays_unfilled(gateway, oid, seconds=0.5)

    gateway.faults.set_price("SPY", raised - 1)
    assert _status(ib, oid, "Filled") == "Filled"
    fill = next(ex for ex in gateway.broker.executions() if ex.order_id == oid)
    assert fill.side == "SLD" and fill.price <= raised


def test_a_trailing_limit_by_percent_buys_at_its_offset_limit_when_the_market_turns_up(
    gateway: SimulatedGateway, ib: IBApp
) -> None:
    mid = _mid(ib)
    oid = ib.of("nextValidId")[-1][0]
    order = _order("BUY", 10, "TRAIL LIMIT", trailingPercent=0.5, lmtPriceOffset=0.5, tif="GTC")
    ib.client.placeOrder(oid, spy(), order)
    assert _status(ib, oid, "Submitted") == "Submitted"
    first = _trail_stop(ib, oid)
    assert mid < first < mid * 1.01
    echoed = ib.wait_for("openOrder", lambda a: a[0] == oid)[-1][2]
    assert (echoed.trailingPercent, echoed.lmtPriceOffset) == (0.5, 0.5)

    gateway.faults.set_price("SPY", mid - 5)
    lowered = _trail_stop(ib, oid)
    assert lowered <= first - 4, (first, lowered)
    gateway.faults.set_price("SPY", lowered + 0.2)
    assert _status(ib, oid, "Filled") == "Filled"
    fill = next(ex for ex in gateway.broker.executions() if ex.order_id == oid)
    assert fill.side == "BOT" and fill.price <= lowered + 0.5 + 1e-9


def test_a_what_if_order_answers_margin_and_commission_and_is_not_placed(gateway: SimulatedGateway, ib: IBApp) -> None:
    mid = _mid(ib)
    oid = ib.of("nextValidId")[-1][0]
    limit = round(mid - 1, 2)
    ib.client.placeOrder(oid, spy(), _order("BUY", 100, "LMT", lmtPrice=limit, whatIf=True))
    _, _, order, state = ib.wait_for("openOrder", lambda a: a[0] == oid)[0]
    assert order.whatIf and state.status == "PreSubmitted"
    assert float(state.initMarginBefore) == 0.0 and float(state.equityWithLoanBefore) > 0
    assert float(state.initMarginChange) == pytest.approx(100 * limit * 0.25, abs=0.01)
    assert float(state.maintMarginAfter) == pytest.approx(100 * limit * 0.25, abs=0.01)
    assert float(state.equityWithLoanChange) == pytest.approx(-1.0, abs=0.01)  # the commission
    assert (state.commissionAndFees, state.commissionAndFeesCurrency) == (1.0, "USD")
    time.sleep(1.0)
    assert [a for a in ib.of("orderStatus") if a[0] == oid] == []
    assert gateway.broker.open_orders() == [] and gateway.broker.executions() == []
