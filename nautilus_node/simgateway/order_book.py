"""Orders as IB handles them: validation, placement and modification, links between orders, cancels and
expiry. Part of `broker.Broker`, which holds the lock.

Order links follow IB: an order sent with ``transmit=False`` is held (PreSubmitted, not working) until an
order with ``transmit=True`` names it as parent or it is modified with ``transmit=True``; a child works only
once its parent has filled, is cancelled with it, and cancels its siblings when it fills (a bracket);
members of an OCA group cancel (type 1) or reduce (types 2, 3) each other on a fill; GTD orders are
cancelled once their goodTillDate has passed. An order with conditions is accepted PreSubmitted and starts working
(or, with ``conditionsCancelOrder``, is cancelled) once its conditions hold (`conditions`)."""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from dataclasses import dataclass
from decimal import Decimal

from nautilus_node.ib import fees
from nautilus_node.ib.hours import WeeklyHours
from nautilus_node.ib.orders import (
    DEFAULT_TIME_IN_FORCE,
    IB_TIMES_IN_FORCE,
    LIMIT_PRICED,
    ORDER_TYPES,
    STOP_TRIGGERED,
    TRAIL_LIMIT,
    TRAILING,
)
from nautilus_node.simgateway import conditions
from nautilus_node.simgateway.account import Execution, MarginImpact, _Book, commission_value
from nautilus_node.simgateway.bars import BarRequestError, parse_end_time
from nautilus_node.simgateway.combos import Combo
from nautilus_node.simgateway.contracts import ContractSpec
from nautilus_node.simgateway.market import Quote
from nautilus_node.simgateway.place_order import Condition

OCA_CANCEL_WITH_BLOCK = 1
DEFAULT_OCA_TYPE = 3  # what IB applies (and echoes) when a client leaves ocaType unset: reduce, no block
MIDPOINT_TRIGGER = 8
TRIGGER_METHODS = frozenset({0, 4, MIDPOINT_TRIGGER})  # Default and Bid/Ask: the touch; Midpoint


class OrderError(Exception):
    """An order request IB would refuse, with the IB error code and text to send."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class OrderRequest:
    """The parts of a placeOrder message the broker acts on."""

    order_id: int
    client_id: int
    spec: ContractSpec
    action: str
    quantity: Decimal
    order_type: str
    lmt_price: float | None = None
    aux_price: float | None = None
    tif: str = DEFAULT_TIME_IN_FORCE
    account: str = ""
    order_ref: str = ""
    oca_group: str = ""
    outside_rth: bool = False
    transmit: bool = True
    parent_id: int = 0
    good_till_date: str = ""
    oca_type: int = 0
    trigger_method: int = 0
    trailing_percent: float | None = None
    trail_stop_price: float | None = None  # a trailing order's initial stop price
    lmt_price_offset: float | None = None  # a trailing limit's limit price below (sell) / above (buy) its stop
    conditions: tuple[Condition, ...] = ()
    conditions_ignore_rth: bool = False
    conditions_cancel_order: bool = False
    combo: Combo | None = None  # a BAG order: its legs (``spec`` is the combo's own)


@dataclass(slots=True)
class Order:
    """A working or finished order as the broker tracks it."""

    request: OrderRequest
    perm_id: int
    status: str = "PreSubmitted"
    filled: Decimal = Decimal(0)
    avg_fill_price: float = 0.0
    last_fill_price: float = 0.0
    triggered: bool = False
    held: bool = False  # placed with transmit=False and not transmitted since
    expires_at: float | None = None  # GTD: Unix time of the goodTillDate
    placed_at: float = 0.0
    awaiting_conditions: bool = False  # transmitted, PreSubmitted until its conditions hold
    trail_stop: float | None = None  # a trailing order's current stop price, once it works
    trail_limit_offset: float | None = None  # a trailing limit's distance from its stop to its limit price

    @property
    def order_id(self) -> int:
        return self.request.order_id

    @property
    def client_id(self) -> int:
        return self.request.client_id

    @property
    def remaining(self) -> Decimal:
        return self.request.quantity - self.filled

    @property
    def is_open(self) -> bool:
        return self.status in ("PreSubmitted", "Submitted", "PendingSubmit", "PendingCancel")

    @property
    def limit_price(self) -> float | None:
        """The price a limit-priced order fills at or better; a working trailing limit's follows its stop."""
        req = self.request
        if req.order_type == TRAIL_LIMIT and self.trail_stop is not None and self.trail_limit_offset is not None:
            offset = self.trail_limit_offset if req.action == "BUY" else -self.trail_limit_offset
            return req.spec.round_price(self.trail_stop + offset)
        return req.lmt_price


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """An order changed state; ``order`` is a snapshot."""

    order: Order


