"""A pure paper broker: orders, fills against the quote, IB fixed-rate commissions (`ib.fees`), positions with
average cost, and account values that move with fills. Thread-safe; no I/O.

Order links follow IB: an order sent with ``transmit=False`` is held (PreSubmitted, not working) until an
order with ``transmit=True`` names it as parent or it is modified with ``transmit=True``; a child works only
once its parent has filled, is cancelled with it, and cancels its siblings when it fills (a bracket);
members of an OCA group cancel (type 1) or reduce (types 2, 3) each other on a fill; GTD orders are
cancelled once their goodTillDate has passed."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

from nautilus_node.ib import fees
from nautilus_node.ib.hours import WeeklyHours, zone_of
from nautilus_node.simgateway.bars import BarRequestError, parse_end_time
from nautilus_node.simgateway.contracts import ContractSpec
from nautilus_node.simgateway.market import Quote

ORDER_TYPES = ("MKT", "LMT", "STP", "STP LMT")
TIFS = ("DAY", "GTC", "IOC", "FOK", "GTD")
OCA_CANCEL_WITH_BLOCK = 1
DEFAULT_OCA_TYPE = 3  # what IB applies (and echoes) when a client leaves ocaType unset: reduce, no block
STARTING_CASH = 1_000_000.0
# Initial and maintenance margin as a fraction of notional, by security type.
MARGIN_RATES = {"STK": (0.25, 0.25), "CASH": (0.03, 0.03), "FUT": (0.06, 0.055)}


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
    tif: str = "DAY"
    account: str = ""
    order_ref: str = ""
    oca_group: str = ""
    outside_rth: bool = False
    transmit: bool = True
    parent_id: int = 0
    good_till_date: str = ""
    oca_type: int = 0


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


@dataclass(frozen=True, slots=True)
class Execution:
    """One fill, as reported by execDetails and commissionReport."""

    exec_id: str
    order_id: int
    client_id: int
    perm_id: int
    spec: ContractSpec
    side: str
    shares: Decimal
    price: float
    ts: float
    account: str
    cum_qty: Decimal
    avg_price: float
    order_ref: str
    commission: float
    realized_pnl: float
    time_zone: str = "US/Eastern"  # the gateway's configured zone, in which IB writes execution times

    @property
    def time_text(self) -> str:
        local = dt.datetime.fromtimestamp(self.ts, zone_of(self.time_zone))
        return f"{local:%Y%m%d %H:%M:%S} {self.time_zone}"


@dataclass(slots=True)
class Position:
    spec: ContractSpec
    quantity: Decimal = Decimal(0)
    avg_price: float = 0.0
    realized_pnl: float = 0.0

    @property
    def multiplier(self) -> float:
        return float(self.spec.multiplier or 1)

    @property
    def avg_cost(self) -> float:
        """IB's average cost: price times multiplier (per share for stocks)."""
        return self.avg_price * self.multiplier


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """An order changed state; ``order`` is a snapshot."""

    order: Order


@dataclass(frozen=True, slots=True)
class Fill:
    order: Order
    execution: Execution


Event = OrderUpdate | Fill


def commission_value(spec: ContractSpec, quantity: Decimal, price: float) -> Decimal:
    """The USD value IB's fee schedule charges on: units for a USD-based pair, price times size otherwise."""
    if spec.sec_type == "CASH":
        return fees.fx_value_in_usd(spec.symbol, spec.currency, quantity, Decimal(str(price)))
    return quantity * Decimal(str(price)) * Decimal(str(spec.multiplier or 1))


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


def time_seeded_perm_id(now: float | None = None) -> int:
    """The first permId of a gateway process: tenths of a second on a cycle of about three years, from 1e9,
    so that a process started later never hands out the ids of an earlier one (IB's permIds are unique)."""
    tenths = int((time.time() if now is None else now) * 10)
    return 1_000_000_000 + tenths % 1_000_000_000


@dataclass(slots=True)
class _Book:
    cash: float = STARTING_CASH
    realized_today: float = 0.0
    commissions: float = 0.0
    orders: dict[tuple[int, int], Order] = field(default_factory=dict)
    positions: dict[int, Position] = field(default_factory=dict)
    executions: list[Execution] = field(default_factory=list)


