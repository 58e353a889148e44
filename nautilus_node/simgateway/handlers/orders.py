"""Orders: place, modify, cancel, the open-order and execution reports, and the messages order events send."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from nautilus_node.ib.orders import DEFAULT_TIME_IN_FORCE
from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import place_order as po
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.bars import BarRequestError, parse_end_time
from nautilus_node.simgateway.broker import Event, Execution, Fill, Order, OrderError, OrderRequest
from nautilus_node.simgateway.combos import Combo, ComboError, build_combo
from nautilus_node.simgateway.conditions import watched_con_ids
from nautilus_node.simgateway.contracts import ContractSpec
from nautilus_node.simgateway.handlers.reply import NO_SECURITY, OrderEvents, Reply, resolve
from nautilus_node.simgateway.market import Quote
from nautilus_node.simgateway.state import GatewayState, SessionState

NON_GUARANTEED = "NonGuaranteed"

# IB's own errors for the three order attributes it no longer supports; any other field the gateway does not
# serve is refused with a 201 in the same words.
_RETIRED_ATTRIBUTES = {"eTradeOnly": (10268, "EtradeOnly"), "firmQuoteOnly": (10269, "firmQuoteOnly")}
_RETIRED_ATTRIBUTES["nbboPriceCap"] = (10270, "nbboPriceCap")


def unserved_field_error(name: str) -> tuple[int, str]:
    """The error that refuses an order carrying ``name``, a placeOrder field the gateway does not serve."""
    code, label = _RETIRED_ATTRIBUTES.get(name, (201, name))
    text = f"The '{label}' order attribute is not supported."
    return code, text if code != 201 else f"Order rejected - reason:{text}"


def place_order(req: po.PlaceOrderRequest, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    assert s.client_id is not None
    reason = gw.faults.take_order_rejection()
    if reason is not None:
        out.error(req.order_id, 201, f"Order rejected - reason:{reason}")
        return out
    if req.unserved:
        out.error(req.order_id, *unserved_field_error(req.unserved[0]))
        return out
    if req.clearing_account and req.clearing_account != gw.broker.account:
        out.error(req.order_id, 201, f"Order rejected - reason:Clearing account '{req.clearing_account}' is unknown")
        return out
    combo = None
    if req.contract.sec_type == "BAG":
        combo = _combo(out, gw, req)
        if combo is None:
            return out
        spec = combo.spec
    else:
        spec = resolve(out, gw, req.order_id, req.contract)
        if spec is None:
            return out
    refused = _refused_combo_param(req.combo_params)
    if refused is not None:
        out.error(req.order_id, *unserved_field_error(refused))
        return out
    order = OrderRequest(
        order_id=req.order_id,
        client_id=s.client_id,
        spec=spec,
        action=req.action,
        quantity=req.quantity,
        order_type=req.order_type,
        lmt_price=req.lmt_price,
        aux_price=req.aux_price,
        tif=req.tif or DEFAULT_TIME_IN_FORCE,
        account=req.account,
        order_ref=req.order_ref,
        oca_group=req.oca_group,
        outside_rth=req.outside_rth,
        transmit=req.transmit,
        parent_id=req.parent_id,
        good_till_date=req.good_till_date,
        oca_type=req.oca_type,
        trigger_method=req.trigger_method,
        trailing_percent=req.trailing_percent,
        trail_stop_price=req.trail_stop_price,
        lmt_price_offset=req.lmt_price_offset,
        conditions=req.conditions,
        conditions_ignore_rth=req.conditions_ignore_rth,
        conditions_cancel_order=req.conditions_cancel_order,
        combo=combo,
    )
    watched = _condition_contracts(out, gw, req)
    if watched is None:
        return out
    try:
        if req.what_if:
            return _what_if(out, s, gw, order)
        events = gw.broker.place(order, _quote(gw, order, out.now), out.now)
    except OrderError as exc:
        out.error(req.order_id, exc.code, exc.message)
        return out
    legs = [leg.spec for leg in combo.legs] if combo is not None else [spec]
    for watched_spec in (*legs, *watched):
        gw.activate(watched_spec)
    out.effects.append(OrderEvents(events))
    return out


def _combo(out: Reply, gw: GatewayState, req: po.PlaceOrderRequest) -> Combo | None:
    try:
        return build_combo(gw.universe, req.contract, req.combo_legs)
    except ComboError as exc:
        out.error(req.order_id, exc.code, exc.message)
        return None


def _refused_combo_param(params: tuple[tuple[str, str], ...]) -> str | None:
    """The smart combo routing param the gateway does not serve, if any: it serves NonGuaranteed (0 or 1), as
    every leg of a combo fills at once here, which is what either setting allows."""
    for tag, value in params:
        if tag != NON_GUARANTEED or value not in ("0", "1"):
            return f"smartComboRoutingParams.{tag}"
    return None


def _quote(gw: GatewayState, order: OrderRequest, now: float) -> Quote:
    """The order's current quote: a combo's from its legs' (which the broker notes first)."""
    if order.combo is None:
        return gw.market.quote(order.spec, now)
    for leg in order.combo.legs:
        gw.broker.record_quote(leg.spec, gw.market.quote(leg.spec, now))
    quote = gw.broker.quote_of(order)
    assert quote is not None
    return quote


def _condition_contracts(out: Reply, gw: GatewayState, req: po.PlaceOrderRequest) -> list[ContractSpec] | None:
    """The contracts of the order's price conditions (their quotes must move); None after IB's 200 for one
    the gateway does not list."""
    specs = []
    for con_id in sorted(watched_con_ids(req.conditions)):
        spec = gw.universe.by_con_id(con_id)
        if spec is None:
            out.error(req.order_id, 200, NO_SECURITY)
            return None
        specs.append(spec)
    return specs


