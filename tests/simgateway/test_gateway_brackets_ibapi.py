"""Conformance for order links: IB's official ``EClient``/``EWrapper`` over a real socket places IB's
documented bracket, an OCA pair and GTD orders on the simulated gateway's live EUR.USD quotes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ibapi.order import Order

from nautilus_node.simgateway import SimulatedGateway

from .ibapp import IBApp, eurusd

TICK = 0.00005


def _order(action: str, order_type: str, qty: int = 20_000, **fields: object) -> Order:
    o = Order()
    o.action, o.totalQuantity, o.orderType, o.tif = action, Decimal(qty), order_type, "GTC"
    for name, value in fields.items():
        setattr(o, name, value)
    return o


def _quote(ib: IBApp, req_id: int = 1) -> tuple[float, float]:
    ib.client.reqMktData(req_id, eurusd(), "", False, False, [])
    bid = ib.wait_for("tickPrice", lambda a: a[0] == req_id and a[1] == 1)[-1][2]
    ask = ib.wait_for("tickPrice", lambda a: a[0] == req_id and a[1] == 2)[-1][2]
    return bid, ask


def _statuses(ib: IBApp, order_id: int) -> list[str]:
    return [a[1] for a in ib.of("orderStatus") if a[0] == order_id]


def _final(ib: IBApp, order_id: int) -> str:
    return ib.wait_for("orderStatus", lambda a: a[0] == order_id and a[1] in ("Filled", "Cancelled"), timeout=30)[0][1]


def _ticks_later(ib: IBApp, count: int, req_id: int = 1) -> None:
    """Wait until ``count`` more bid ticks have arrived (the broker has seen that many new quotes)."""
    seen = len([a for a in ib.of("tickPrice") if a[0] == req_id and a[1] == 1])
    ib.wait_for("tickPrice", lambda a: a[0] == req_id and a[1] == 1, count=seen + count)


def test_ibs_bracket_works_its_exits_only_after_the_entry_fills_and_one_exit_cancels_the_other(
    gateway: SimulatedGateway, ib: IBApp
) -> None:
    bid, ask = _quote(ib)
    parent_id = ib.of("nextValidId")[-1][0]
    entry = _order("BUY", "LMT", lmtPrice=round(ask + 2 * TICK, 5), transmit=False)
    take_profit = _order("SELL", "LMT", lmtPrice=round(ask + 4 * TICK, 5), parentId=parent_id, transmit=False)
    stop_loss = _order("SELL", "STP", auxPrice=round(bid - 4 * TICK, 5), parentId=parent_id, transmit=True)

    ib.client.placeOrder(parent_id, eurusd(), entry)
    ib.client.placeOrder(parent_id + 1, eurusd(), take_profit)
    ib.wait_for("orderStatus", lambda a: a[0] == parent_id + 1 and a[1] == "PreSubmitted")
    _ticks_later(ib, 5)
    assert gateway.broker.executions() == [], "a held (transmit=False) marketable entry must not fill"
    assert _statuses(ib, parent_id) == ["PreSubmitted"]

    ib.client.placeOrder(parent_id + 2, eurusd(), stop_loss)
    assert _final(ib, parent_id) == "Filled"
    exits = {parent_id + 1: _final(ib, parent_id + 1), parent_id + 2: _final(ib, parent_id + 2)}
    assert sorted(exits.values()) == ["Cancelled", "Filled"]

    for exit_id in exits:
        assert _statuses(ib, exit_id)[:2] == ["PreSubmitted", "Submitted"]
    fills = [a[2].orderId for a in ib.of("execDetails")]
    winner = next(i for i, status in exits.items() if status == "Filled")
    assert fills == [parent_id, winner]
    echoed = {a[0]: a[2] for a in ib.of("openOrder")}
    assert echoed[parent_id + 1].parentId == parent_id and echoed[parent_id + 2].parentId == parent_id
    position = gateway.broker.position(next(s.con_id for s in gateway.universe if s.local_symbol == "EUR.USD"))
    assert position is not None and position.quantity == 0


def test_an_oca_pair_cancels_the_resting_member_when_the_other_fills(gateway: SimulatedGateway, ib: IBApp) -> None:
    bid, ask = _quote(ib)
    first = ib.of("nextValidId")[-1][0]
    resting = _order("BUY", "LMT", lmtPrice=round(bid - 200 * TICK, 5), ocaGroup="pair-1", ocaType=1)
    marketable = _order("BUY", "LMT", lmtPrice=round(ask + 2 * TICK, 5), ocaGroup="pair-1", ocaType=1)

    ib.client.placeOrder(first, eurusd(), resting)
    ib.wait_for("orderStatus", lambda a: a[0] == first and a[1] == "Submitted")
    ib.client.placeOrder(first + 1, eurusd(), marketable)

    assert _final(ib, first + 1) == "Filled"
    assert _final(ib, first) == "Cancelled"
    ib.wait_error(202, req_id=first)
    echoed = ib.wait_for("openOrder", lambda a: a[0] == first)[0][2]
    assert (echoed.ocaGroup, echoed.ocaType) == ("pair-1", 1)
    assert gateway.broker.open_orders() == []


def test_a_gtd_order_is_cancelled_at_its_date_even_while_its_feed_is_stalled(
    gateway: SimulatedGateway, ib: IBApp
) -> None:
    bid, _ = _quote(ib)
    oid = ib.of("nextValidId")[-1][0]
    good_till = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)).strftime("%Y%m%d-%H:%M:%S")
    gtd = _order("BUY", "LMT", lmtPrice=round(bid - 200 * TICK, 5), tif="GTD", goodTillDate=good_till)

    ib.client.placeOrder(oid, eurusd(), gtd)
    opened = ib.wait_for("openOrder", lambda a: a[0] == oid)[0][2]
    assert (opened.tif, opened.goodTillDate) == ("GTD", good_till)
    gateway.faults.stall_feed("EUR.USD")
    ib.wait_for("orderStatus", lambda a: a[0] == oid and a[1] == "Cancelled", timeout=15)
    assert gateway.broker.open_orders() == [] and gateway.broker.executions() == []


def test_gtd_orders_without_a_usable_date_are_refused_with_201(ib: IBApp) -> None:
    bid, _ = _quote(ib)
    oid = ib.of("nextValidId")[-1][0]
    price = round(bid - 200 * TICK, 5)
    ib.client.placeOrder(oid, eurusd(), _order("BUY", "LMT", lmtPrice=price, tif="GTD"))
    assert "goodTillDate" in ib.wait_error(201, req_id=oid)[3]
    ib.client.placeOrder(
        oid + 1, eurusd(), _order("BUY", "LMT", lmtPrice=price, tif="GTD", goodTillDate="20200101-00:00:00")
    )
    assert "in the past" in ib.wait_error(201, req_id=oid + 1)[3]
    ib.client.placeOrder(oid + 2, eurusd(), _order("SELL", "LMT", lmtPrice=price, parentId=oid + 99))
    assert "Parent order" in ib.wait_error(201, req_id=oid + 2)[3]
