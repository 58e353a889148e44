"""Order links as plain function calls: held (untransmitted) orders, parent/child brackets, OCA groups and
GTD expiry in the broker, placeOrder's goodTillDate/ocaType as IB's ``EClient`` writes them, and the
openOrder echo of those links as IB's ``Decoder`` reads it, at every server version 157..200."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from ibapi.order import Order as IbOrder

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import place_order as po
from nautilus_node.simgateway.broker import Broker, Event, Fill, OrderError, OrderRequest
from nautilus_node.simgateway.contracts import Universe, build_universe
from nautilus_node.simgateway.market import Quote
from nautilus_node.simgateway.versions import MIN_VERSION, TEXT_MAX_VERSION, wire

from .ibapp import spy
from .test_gateway_versions import client_requests, decoded

UNIVERSE = Universe(build_universe(dt.date(2025, 11, 25)))
SPY = UNIVERSE.by_con_id(756733)
CALM = Quote(99.50, 99.60, 10, 10, 0.0)
NOON = dt.datetime(2030, 1, 2, 12, 0, tzinfo=dt.UTC).timestamp()


def _req(order_id: int, action: str, qty: int, order_type: str = "LMT", **kw) -> OrderRequest:
    return OrderRequest(order_id, 1, SPY, action, Decimal(qty), order_type, **kw)


def _statuses(events: list[Event]) -> list[tuple[int, str]]:
    """(order id, status) of each event, fills marked as ``fill``."""
    return [(e.order.order_id, "fill" if isinstance(e, Fill) else e.order.status) for e in events]


def _status(broker: Broker, order_id: int) -> str:
    order = broker.order(1, order_id)
    assert order is not None
    return order.status


def _bracket(broker: Broker) -> list[Event]:
    """IB's documented bracket: BUY LMT 99.00 parent, SELL LMT 101.00 take-profit, SELL STP 98.00 stop;
    only the last is sent with transmit=True."""
    events = broker.place(_req(1, "BUY", 100, lmt_price=99.0, tif="GTC", transmit=False), CALM, 0)
    events += broker.place(_req(2, "SELL", 100, lmt_price=101.0, tif="GTC", parent_id=1, transmit=False), CALM, 0)
    events += broker.place(_req(3, "SELL", 100, "STP", aux_price=98.0, tif="GTC", parent_id=1), CALM, 0)
    return events


# --- held orders ---------------------------------------------------------------------------------------
def test_an_untransmitted_order_is_presubmitted_and_never_fills_until_transmitted() -> None:
    broker = Broker("DU1")
    events = broker.place(_req(1, "BUY", 10, "MKT", transmit=False), CALM, 0)
    assert _statuses(events) == [(1, "PreSubmitted")]
    assert broker.on_quote(SPY, Quote(99.0, 99.1, 10, 10, 1), 1) == []
    assert broker.executions() == []

    events = broker.place(_req(1, "BUY", 10, "MKT", transmit=True), CALM, 2)
    assert _statuses(events) == [(1, "Submitted"), (1, "fill")]
    assert events[-1].execution.price == CALM.ask


def test_the_last_child_with_transmit_sends_the_held_parent_and_its_held_children() -> None:
    broker = Broker("DU1")
    events = _bracket(broker)
    assert _statuses(events) == [
        (1, "PreSubmitted"),
        (2, "PreSubmitted"),
        (3, "PreSubmitted"),
        (1, "Submitted"),
    ]
    assert [o.held for o in sorted(broker.open_orders(), key=lambda o: o.order_id)] == [False, False, False]


# --- parent and children -------------------------------------------------------------------------------
def test_children_stay_inactive_until_the_parent_fills_then_work() -> None:
    broker = Broker("DU1")
    _bracket(broker)
    # The stop's condition (bid <= 98.00) holds, but its parent has not filled: nothing happens.
    assert broker.on_quote(SPY, Quote(97.90, 99.10, 10, 10, 1), 1) == []
    assert [_status(broker, i) for i in (1, 2, 3)] == ["Submitted", "PreSubmitted", "PreSubmitted"]

    events = broker.on_quote(SPY, Quote(98.90, 99.00, 10, 10, 2), 2)
    assert _statuses(events) == [(1, "fill"), (2, "Submitted"), (3, "Submitted")]
    assert [_status(broker, i) for i in (1, 2, 3)] == ["Filled", "Submitted", "Submitted"]


def test_a_child_released_by_its_parents_fill_fills_on_that_same_quote() -> None:
    broker = Broker("DU1")
    broker.place(_req(1, "BUY", 100, lmt_price=99.0, tif="GTC"), CALM, 0)
    broker.place(_req(2, "SELL", 100, "STP", aux_price=99.0, tif="GTC", parent_id=1), CALM, 0)
    events = broker.on_quote(SPY, Quote(98.90, 99.00, 10, 10, 1), 1)
    assert _statuses(events) == [(1, "fill"), (2, "Submitted"), (2, "fill")]
    assert events[-1].execution.price == 98.90
    assert broker.positions() == []


def test_when_one_child_fills_its_open_siblings_are_cancelled() -> None:
    broker = Broker("DU1")
    _bracket(broker)
    broker.on_quote(SPY, Quote(98.90, 99.00, 10, 10, 1), 1)
    events = broker.on_quote(SPY, Quote(101.00, 101.10, 10, 10, 2), 2)
    assert _statuses(events) == [(2, "fill"), (3, "Cancelled")]
    assert events[0].execution.price == 101.0
    assert broker.open_orders() == [] and broker.positions() == []


def test_cancelling_the_parent_cancels_its_open_children() -> None:
    broker = Broker("DU1")
    _bracket(broker)
    assert _statuses(broker.cancel(1, 1)) == [(1, "Cancelled"), (2, "Cancelled"), (3, "Cancelled")]
    assert broker.open_orders() == []


def test_an_ioc_parent_that_cannot_fill_takes_its_children_with_it() -> None:
    broker = Broker("DU1")
    broker.place(_req(1, "BUY", 100, lmt_price=90.0, tif="IOC", transmit=False), CALM, 0)
    events = broker.place(_req(2, "SELL", 100, lmt_price=101.0, tif="GTC", parent_id=1), CALM, 0)
    assert _statuses(events) == [(2, "PreSubmitted"), (1, "Submitted"), (1, "Cancelled"), (2, "Cancelled")]


def test_global_cancel_reports_each_order_of_a_bracket_once() -> None:
    broker = Broker("DU1")
    _bracket(broker)
    assert sorted(_statuses(broker.cancel_all())) == [(1, "Cancelled"), (2, "Cancelled"), (3, "Cancelled")]


def test_a_child_of_an_unknown_or_cancelled_parent_is_refused_with_201() -> None:
    broker = Broker("DU1")
    with pytest.raises(OrderError) as exc:
        broker.place(_req(5, "SELL", 10, lmt_price=101.0, parent_id=4), CALM, 0)
    assert exc.value.code == 201 and "Parent order 4 was not found" in exc.value.message
    broker.place(_req(6, "BUY", 10, lmt_price=90.0), CALM, 0)
    broker.cancel(1, 6)
    with pytest.raises(OrderError) as exc:
        broker.place(_req(7, "SELL", 10, lmt_price=101.0, parent_id=6), CALM, 0)
    assert exc.value.code == 201 and "Parent order 6 is cancelled" in exc.value.message
    assert broker.open_orders() == []


def test_a_modification_keeps_the_childs_link_to_its_parent() -> None:
    broker = Broker("DU1")
    _bracket(broker)
    events = broker.place(_req(2, "SELL", 100, lmt_price=100.0, tif="GTC"), CALM, 1)
    assert _statuses(events) == [(2, "PreSubmitted")]
    assert broker.order(1, 2).request.parent_id == 1


# --- OCA groups ----------------------------------------------------------------------------------------
def _oca(broker: Broker, oca_type: int) -> None:
    for order_id, qty, price in ((1, 100, 99.0), (2, 300, 98.0), (3, 100, 97.0)):
        req = _req(order_id, "BUY", qty, lmt_price=price, tif="GTC", oca_group="exit-7", oca_type=oca_type)
        broker.place(req, CALM, 0)


def test_oca_type_1_cancels_the_other_members_when_one_fills() -> None:
    broker = Broker("DU1")
    _oca(broker, 1)
    events = broker.on_quote(SPY, Quote(98.90, 99.00, 10, 10, 1), 1)
    assert _statuses(events) == [(1, "fill"), (2, "Cancelled"), (3, "Cancelled")]


@pytest.mark.parametrize("oca_type", [2, 3, 0])
def test_oca_reducing_types_cut_the_others_by_the_filled_quantity(oca_type: int) -> None:
    broker = Broker("DU1")
    _oca(broker, oca_type)
    events = broker.on_quote(SPY, Quote(98.90, 99.00, 10, 10, 1), 1)
    assert _statuses(events) == [(1, "fill"), (2, "Submitted"), (3, "Cancelled")]
    assert events[1].order.request.quantity == Decimal(200)
    assert [(o.order_id, o.remaining) for o in broker.open_orders()] == [(2, Decimal(200))]


def test_cancelling_one_oca_member_by_hand_leaves_the_others_working() -> None:
    broker = Broker("DU1")
    _oca(broker, 1)
    assert _statuses(broker.cancel(1, 2)) == [(2, "Cancelled")]
    assert sorted(o.order_id for o in broker.open_orders()) == [1, 3]


def test_oca_groups_span_the_clients_of_the_account() -> None:
    broker = Broker("DU1")
    broker.place(_req(1, "BUY", 100, lmt_price=90.0, tif="GTC", oca_group="g", oca_type=1), CALM, 0)
    other = OrderRequest(1, 2, SPY, "BUY", Decimal(100), "MKT", oca_group="g", oca_type=1)
    events = broker.place(other, CALM, 0)
    assert [(e.order.client_id, e.order.order_id, e.order.status) for e in events] == [
        (2, 1, "Submitted"),
        (2, 1, "Filled"),
        (1, 1, "Cancelled"),
    ]


# --- GTD -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "good_till",
    ["20300102 12:00:00 UTC", "20300102-12:00:00", "20300102 07:00:00 US/Eastern", "20300102 12:00:00"],
)
def test_a_gtd_order_works_until_its_date_then_is_cancelled(good_till: str) -> None:
    broker = Broker("DU1")
    broker.place(_req(1, "BUY", 10, lmt_price=90.0, tif="GTD", good_till_date=good_till), CALM, NOON - 60)
    broker.place(_req(2, "SELL", 10, lmt_price=110.0, tif="GTC", parent_id=1), CALM, NOON - 60)
    assert broker.expire(NOON - 1) == []
    assert _statuses(broker.expire(NOON)) == [(1, "Cancelled"), (2, "Cancelled")]
    assert broker.expire(NOON + 1) == []


def test_a_gtd_order_past_its_date_is_cancelled_before_a_quote_could_fill_it() -> None:
    broker = Broker("DU1")
    broker.place(_req(1, "BUY", 10, lmt_price=99.0, tif="GTD", good_till_date="20300102-12:00:00"), CALM, NOON - 60)
    events = broker.on_quote(SPY, Quote(98.0, 98.1, 10, 10, NOON), NOON)
    assert _statuses(events) == [(1, "Cancelled")] and broker.executions() == []


@pytest.mark.parametrize(
    ("good_till", "reason"),
    [
        ("", "goodTillDate is required for time in force GTD"),
        ("next friday", "Invalid goodTillDate 'next friday'"),
        ("20300102 12:00:00 Mars/Olympus", "Invalid goodTillDate"),
        ("20300102 11:59:00 UTC", "goodTillDate '20300102 11:59:00 UTC' is in the past"),
    ],
)
def test_gtd_without_a_valid_future_date_is_refused_with_201(good_till: str, reason: str) -> None:
    broker = Broker("DU1")
    with pytest.raises(OrderError) as exc:
        broker.place(_req(1, "BUY", 10, lmt_price=90.0, tif="GTD", good_till_date=good_till), CALM, NOON)
    assert exc.value.code == 201 and reason in exc.value.message
    assert broker.open_orders() == []


# --- the wire ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", range(MIN_VERSION, TEXT_MAX_VERSION + 1))
def test_place_order_reads_links_and_gtd_as_the_official_client_writes_them(version: int) -> None:
    order = IbOrder()
    order.action, order.totalQuantity, order.orderType, order.lmtPrice = "SELL", Decimal(7), "LMT", 580.5
    order.tif, order.goodTillDate = "GTD", "20300102 12:00:00 US/Eastern"
    order.ocaGroup, order.ocaType, order.parentId, order.transmit = "exits", 2, 41, False
    order.orderRef, order.outsideRth = "ref:42", True
    order.faGroup, order.modelCode = "grp", "model"  # fields between goodTillDate and ocaType: must be skipped

    ((_, fields),) = client_requests(version, lambda client: client.placeOrder(42, spy(), order))
    placed = po.parse_place_order(fields, wire(version))
    assert (placed.tif, placed.good_till_date, placed.oca_group, placed.oca_type) == (
        "GTD",
        "20300102 12:00:00 US/Eastern",
        "exits",
        2,
    )
    assert (placed.parent_id, placed.transmit, placed.order_ref, placed.outside_rth) == (41, False, "ref:42", True)


@pytest.mark.parametrize("version", range(MIN_VERSION, TEXT_MAX_VERSION + 1))
def test_open_order_echoes_the_links_and_goodtilldate(version: int) -> None:
    broker = Broker("DU1234567")
    broker.place(_req(1, "BUY", 10, lmt_price=90.0, transmit=False), CALM, NOON)
    good_till = "20300103-12:00:00"
    child = _req(2, "SELL", 10, lmt_price=110.0, tif="GTD", good_till_date=good_till, parent_id=1, oca_group="exits")
    broker.place(dataclasses.replace(child, oca_type=1), CALM, NOON)
    plain = broker.place(_req(3, "BUY", 10, lmt_price=90.0), CALM, NOON)[-1].order

    [(_, (_, _, echoed, state))] = decoded(version, m.open_order(broker.order(1, 2), "DU1234567", wire(version)))
    assert (echoed.parentId, echoed.ocaGroup, echoed.ocaType) == (1, "exits", 1)
    assert (echoed.tif, echoed.goodTillDate, state.status) == ("GTD", "20300103-12:00:00", "PreSubmitted")
    [(_, (_, _, echoed, _))] = decoded(version, m.open_order(plain, "DU1234567", wire(version)))
    assert (echoed.parentId, echoed.ocaGroup, echoed.ocaType, echoed.goodTillDate) == (0, "", 3, "")


# --- partial fills against the displayed size (Broker(partial_fills=True)) ------------------------------------
def _partial_broker() -> Broker:
    return Broker("DU1", partial_fills=True)


def test_a_market_order_larger_than_the_top_of_book_fills_in_parts_at_successive_prices() -> None:
    events = _partial_broker().place(_req(1, "BUY", 25, "MKT"), CALM, NOON)
    fills = [(e.execution.shares, e.execution.price) for e in events if isinstance(e, Fill)]
    assert fills == [(Decimal(10), 99.60), (Decimal(10), 99.61), (Decimal(5), 99.62)]
    assert events[-1].order.status == "Filled" and events[-1].order.avg_fill_price == pytest.approx(99.608)


def test_a_resting_limit_part_fills_what_the_touch_shows_and_works_on() -> None:
    broker = _partial_broker()
    broker.place(_req(1, "BUY", 25, lmt_price=99.40), CALM, NOON)
    crossed = Quote(99.30, 99.40, 10, 8, NOON)
    events = broker.on_quote(SPY, crossed, NOON)
    assert [(e.execution.shares, e.execution.price) for e in events if isinstance(e, Fill)] == [(Decimal(8), 99.40)]
    assert broker.order(1, 1).status == "Submitted" and broker.order(1, 1).remaining == Decimal(17)


def test_a_fok_larger_than_the_touch_is_cancelled_and_an_ioc_keeps_what_filled() -> None:
    broker = _partial_broker()
    fok = broker.place(_req(1, "BUY", 25, lmt_price=99.60, tif="FOK"), CALM, NOON)
    ioc = broker.place(_req(2, "BUY", 25, lmt_price=99.61, tif="IOC"), CALM, NOON)
    assert not any(isinstance(e, Fill) for e in fok) and fok[-1].order.status == "Cancelled"
    assert [e.execution.shares for e in ioc if isinstance(e, Fill)] == [Decimal(10), Decimal(10)]
    assert ioc[-1].order.status == "Cancelled" and ioc[-1].order.filled == Decimal(20)
