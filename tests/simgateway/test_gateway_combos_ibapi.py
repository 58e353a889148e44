"""Combos (BAG) through IB's official ``EClient``/``EWrapper`` over a real socket, on both stacks: an ES calendar
spread's quotes come from its legs, and an order for it fills leg by leg, with an execDetails per leg and one for
the combo itself, a commission report per leg, and a position per leg.

The spreads are built from two leg con ids (:func:`two_leg_combo`), so any pair of contracts the universe lists
(e.g. two options for a vertical) is one more entry in ``SPREADS``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from ibapi.contract import ComboLeg, Contract
from ibapi.execution import Execution
from ibapi.order import Order
from ibapi.tag_value import TagValue

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.combos import COMBO_CON_ID
from nautilus_node.simgateway.contracts import ContractSpec

from .conftest import TWO_STACKS
from .ibapp import IBApp

pytestmark = pytest.mark.parametrize("gateway", TWO_STACKS, indirect=True)


def two_leg_combo(buy: ContractSpec, sell: ContractSpec) -> Contract:
    """The BAG contract that buys one of ``buy`` and sells one of ``sell``, each leg on its own exchange."""
    c = Contract()
    c.symbol, c.secType, c.exchange, c.currency = buy.symbol, "BAG", buy.exchange, buy.currency
    legs = []
    for spec, action in ((buy, "BUY"), (sell, "SELL")):
        leg = ComboLeg()
        leg.conId, leg.ratio, leg.action, leg.exchange = spec.con_id, 1, action, spec.exchange
        legs.append(leg)
    c.comboLegs = legs
    return c


def fill_combo(ib: IBApp, contract: Contract, order: Order) -> tuple[int, list[tuple[Contract, Execution]]]:
    """Place ``order`` for the combo, wait until it is filled: its order id and its executions in arrival order."""
    oid = ib.of("nextValidId")[-1][0]
    ib.client.placeOrder(oid, contract, order)
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Filled", timeout=30)
    return oid, [(a[1], a[2]) for a in ib.of("execDetails") if a[2].orderId == oid]


def es_calendar(gateway: SimulatedGateway) -> tuple[ContractSpec, ContractSpec]:
    """Buy the front ES month, sell the next one."""
    front, back = sorted((s for s in gateway.universe if s.symbol == "ES"), key=lambda s: s.last_trade_date)[:2]
    return front, back


SPREADS: list[Callable[[SimulatedGateway], tuple[ContractSpec, ContractSpec]]] = [es_calendar]


@pytest.fixture(params=SPREADS, ids=lambda f: f.__name__)
def legs(request: pytest.FixtureRequest, gateway: SimulatedGateway) -> tuple[ContractSpec, ContractSpec]:
    return request.param(gateway)


def _bag_quote(ib: IBApp, contract: Contract, req_id: int = 9) -> tuple[float, float]:
    ib.client.reqMktData(req_id, contract, "", False, False, [])
    bid = ib.wait_for("tickPrice", lambda a: a[0] == req_id and a[1] == 1)[-1][2]
    ask = ib.wait_for("tickPrice", lambda a: a[0] == req_id and a[1] == 2)[-1][2]
    return bid, ask


def test_a_combos_quote_is_priced_from_its_legs(gateway: SimulatedGateway, ib: IBApp, legs) -> None:
    buy, sell = legs
    gateway.faults.set_price(buy.local_symbol, 5800.0)
    gateway.faults.set_price(sell.local_symbol, 5830.0)
    bid, ask = _bag_quote(ib, two_leg_combo(buy, sell))
    assert bid < ask
    assert -40 < (bid + ask) / 2 < -20  # about 5800 - 5830, the legs walking on since
    ticks = [a for a in ib.of("tickPrice") if a[0] == 9]
    ib.wait_for("tickPrice", lambda a: a[0] == 9 and a[1] == 1, count=len(ticks) + 3)  # it streams with the legs


def test_a_combo_order_fills_leg_by_leg_as_ib_reports_it(gateway: SimulatedGateway, ib: IBApp, legs) -> None:
    buy, sell = legs
    contract = two_leg_combo(buy, sell)
    _, ask = _bag_quote(ib, contract)
    order = Order()
    order.action, order.totalQuantity, order.orderType, order.tif = "BUY", Decimal(2), "LMT", "DAY"
    order.lmtPrice = ask + 5 * buy.min_tick
    order.smartComboRoutingParams = [TagValue("NonGuaranteed", "1")]
    oid, execs = fill_combo(ib, contract, order)
    assert [(c.conId, c.secType, e.side, e.shares) for c, e in execs] == [
        (buy.con_id, "FUT", "BOT", Decimal(2)),
        (sell.con_id, "FUT", "SLD", Decimal(2)),
        (COMBO_CON_ID, "BAG", "BOT", Decimal(2)),
    ]
    leg_buy, leg_sell, combo = (e for _, e in execs)
    assert combo.price == pytest.approx(leg_buy.price - leg_sell.price)
    assert combo.price <= order.lmtPrice
    status = [a for a in ib.of("orderStatus") if a[0] == oid and a[1] == "Filled"][-1]
    assert status[4] == pytest.approx(combo.price)  # avgFillPrice: the combo's net price
    reports = ib.wait_for(
        "commissionAndFeesReport", lambda a: a[0].execId in {leg_buy.execId, leg_sell.execId}, count=2
    )
    assert {r[0].execId for r in reports} == {leg_buy.execId, leg_sell.execId}
    assert all(r[0].commissionAndFees > 0 for r in reports)
    assert all(a[0].execId != combo.execId for a in ib.of("commissionAndFeesReport"))

    positions = {p.spec.con_id: p.quantity for p in gateway.broker.positions()}
    assert positions == {buy.con_id: Decimal(2), sell.con_id: Decimal(-2)}
    echoed = ib.wait_for("openOrder", lambda a: a[0] == oid)[-1][1]
    assert [(leg.conId, leg.action) for leg in echoed.comboLegs] == [(buy.con_id, "BUY"), (sell.con_id, "SELL")]


def test_a_combo_without_legs_or_with_an_unknown_leg_is_refused(gateway: SimulatedGateway, ib: IBApp) -> None:
    oid = ib.of("nextValidId")[-1][0]
    order = Order()
    order.action, order.totalQuantity, order.orderType = "BUY", Decimal(1), "MKT"
    bare = Contract()
    bare.symbol, bare.secType, bare.exchange, bare.currency = "ES", "BAG", "CME", "USD"
    ib.client.placeOrder(oid, bare, order)
    assert ib.wait_error(321, req_id=oid)[3].endswith("Security type 'BAG' requires combo leg details.")
    front, _ = es_calendar(gateway)
    unknown = ContractSpec(**{**{f: getattr(front, f) for f in front.__dataclass_fields__}, "con_id": 1})
    ib.client.placeOrder(oid + 1, two_leg_combo(front, unknown), order)
    ib.wait_error(200, req_id=oid + 1)
    order.smartComboRoutingParams = [TagValue("LeginPrio", "0")]
    es_front, es_back = es_calendar(gateway)
    ib.client.placeOrder(oid + 2, two_leg_combo(es_front, es_back), order)
    refused = "Order rejected - reason:The 'smartComboRoutingParams.LeginPrio' order attribute is not supported."
    assert ib.wait_error(201, req_id=oid + 2)[3] == refused
    assert gateway.broker.executions() == []
