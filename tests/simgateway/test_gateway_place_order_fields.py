"""placeOrder read whole on both stacks: what IB's own ``EClient`` writes at each server version (text 157..202,
protobuf 203..226) parses to the same request, the fields the gateway acts on land where they belong, and any
other field set is named in ``unserved`` (the gateway refuses the order with IB's text instead of dropping it)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ibapi.client import EClient
from ibapi.contract import ComboLeg, Contract
from ibapi.order import Order
from ibapi.order_condition import ExecutionCondition, MarginCondition, PriceCondition, TimeCondition
from ibapi.tag_value import TagValue

from nautilus_node.simgateway import place_order as po
from nautilus_node.simgateway import proto_requests
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.codec import ProtoRequest
from nautilus_node.simgateway.handlers.orders import unserved_field_error
from nautilus_node.simgateway.versions import MAX_VERSION, MIN_VERSION, Feature, wire

from .ibapp import spy
from .wire_stacks import client_bytes, server_events

TEXT_PLACE_ORDER_VERSIONS = range(MIN_VERSION, Feature.PROTOBUF_PLACE_ORDER)
PROTOBUF_PLACE_ORDER_VERSIONS = range(Feature.PROTOBUF_PLACE_ORDER, MAX_VERSION + 1)
ALL_VERSIONS = [*TEXT_PLACE_ORDER_VERSIONS, *PROTOBUF_PLACE_ORDER_VERSIONS]


def parsed(version: int, contract: Contract, order: Order) -> po.PlaceOrderRequest:
    """What the gateway reads of ``EClient.placeOrder(7, contract, order)`` at ``version``."""
    (event,) = server_events(version, client_bytes(version, lambda c: EClient.placeOrder(c, 7, contract, order)))
    if isinstance(event, ProtoRequest):
        return proto_requests.parse_place_order(event.body)
    return po.parse_place_order(event.fields, wire(version))


def _order(**fields: object) -> Order:
    o = Order()
    o.action, o.totalQuantity, o.orderType, o.tif = "BUY", Decimal(3), "MKT", "DAY"
    for name, value in fields.items():
        setattr(o, name, value)
    return o


def _conditions() -> list:
    price = PriceCondition(8, 756733, "SMART", True, 612.25)
    time = TimeCondition(False, "20300102 15:30:00 US/Eastern")
    time.Or()
    return [price, time, MarginCondition(True, 30), ExecutionCondition("STK", "SMART", "QQQ")]


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_a_plain_order_has_no_unserved_field(version: int) -> None:
    req = parsed(version, spy(), _order())
    assert (req.order_id, req.action, req.quantity, req.order_type, req.tif) == (7, "BUY", Decimal(3), "MKT", "DAY")
    assert req.unserved == () and req.conditions == () and not req.what_if


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_conditions_trailing_and_what_if_fields_are_read(version: int) -> None:
    order = _order(
        orderType="TRAIL LIMIT",
        trailingPercent=1.5,
        trailStopPrice=590.0,
        lmtPriceOffset=0.25,
        triggerMethod=8,
        whatIf=True,
        conditions=_conditions(),
        conditionsIgnoreRth=True,
        conditionsCancelOrder=True,
    )
    req = parsed(version, spy(), order)
    assert (req.trailing_percent, req.trail_stop_price, req.lmt_price_offset) == (1.5, 590.0, 0.25)
    assert (req.trigger_method, req.what_if, req.unserved) == (8, True, ())
    assert req.conditions_ignore_rth and req.conditions_cancel_order
    price, time, margin, execution = req.conditions
    assert (price.kind, price.con_id, price.exchange, price.is_more, float(price.value), price.trigger_method) == (
        po.PRICE,
        756733,
        "SMART",
        True,
        612.25,
        8,
    )
    assert price.conjunction_and and not time.conjunction_and
    assert (time.kind, time.is_more, time.value) == (po.TIME, False, "20300102 15:30:00 US/Eastern")
    assert (margin.kind, margin.is_more, float(margin.value)) == (po.MARGIN, True, 30.0)
    assert (execution.kind, execution.sec_type, execution.exchange, execution.symbol) == (
        po.EXECUTION,
        "STK",
        "SMART",
        "QQQ",
    )


def _bag() -> Contract:
    c = Contract()
    c.symbol, c.secType, c.exchange, c.currency = "ES", "BAG", "CME", "USD"
    legs = []
    for con_id, action in ((111, "BUY"), (222, "SELL")):
        leg = ComboLeg()
        leg.conId, leg.ratio, leg.action, leg.exchange = con_id, 1, action, "CME"
        legs.append(leg)
    c.comboLegs = legs
    return c


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_combo_legs_and_smart_combo_routing_params_are_read(version: int) -> None:
    order = _order(orderType="LMT", lmtPrice=-1.25, smartComboRoutingParams=[TagValue("NonGuaranteed", "1")])
    req = parsed(version, _bag(), order)
    assert req.combo_legs == (rq.ComboLeg(111, 1, "BUY", "CME"), rq.ComboLeg(222, 1, "SELL", "CME"))
    assert (req.combo_params, req.lmt_price, req.unserved) == ((("NonGuaranteed", "1"),), -1.25, ())


UNSERVED = [
    ("hidden", True),
    ("allOrNone", True),
    ("goodAfterTime", "20300102 10:00:00 US/Eastern"),
    ("displaySize", 100),
    ("algoStrategy", "Adaptive"),
    ("faGroup", "grp"),
    ("modelCode", "model"),
    ("scaleInitLevelSize", 100),
    ("hedgeType", "B"),
    ("notHeld", True),
    ("cashQty", 1000.0),
    ("minQty", 10),
    ("discretionaryAmt", 0.1),
    ("volatility", 0.2),
    ("activeStartTime", "20300102 10:00:00 US/Eastern"),
    ("orderMiscOptions", [TagValue("a", "b")]),
]


@pytest.mark.parametrize("version", [200, Feature.PROTOBUF_PLACE_ORDER, MAX_VERSION])
@pytest.mark.parametrize(("name", "value"), UNSERVED, ids=[n for n, _ in UNSERVED])
def test_a_field_the_gateway_does_not_serve_is_named_not_dropped(version: int, name: str, value: object) -> None:
    req = parsed(version, spy(), _order(**{name: value}))
    assert req.unserved == (name,)


def test_unserved_fields_are_refused_in_ibs_words() -> None:
    refused = "Order rejected - reason:The 'hidden' order attribute is not supported."
    assert unserved_field_error("hidden") == (201, refused)
    assert unserved_field_error("eTradeOnly") == (10268, "The 'EtradeOnly' order attribute is not supported.")
    assert unserved_field_error("nbboPriceCap") == (10270, "The 'nbboPriceCap' order attribute is not supported.")