def _what_if(out: Reply, s: SessionState, gw: GatewayState, order: OrderRequest) -> Reply:
    """A what-if order is not placed: IB answers with one openOrder whose state carries the margin the order
    would need and its commission."""
    impact = gw.broker.what_if(order, gw.market.quote(order.spec, out.now), out.now)
    preview = Order(request=order, perm_id=0, status="PreSubmitted")
    out.send(m.open_order(preview, gw.broker.account, s.wire, impact=impact))
    return out


def cancel_order(order_id: int, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    assert s.client_id is not None
    try:
        events = gw.broker.cancel(s.client_id, order_id)
    except OrderError as exc:
        out.error(order_id, exc.code, exc.message)
        return out
    pending = dataclasses.replace(events[0].order, status="PendingCancel")
    out.send(m.order_status(pending))  # IB: PendingCancel until the cancel is confirmed
    out.effects.append(OrderEvents(events))
    return out


def global_cancel(req: None, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    out.effects.append(OrderEvents(gw.broker.cancel_all()))
    return out


def _open_orders(s: SessionState, gw: GatewayState, client_id: int | None) -> Reply:
    out = Reply(s.wire, gw.clock())
    for order in gw.broker.open_orders(client_id):
        out.send(m.open_order(order, gw.broker.account, s.wire), m.order_status(order))
    out.send(m.open_order_end())
    return out


def req_open_orders(req: None, s: SessionState, gw: GatewayState) -> Reply:
    return _open_orders(s, gw, None if s.client_id == 0 else s.client_id)


def req_all_open_orders(req: None, s: SessionState, gw: GatewayState) -> Reply:
    return _open_orders(s, gw, None)


def req_auto_open_orders(req: None, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    if s.client_id != 0:
        out.error(-1, 321, "Error validating request.-'bd' : cause - reqAutoOpenOrders needs client id 0")
    return out


def req_executions(flt: rq.ExecutionFilter, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    for ex in gw.broker.executions():
        if execution_matches(ex, flt):
            out.send(m.exec_details(flt.req_id, ex, s.wire), m.commission_report(ex))
    out.send(m.exec_details_end(flt.req_id))
    return out


def execution_matches(ex: Execution, flt: rq.ExecutionFilter) -> bool:
    if flt.client_id and ex.client_id != flt.client_id:
        return False
    if flt.account and flt.account != ex.account:
        return False
    if flt.symbol and flt.symbol != ex.spec.symbol:
        return False
    if flt.sec_type and flt.sec_type != ex.spec.sec_type:
        return False
    if flt.side and flt.side.upper() not in (ex.side, "BUY" if ex.side == "BOT" else "SELL"):
        return False
    if flt.time:
        try:
            since = parse_end_time(flt.time, ex.ts)
        except BarRequestError:
            return True
        return ex.ts >= since
    return True


# --- what an order event sends to the order's owner --------------------------------------------------------
def order_update(s: SessionState, gw: GatewayState, order: Order) -> list[m.Fields]:
    out = _announce(s, gw, order)
    out += [m.open_order(order, gw.broker.account, s.wire), m.order_status(order)]
    if order.status == "Cancelled":
        out.append(m.error(order.order_id, 202, "Order Canceled - reason:", int(gw.clock() * 1000), v=s.wire))
    return out


def fill(
    s: SessionState, gw: GatewayState, order: Order, execution: Execution, legs: tuple[Execution, ...] = ()
) -> list[m.Fields]:
    """A fill's reports. A combo's start with an execDetails and a commission report per leg (the commission is
    charged on the legs), then the combo's own execDetails, and only then its orderStatus: NautilusTrader's
    adapter books a combo fill from a leg's execution only if it comes before the combo's final orderStatus."""
    out = _announce(s, gw, order)
    if legs:
        for leg in legs:
            out += [m.exec_details(-1, leg, s.wire), m.commission_report(leg)]
    out.append(m.exec_details(-1, execution, s.wire))
    out += [m.order_status(order), m.open_order(order, gw.broker.account, s.wire)]
    if order.status == "Filled":
        out.append(m.order_status(order))  # IB sends the final orderStatus more than once
    if not legs:
        out.append(m.commission_report(execution))
    return out


def _announce(s: SessionState, gw: GatewayState, order: Order) -> list[m.Fields]:
    """An order first reported past PreSubmitted is first shown PreSubmitted, as IB sends a new order."""
    key = (order.client_id, order.order_id)
    if key in gw.announced:
        return []
    gw.announced.add(key)
    if order.status == "PreSubmitted":
        return []
    first = dataclasses.replace(
        order, status="PreSubmitted", filled=Decimal(0), avg_fill_price=0.0, last_fill_price=0.0
    )
    return [m.open_order(first, gw.broker.account, s.wire), m.order_status(first)]


def report(s: SessionState, gw: GatewayState, event: Event) -> list[m.Fields]:
    """The messages one order event sends to the order's owner."""
    if isinstance(event, Fill):
        return fill(s, gw, event.order, event.execution, event.legs)
    return order_update(s, gw, event.order)


def held_reports(s: SessionState, gw: GatewayState) -> list[m.Fields]:
    """The order reports held for this session's client id while IB was out of reach."""
    if s.client_id is None:
        return []
    return [msg for event in gw.held.pop(s.client_id, []) for msg in report(s, gw, event)]