class Broker:
    """The paper account. Every public method is atomic under one lock."""

    def __init__(
        self,
        account: str,
        starting_cash: float = STARTING_CASH,
        first_order_id: int = 1,
        first_perm_id: int | None = None,
        always_open: bool = True,
        time_zone: str = "US/Eastern",
        partial_fills: bool = False,
    ) -> None:
        self.account = account
        self.partial_fills = partial_fills  # True: fills take at most the displayed size at each price
        self.time_zone = time_zone
        self.always_open = always_open  # False: orders work only in their contract's trading hours
        self._book = _Book(cash=starting_cash)
        self._lock = threading.RLock()
        self._next_order_id = first_order_id
        self._next_perm_id = first_perm_id if first_perm_id is not None else time_seeded_perm_id()
        self._exec_prefix = f"{self._next_perm_id:08x}"  # execIds never repeat across gateway processes
        self._exec_seq = 0
        self._commissions = fees.OrderCommissions()
        self._marks: dict[int, float] = {}
        self._quotes: dict[int, Quote] = {}  # the last quote seen per contract, for orders released later

    # --- durability ------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, object]:
        """Everything the account keeps across a gateway process restart (see ``durable.StateFile``)."""
        with self._lock:
            return {
                "account": self.account,
                "book": copy.deepcopy(self._book),
                "next_order_id": self._next_order_id,
                "next_perm_id": self._next_perm_id,
                "exec_prefix": self._exec_prefix,
                "exec_seq": self._exec_seq,
                "commissions": copy.deepcopy(self._commissions),
            }

    def restore(self, state: dict[str, object]) -> None:
        """Continue from a snapshot: the same account, working orders, executions and id sequences."""
        with self._lock:
            if state["account"] != self.account:
                raise ValueError(f"the state is of account {state['account']}, this gateway serves {self.account}")
            self._book = state["book"]  # type: ignore[assignment]
            self._next_order_id = int(state["next_order_id"])  # type: ignore[arg-type]
            self._next_perm_id = int(state["next_perm_id"])  # type: ignore[arg-type]
            self._exec_prefix = str(state["exec_prefix"])
            self._exec_seq = int(state["exec_seq"])  # type: ignore[arg-type]
            self._commissions = state["commissions"]  # type: ignore[assignment]

    # --- ids -------------------------------------------------------------------------------------------
    def next_valid_id(self) -> int:
        with self._lock:
            return self._next_order_id

    # --- orders ----------------------------------------------------------------------------------------
    def place(self, req: OrderRequest, quote: Quote, now: float) -> list[Event]:
        """Accept a new order or modify an existing one (same client and order id)."""
        with self._lock:
            expires_at = self._validate(req, now)
            self._quotes[req.spec.con_id] = quote
            key = (req.client_id, req.order_id)
            existing = self._book.orders.get(key)
            if existing is not None:
                return self._modify(existing, req, expires_at, quote, now)
            if req.order_id <= 0:
                raise OrderError(103, f"Duplicate order id {req.order_id}")
            self._check_parent(req)
            order = Order(request=req, perm_id=self._next_perm_id, held=True, expires_at=expires_at)
            self._next_perm_id += 1
            self._next_order_id = max(self._next_order_id, req.order_id + 1)
            self._book.orders[key] = order
            if not req.transmit:
                return [OrderUpdate(copy.copy(order))]
            return self._transmit(order, now)

    def _validate(self, req: OrderRequest, now: float) -> float | None:
        """Refuse what IB refuses; returns the GTD expiry time (None for other TIFs)."""
        if req.action not in ("BUY", "SELL"):
            raise OrderError(201, f"Order rejected - reason:Invalid side '{req.action}'")
        if req.quantity <= 0:
            raise OrderError(434, "The order size cannot be zero.")
        if req.order_type not in ORDER_TYPES:
            raise OrderError(387, f"Unsupported order type '{req.order_type}' for this exchange and security type.")
        if req.tif not in TIFS:
            raise OrderError(201, f"Order rejected - reason:Time in force '{req.tif}' is not supported")
        if req.account and req.account != self.account:
            raise OrderError(201, f"Order rejected - reason:Account '{req.account}' is not a managed account")
        needs_lmt = req.order_type in ("LMT", "STP LMT")
        needs_aux = req.order_type in ("STP", "STP LMT")
        if needs_lmt and (req.lmt_price is None or req.lmt_price <= 0):
            raise OrderError(201, "Order rejected - reason:The limit price is missing or invalid")
        if needs_aux and (req.aux_price is None or req.aux_price <= 0):
            raise OrderError(201, "Order rejected - reason:The stop price is missing or invalid")
        tick = req.spec.min_tick
        for price in (req.lmt_price if needs_lmt else None, req.aux_price if needs_aux else None):
            if price is not None and abs(round(price / tick) * tick - price) > tick * 1e-6:
                raise OrderError(110, "The price does not conform to the minimum price variation for this contract.")
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
        if req.spec.con_id != order.request.spec.con_id or req.action != order.request.action:
            raise OrderError(201, "Order rejected - reason:Contract and side of an existing order cannot be modified")
        if req.quantity < order.filled:
            raise OrderError(201, "Order rejected - reason:Quantity is below the filled quantity")
        order.request = dataclasses.replace(req, parent_id=order.request.parent_id)  # IB keeps the parent link
        order.expires_at = expires_at
        if order.held and req.transmit:
            return self._transmit(order, now)
        events: list[Event] = [OrderUpdate(copy.copy(order))]
        if order.status == "Submitted":
            events += self._try_fill(order, quote, now, incoming=True)
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
        """The order starts working and is checked against the contract's current quote at once."""
        order.status = "Submitted"
        events: list[Event] = [OrderUpdate(copy.copy(order))]
        quote = self._quotes.get(order.request.spec.con_id)
        if quote is not None:
            events += self._try_fill(order, quote, now, incoming=True)
        return events

    def _cancel(self, order: Order) -> list[Event]:
        """Cancel ``order`` and, with it, its open children."""
        order.status = "Cancelled"
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

    def on_quote(self, spec: ContractSpec, quote: Quote, now: float) -> list[Event]:
        """Expire due GTD orders, then check working orders in ``spec`` against a new quote."""
        with self._lock:
            self._marks[spec.con_id] = quote.mid
            self._quotes[spec.con_id] = quote
            events = self.expire(now)
            for order in list(self._book.orders.values()):
                if order.status == "Submitted" and order.request.spec.con_id == spec.con_id:
                    events += self._try_fill(order, quote, now, incoming=False)
            return events

    def _try_fill(self, order: Order, quote: Quote, now: float, *, incoming: bool) -> list[Event]:
        req = order.request
        hours = self._hours(req)
        if hours is not None and not hours.is_open(now):
            # outside its hours an order does not fill: IOC/FOK are cancelled, the others wait for the session
            return self._cancel(order) if req.tif in ("IOC", "FOK") and incoming else []
        buy = req.action == "BUY"
        self._marks[req.spec.con_id] = quote.mid
        if req.order_type in ("STP", "STP LMT") and not order.triggered:
            assert req.aux_price is not None
            order.triggered = quote.ask >= req.aux_price if buy else quote.bid <= req.aux_price
        price = self._fill_price(order, quote, incoming=incoming)
        if price is None:
            if req.tif in ("IOC", "FOK") and incoming:
                return self._cancel(order)
            return []
        if not self.partial_fills:
            quantity = order.remaining
            return [self._fill(order, quantity, price, now), *self._after_fill(order, quantity, now)]
        return self._fill_in_parts(order, quote, price, now, incoming=incoming)

    def _fill_in_parts(self, order: Order, quote: Quote, price: float, now: float, *, incoming: bool) -> list[Event]:
        """Fill against the displayed size: a marketable order walks the book one tick a level (each level
        showing the touch's size) within its limit; a resting limit takes what the touch shows; FOK fills
        whole or not at all, IOC cancels what is left."""
        req = order.request
        buy = req.action == "BUY"
        shown = Decimal(quote.ask_size if buy else quote.bid_size)
        tick = req.spec.min_tick
        walks = incoming and req.tif != "FOK"
        levels = []
        left = order.remaining
        level_price = price
        limit = req.lmt_price if req.order_type in ("LMT", "STP LMT") else None
        slack = tick * 1e-6
        while left > 0 and shown > 0:
            if limit is not None and (level_price > limit + slack if buy else level_price < limit - slack):
                break
            part = min(left, shown)
            levels.append((part, level_price))
            left -= part
            if not walks:
                break
            level_price = req.spec.round_price(level_price + (tick if buy else -tick))
        if req.tif == "FOK" and incoming and left > 0:
            return self._cancel(order)
        events: list[Event] = []
        for part, level_price in levels:
            events += [self._fill(order, part, level_price, now), *self._after_fill(order, part, now)]
        if req.tif == "IOC" and incoming and order.remaining > 0:
            events += self._cancel(order)
        return events

    @staticmethod
    def _fill_price(order: Order, quote: Quote, *, incoming: bool) -> float | None:
        req = order.request
        buy = req.action == "BUY"
        touch = quote.ask if buy else quote.bid
        if req.order_type == "MKT" or (req.order_type == "STP" and order.triggered):
            return touch
        if req.order_type == "STP" or (req.order_type == "STP LMT" and not order.triggered):
            return None
        assert req.lmt_price is not None
        crossed = touch <= req.lmt_price if buy else touch >= req.lmt_price
        if not crossed:
            return None
        # A marketable order takes the quote; a resting limit fills at its own price when crossed.
        return touch if incoming else req.lmt_price

    def _fill(self, order: Order, quantity: Decimal, price: float, now: float) -> Fill:
        req = order.request
        spec = req.spec
        signed = quantity if req.action == "BUY" else -quantity
        commission = float(
            self._commissions.charge(
                (order.client_id, order.order_id),
                fees.schedule_for(spec.sec_type),
                quantity,
                commission_value(spec, quantity, price),
                first=order.filled == 0,
                last=quantity >= order.remaining,
            )
        )
        realized = self._apply_to_position(spec, signed, price)
        mult = float(spec.multiplier or 1)
        if spec.sec_type != "FUT":
            self._book.cash -= float(signed) * price * mult
        self._book.cash += realized if spec.sec_type == "FUT" else 0.0
        self._book.cash -= commission
        self._book.commissions += commission
        self._book.realized_today += realized - commission
        total = order.filled + quantity
        order.avg_fill_price = (order.avg_fill_price * float(order.filled) + price * float(quantity)) / float(total)
        order.filled = total
        order.last_fill_price = price
        order.status = "Filled" if order.remaining == 0 else order.status
        self._exec_seq += 1
        execution = Execution(
            exec_id=f"{self._exec_prefix}.{order.perm_id:08x}.{self._exec_seq:02d}.01",
            order_id=order.order_id,
            client_id=order.client_id,
            perm_id=order.perm_id,
            spec=spec,
            side="BOT" if req.action == "BUY" else "SLD",
            shares=quantity,
            price=price,
            ts=now,
            account=self.account,
            cum_qty=total,
            avg_price=order.avg_fill_price,
            order_ref=req.order_ref,
            commission=commission,
            realized_pnl=realized - commission if realized else 0.0,
            time_zone=self.time_zone,
        )
        self._book.executions.append(execution)
        return Fill(copy.copy(order), execution)

    def _apply_to_position(self, spec: ContractSpec, signed: Decimal, price: float) -> float:
        """Update the position; returns the P&L realised by any reduction (before commission)."""
        pos = self._book.positions.setdefault(spec.con_id, Position(spec))
        mult = pos.multiplier
        realized = 0.0
        if pos.quantity == 0 or (pos.quantity > 0) == (signed > 0):
            total = pos.quantity + signed
            pos.avg_price = (pos.avg_price * float(abs(pos.quantity)) + price * float(abs(signed))) / float(abs(total))
            pos.quantity = total
        else:
            closing = min(abs(signed), abs(pos.quantity))
            direction = 1 if pos.quantity > 0 else -1
            realized = (price - pos.avg_price) * float(closing) * direction * mult
            pos.quantity += signed
            if pos.quantity == 0:
                pos.avg_price = 0.0
            elif (pos.quantity > 0) == (signed > 0):
                pos.avg_price = price  # flipped through zero: the remainder opened at this price
        pos.realized_pnl += realized
        return realized

    # --- read access -------------------------------------------------------------------------------------
    def order(self, client_id: int, order_id: int) -> Order | None:
        with self._lock:
            found = self._book.orders.get((client_id, order_id))
            return copy.copy(found) if found else None

    def open_orders(self, client_id: int | None = None) -> list[Order]:
        """Open orders, of one client or (``None``) of all clients."""
        with self._lock:
            return [
                copy.copy(o)
                for o in self._book.orders.values()
                if o.is_open and (client_id is None or o.client_id == client_id)
            ]

    def positions(self) -> list[Position]:
        with self._lock:
            return [copy.copy(p) for p in self._book.positions.values() if p.quantity != 0]

    def position(self, con_id: int) -> Position | None:
        with self._lock:
            pos = self._book.positions.get(con_id)
            return copy.copy(pos) if pos else None

    def executions(self) -> list[Execution]:
        with self._lock:
            return list(self._book.executions)

    def unrealized_pnl(self, pos: Position) -> float:
        mark = self._marks.get(pos.spec.con_id, pos.avg_price)
        return (mark - pos.avg_price) * float(pos.quantity) * pos.multiplier

    def market_price(self, spec: ContractSpec) -> float:
        with self._lock:
            return self._marks.get(spec.con_id, 0.0)

    def pnl(self) -> tuple[float, float, float]:
        """Daily, unrealized and realized P&L of the account."""
        with self._lock:
            unrealized = sum(self.unrealized_pnl(p) for p in self._book.positions.values() if p.quantity)
            realized = self._book.realized_today
            return realized + unrealized, unrealized, realized

    def account_values(self) -> dict[str, tuple[str, str]]:
        """IB account-summary tags -> (value, currency), computed from cash, positions and marks."""
        with self._lock:
            cash_like = self._book.cash
            stock_value = gross = init = maint = futures_upl = 0.0
            for pos in self._book.positions.values():
                if pos.quantity == 0:
                    continue
                mark = self._marks.get(pos.spec.con_id, pos.avg_price)
                notional = abs(float(pos.quantity)) * mark * pos.multiplier
                init_rate, maint_rate = MARGIN_RATES.get(pos.spec.sec_type, (0.1, 0.1))
                init += notional * init_rate
                maint += notional * maint_rate
                if pos.spec.sec_type == "FUT":
                    futures_upl += self.unrealized_pnl(pos)
                elif pos.spec.sec_type == "CASH":
                    cash_like += float(pos.quantity) * mark
                    gross += notional
                else:
                    stock_value += float(pos.quantity) * mark
                    gross += notional
            net_liq = cash_like + stock_value + futures_upl
            available = net_liq - init
            excess = net_liq - maint
        usd = "USD"

        def money(value: float) -> tuple[str, str]:
            return f"{value:.2f}", usd

        return {
            "AccountType": ("INDIVIDUAL", ""),
            "NetLiquidation": money(net_liq),
            "TotalCashValue": money(cash_like),
            "SettledCash": money(cash_like),
            "AccruedCash": money(0.0),
            "BuyingPower": money(max(available, 0.0) * 4),
            "EquityWithLoanValue": money(net_liq),
            "PreviousDayEquityWithLoanValue": money(net_liq),
            "GrossPositionValue": money(gross),
            "ReqTEquity": money(net_liq),
            "ReqTMargin": money(init),
            "SMA": money(max(available, 0.0)),
            "InitMarginReq": money(init),
            "MaintMarginReq": money(maint),
            "AvailableFunds": money(available),
            "ExcessLiquidity": money(excess),
            "Cushion": (f"{excess / net_liq if net_liq else 0.0:.6f}", ""),
            "FullInitMarginReq": money(init),
            "FullMaintMarginReq": money(maint),
            "FullAvailableFunds": money(available),
            "FullExcessLiquidity": money(excess),
            "LookAheadNextChange": ("0", ""),
            "LookAheadInitMarginReq": money(init),
            "LookAheadMaintMarginReq": money(maint),
            "LookAheadAvailableFunds": money(available),
            "LookAheadExcessLiquidity": money(excess),
            "HighestSeverity": ("0", ""),
            "DayTradesRemaining": ("-1", ""),
            "Leverage": (f"{gross / net_liq if net_liq else 0.0:.4f}", ""),
        }