@dataclass(frozen=True, slots=True)
class Fill:
    """A fill: its execution, and for a combo the execution of each leg (``execution`` is the combo's own)."""

    order: Order
    execution: Execution
    legs: tuple[Execution, ...] = ()

    @property
    def executions(self) -> tuple[Execution, ...]:
        """The legs' executions, then the order's own, as IB reports a combo fill."""
        return (*self.legs, self.execution)


Event = OrderUpdate | Fill


def _good_till(req: OrderRequest, now: float) -> float:
    """The Unix time a GTD order ends: its goodTillDate as ``yyyymmdd hh:mm:ss[ tz]`` (UTC when no zone
    is named) or ``yyyymmdd-hh:mm:ss`` (UTC); missing, unreadable or past dates are refused."""
    text = req.good_till_date.strip()
    if not text:
        raise OrderError(201, "Order rejected - reason:goodTillDate is required for time in force GTD")
    try:
        expires_at = parse_end_time(text, now)
    except BarRequestError:
        raise OrderError(201, f"Order rejected - reason:Invalid goodTillDate '{text}'") from None
    if expires_at <= now:
        raise OrderError(201, f"Order rejected - reason:goodTillDate '{text}' is in the past")
    return expires_at


def _check_trailing(req: OrderRequest) -> None:
    """A trailing order trails by an amount (auxPrice) or a percent, not both; a trailing limit also needs a
    limit price or a limit price offset."""
    amount, percent = req.aux_price, req.trailing_percent
    if (amount is None) == (percent is None):
        raise OrderError(201, "Order rejected - reason:A trailing order needs a trailing amount or a trailing percent")
    if (amount if amount is not None else percent) <= 0:  # type: ignore[operator]
        raise OrderError(201, "Order rejected - reason:The trailing amount or percent must be positive")
    if req.order_type == TRAIL_LIMIT and req.lmt_price_offset is None and req.lmt_price is None:
        raise OrderError(201, "Order rejected - reason:A trailing limit order needs a limit price or a limit offset")


def _check_not_trailing(req: OrderRequest) -> None:
    """The trailing fields of an order that does not trail would be ignored: refused instead."""
    for name, value in (
        ("trailingPercent", req.trailing_percent),
        ("trailStopPrice", req.trail_stop_price),
        ("lmtPriceOffset", req.lmt_price_offset),
    ):
        if value is not None:
            raise OrderError(201, f"Order rejected - reason:{name} applies to trailing orders only")


def time_seeded_perm_id(now: float | None = None) -> int:
    """The first permId of a gateway process: tenths of a second on a cycle of about three years, from 1e9,
    so that a process started later never hands out the ids of an earlier one (IB's permIds are unique)."""
    tenths = int((time.time() if now is None else now) * 10)
    return 1_000_000_000 + tenths % 1_000_000_000


class OrdersMixin:
    """Placing, modifying, linking, cancelling and expiring the orders of `Broker`."""

    account: str
    always_open: bool
    _book: _Book
    _lock: threading.RLock
    _next_order_id: int
    _next_perm_id: int
    _quotes: dict[int, Quote]

    def place(self, req: OrderRequest, quote: Quote, now: float) -> list[Event]:
        """Accept a new order or modify an existing one (same client and order id)."""
        with self._lock:
            expires_at = self._validate(req, now)
            if req.combo is None:  # a combo's quote is its legs'
                self._quotes[req.spec.con_id] = quote
            key = (req.client_id, req.order_id)
            existing = self._book.orders.get(key)
            if existing is not None:
                return self._modify(existing, req, expires_at, quote, now)
            if req.order_id <= 0:
                raise OrderError(103, f"Duplicate order id {req.order_id}")
            self._check_parent(req)
            order = Order(request=req, perm_id=self._next_perm_id, held=True, expires_at=expires_at, placed_at=now)
            self._next_perm_id += 1
            self._next_order_id = max(self._next_order_id, req.order_id + 1)
            self._book.orders[key] = order
            if not req.transmit:
                return [OrderUpdate(copy.copy(order))]
            return self._transmit(order, now)

    def what_if(self, req: OrderRequest, quote: Quote, now: float) -> MarginImpact:
        """What placing ``req`` would do to the account's margin, and its commission; nothing is placed. The
        estimate fills the whole order at its limit price, else its stop price, else the touch."""
        with self._lock:
            self._validate(req, now)
            if req.combo is not None:
                raise OrderError(201, "Order rejected - reason:What-if is not served for combo orders")
            touch = quote.ask if req.action == "BUY" else quote.bid
            fixed = None if req.order_type in TRAILING else (req.lmt_price or req.aux_price)
            price = fixed or touch
            schedule = fees.schedule_for(req.spec.sec_type)
            commission = float(schedule.order_total(req.quantity, commission_value(req.spec, req.quantity, price)))
            signed = req.quantity if req.action == "BUY" else -req.quantity
            return self.margin_impact(req.spec, signed, price, commission)

    def _validate(self, req: OrderRequest, now: float) -> float | None:
        """Refuse what IB refuses; returns the GTD expiry time (None for other TIFs)."""
        if req.action not in ("BUY", "SELL"):
            raise OrderError(201, f"Order rejected - reason:Invalid side '{req.action}'")
        if req.quantity <= 0:
            raise OrderError(434, "The order size cannot be zero.")
        if req.order_type not in ORDER_TYPES:
            raise OrderError(387, f"Unsupported order type '{req.order_type}' for this exchange and security type.")
        if req.tif not in IB_TIMES_IN_FORCE:
            raise OrderError(201, f"Order rejected - reason:Time in force '{req.tif}' is not supported")
        if req.account and req.account != self.account:
            raise OrderError(201, f"Order rejected - reason:Account '{req.account}' is not a managed account")
        needs_lmt = req.order_type in LIMIT_PRICED
        needs_aux = req.order_type in STOP_TRIGGERED
        signed_prices = req.combo is not None  # a combo's price is a net amount: it may be zero or negative
        if needs_lmt and (req.lmt_price is None or (req.lmt_price <= 0 and not signed_prices)):
            raise OrderError(201, "Order rejected - reason:The limit price is missing or invalid")
        if needs_aux and (req.aux_price is None or (req.aux_price <= 0 and not signed_prices)):
            raise OrderError(201, "Order rejected - reason:The stop price is missing or invalid")
        prices = [req.lmt_price if needs_lmt else None, req.aux_price if needs_aux else None]
        if req.order_type in TRAILING:
            _check_trailing(req)
            prices += [req.aux_price, req.trail_stop_price, req.lmt_price, req.lmt_price_offset]
        else:
            _check_not_trailing(req)
        tick = req.spec.min_tick
        for price in prices:
            if price is not None and abs(round(price / tick) * tick - price) > tick * 1e-6:
                raise OrderError(110, "The price does not conform to the minimum price variation for this contract.")
        if req.trigger_method not in TRIGGER_METHODS:
            raise OrderError(201, f"Order rejected - reason:Trigger method {req.trigger_method} is not supported")
        for condition in req.conditions:
            reason = conditions.refusal(condition, now)
            if reason is not None:
                raise OrderError(201, f"Order rejected - reason:{reason}")
        if req.tif == "GTD":
            return _good_till(req, now)
        hours = self._hours(req)
        if req.tif == "DAY" and hours is not None:
            return hours.next_close(now)  # a DAY order ends with its (current or next) session
        return None

    def _hours(self, req: OrderRequest) -> WeeklyHours | None:
        return None if self.always_open else req.spec.hours_for(req.outside_rth)

    def _check_parent(self, req: OrderRequest) -> None:
        if not req.parent_id:
            return
        parent = self._book.orders.get((req.client_id, req.parent_id))
        if parent is None:
            raise OrderError(201, f"Order rejected - reason:Parent order {req.parent_id} was not found")
        if parent.status == "Cancelled":
            raise OrderError(201, f"Order rejected - reason:Parent order {req.parent_id} is cancelled")

    def _modify(
        self, order: Order, req: OrderRequest, expires_at: float | None, quote: Quote, now: float
    ) -> list[Event]:
        if not order.is_open:
            raise OrderError(104, f"Can't modify a filled order. Order {req.order_id} is {order.status}")
        same_contract = req.spec.con_id == order.request.spec.con_id and req.combo == order.request.combo
        if not same_contract or req.action != order.request.action:
            raise OrderError(201, "Order rejected - reason:Contract and side of an existing order cannot be modified")
        if req.quantity < order.filled:
            raise OrderError(201, "Order rejected - reason:Quantity is below the filled quantity")
        order.request = dataclasses.replace(req, parent_id=order.request.parent_id)  # IB keeps the parent link
        order.expires_at = expires_at
        if not order.triggered:
            order.trail_stop = order.trail_limit_offset = None  # a trailing order trails anew from its new terms
        if order.held and req.transmit:
            return self._transmit(order, now)
        events: list[Event] = [OrderUpdate(copy.copy(order))]
        if order.status == "Submitted":
            events += self._try_fill(order, quote, now, incoming=True)
        elif order.awaiting_conditions:
            events += self._check_conditions(order, now)
        return events

    def _parent(self, order: Order) -> Order | None:
        parent_id = order.request.parent_id
        return self._book.orders.get((order.client_id, parent_id)) if parent_id else None

    def _children(self, order: Order) -> list[Order]:
        return [
            o
            for o in self._book.orders.values()
            if o.request.parent_id == order.order_id and o.client_id == order.client_id and o is not order
        ]

    def _transmit(self, order: Order, now: float) -> list[Event]:
        """Send ``order`` on with its held children; a held parent goes with it (IB's bracket: the last
        child, sent with transmit=True, transmits the parent and every child before it)."""
        for member in (order, *self._children(order)):
            member.held = False
        parent = self._parent(order)
        if parent is not None and parent.held:
            return [OrderUpdate(copy.copy(order)), *self._transmit(parent, now)]
        if parent is not None and parent.status != "Filled":
            return [OrderUpdate(copy.copy(order))]  # waits, PreSubmitted, for its parent to fill
        return self._activate(order, now)

    def _activate(self, order: Order, now: float) -> list[Event]:
        """The order starts working, or waits PreSubmitted for its conditions, which are checked at once."""
        if order.request.conditions:
            order.awaiting_conditions = True
            return [OrderUpdate(copy.copy(order)), *self._check_conditions(order, now)]
        return self._work(order, now)

    def _work(self, order: Order, now: float) -> list[Event]:
        """The order starts working and is checked against the contract's current quote at once."""
        order.status = "Submitted"
        events: list[Event] = [OrderUpdate(copy.copy(order))]
        quote = self.quote_of(order.request)
        if quote is not None:
            events += self._try_fill(order, quote, now, incoming=True)
        return events

    def record_quote(self, spec: ContractSpec, quote: Quote) -> None:
        """Note a contract's quote (a combo's legs') without checking orders against it."""
        with self._lock:
            self._quotes[spec.con_id] = quote

    def quote_of(self, req: OrderRequest) -> Quote | None:
        """The last quote of the order's contract: for a combo, the one its legs' quotes make."""
        if req.combo is not None:
            return req.combo.quote(self._quotes)
        return self._quotes.get(req.spec.con_id)

    def check_conditions(self, now: float) -> list[Event]:
        """Release (or cancel) the orders whose conditions hold now (the broker calls this on every quote and
        clock step)."""
        with self._lock:
            events: list[Event] = []
            for order in list(self._book.orders.values()):
                if order.awaiting_conditions and order.is_open:
                    events += self._check_conditions(order, now)
            return events

    def _check_conditions(self, order: Order, now: float) -> list[Event]:
        req = order.request
        if not (req.conditions_ignore_rth or self.always_open):
            hours = req.spec.hours_for(False)
            if hours is not None and not hours.is_open(now):
                return []  # IB evaluates conditions in regular trading hours unless told to ignore them
        since = [ex for ex in self._book.executions if ex.ts >= order.placed_at and ex.perm_id != order.perm_id]
        facts = conditions.Facts(now, self._quotes, self.cushion_percent(), since)
        if not conditions.all_hold(req.conditions, facts):
            return []
        order.awaiting_conditions = False
        return self._cancel(order) if req.conditions_cancel_order else self._work(order, now)

    def watched_con_ids(self) -> set[int]:
        """The contracts the open orders' conditions watch (their quotes must keep moving)."""
        with self._lock:
            watched: set[int] = set()
            for order in self._book.orders.values():
                if order.awaiting_conditions and order.is_open:
                    watched |= conditions.watched_con_ids(order.request.conditions)
            return watched

    def _cancel(self, order: Order) -> list[Event]:
        """Cancel ``order`` and, with it, its open children."""
        order.status = "Cancelled"
        order.awaiting_conditions = False
        events: list[Event] = [OrderUpdate(copy.copy(order))]
        for child in self._children(order):
            if child.is_open:
                events += self._cancel(child)
        return events

    def _after_fill(self, order: Order, quantity: Decimal, now: float) -> list[Event]:
        """What a fill sets off: bracket siblings cancelled, OCA members cancelled or reduced, and (once
        the order is complete) its children released."""
        events: list[Event] = []
        parent = self._parent(order)
        if parent is not None:
            for sibling in self._children(parent):
                if sibling is not order and sibling.is_open:
                    events += self._cancel(sibling)
        group = order.request.oca_group
        if group:
            block = (order.request.oca_type or DEFAULT_OCA_TYPE) == OCA_CANCEL_WITH_BLOCK
            for other in list(self._book.orders.values()):
                if other is order or not other.is_open or other.request.oca_group != group:
                    continue
                if block:
                    events += self._cancel(other)
                    continue
                reduced = max(other.request.quantity - quantity, other.filled)
                other.request = dataclasses.replace(other.request, quantity=reduced)
                events += self._cancel(other) if other.remaining <= 0 else [OrderUpdate(copy.copy(other))]
        if order.status == "Filled":
            for child in self._children(order):
                if child.is_open and not child.held and child.status == "PreSubmitted":
                    events += self._activate(child, now)
        return events

    def cancel(self, client_id: int, order_id: int) -> list[Event]:
        with self._lock:
            order = self._book.orders.get((client_id, order_id))
            if order is None:
                raise OrderError(10147, f"OrderId {order_id} that needs to be cancelled is not found.")
            if not order.is_open:
                raise OrderError(
                    10148, f"OrderId {order_id} that needs to be cancelled cannot be cancelled, state: {order.status}."
                )
            return self._cancel(order)

    def cancel_all(self) -> list[Event]:
        """Global cancel: every open order of the account, whichever client placed it."""
        with self._lock:
            events: list[Event] = []
            for order in list(self._book.orders.values()):
                if order.is_open:
                    events += self._cancel(order)
            return events

    def expire(self, now: float) -> list[Event]:
        """Cancel the GTD orders whose goodTillDate has passed and the DAY orders whose session ended (the server
        calls this on every clock step)."""
        with self._lock:
            events: list[Event] = []
            for order in list(self._book.orders.values()):
                if order.is_open and order.expires_at is not None and order.expires_at <= now:
                    events += self._cancel(order)
            return events

    def order(self, client_id: int, order_id: int) -> Order | None:
        with self._lock:
            found = self._book.orders.get((client_id, order_id))
            return copy.copy(found) if found else None

    def orders(self) -> list[Order]:
        """Every order placed since the gateway started, open or not, of all clients."""
        with self._lock:
            return [copy.copy(o) for o in self._book.orders.values()]

    def open_orders(self, client_id: int | None = None) -> list[Order]:
        """Open orders, of one client or (``None``) of all clients."""
        with self._lock:
            return [
                copy.copy(o)
                for o in self._book.orders.values()
                if o.is_open and (client_id is None or o.client_id == client_id)
            ]
