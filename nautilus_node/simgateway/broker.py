"""A pure paper broker: orders, fills against the quote, IB fixed-rate commissions, positions with
average cost, and account values that move with fills. Thread-safe; no I/O."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from nautilus_node.simgateway.contracts import ContractSpec
from nautilus_node.simgateway.market import Quote

ORDER_TYPES = ("MKT", "LMT", "STP", "STP LMT")
TIFS = ("DAY", "GTC", "IOC", "FOK")
STARTING_CASH = 1_000_000.0
# Initial and maintenance margin as a fraction of notional, by security type.
MARGIN_RATES = {"STK": (0.25, 0.25), "CASH": (0.03, 0.03), "FUT": (0.06, 0.055)}
FUTURES_FEE_PER_CONTRACT = 2.25  # IB fixed commission plus exchange and regulatory fees (CME E-mini)


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

    @property
    def time_text(self) -> str:
        return dt.datetime.fromtimestamp(self.ts, dt.UTC).strftime("%Y%m%d %H:%M:%S") + " UTC"


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


def commission_for(spec: ContractSpec, quantity: Decimal, price: float) -> float:
    """IB fixed-rate commissions: US stocks $0.005/share (min $1, max 1% of value); IDEALPRO 0.2 bp
    of value (min $2); futures a flat per-contract fee."""
    qty = float(quantity)
    value = qty * price * float(spec.multiplier or 1)
    if spec.sec_type == "STK":
        return round(min(max(0.005 * qty, 1.0), 0.01 * value), 4)
    if spec.sec_type == "CASH":
        return round(max(0.00002 * value, 2.0), 4)
    return round(FUTURES_FEE_PER_CONTRACT * qty, 4)


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

    def __init__(self, account: str, starting_cash: float = STARTING_CASH, first_order_id: int = 1) -> None:
        self.account = account
        self._book = _Book(cash=starting_cash)
        self._lock = threading.RLock()
        self._next_order_id = first_order_id
        self._next_perm_id = 1_847_301_200
        self._exec_seq = 0
        self._marks: dict[int, float] = {}

    # --- ids -------------------------------------------------------------------------------------------
    def next_valid_id(self) -> int:
        with self._lock:
            return self._next_order_id

    # --- orders ----------------------------------------------------------------------------------------
    def place(self, req: OrderRequest, quote: Quote, now: float) -> list[Event]:
        """Accept a new order or modify an existing one (same client and order id)."""
        with self._lock:
            self._validate(req)
            key = (req.client_id, req.order_id)
            existing = self._book.orders.get(key)
            if existing is not None:
                return self._modify(existing, req, quote, now)
            if req.order_id <= 0:
                raise OrderError(103, f"Duplicate order id {req.order_id}")
            order = Order(request=req, perm_id=self._next_perm_id, status="Submitted")
            self._next_perm_id += 1
            self._next_order_id = max(self._next_order_id, req.order_id + 1)
            self._book.orders[key] = order
            events: list[Event] = [OrderUpdate(copy.copy(order))]
            events += self._try_fill(order, quote, now, incoming=True)
            return events

    def _validate(self, req: OrderRequest) -> None:
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

    def _modify(self, order: Order, req: OrderRequest, quote: Quote, now: float) -> list[Event]:
        if not order.is_open:
            raise OrderError(104, f"Can't modify a filled order. Order {req.order_id} is {order.status}")
        if req.spec.con_id != order.request.spec.con_id or req.action != order.request.action:
            raise OrderError(201, "Order rejected - reason:Contract and side of an existing order cannot be modified")
        if req.quantity < order.filled:
            raise OrderError(201, "Order rejected - reason:Quantity is below the filled quantity")
        order.request = req
        events: list[Event] = [OrderUpdate(copy.copy(order))]
        events += self._try_fill(order, quote, now, incoming=True)
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
            order.status = "Cancelled"
            return [OrderUpdate(copy.copy(order))]

    def cancel_all(self) -> list[Event]:
        """Global cancel: every open order of the account, whichever client placed it."""
        with self._lock:
            events: list[Event] = []
            for order in self._book.orders.values():
                if order.is_open:
                    order.status = "Cancelled"
                    events.append(OrderUpdate(copy.copy(order)))
            return events

    def on_quote(self, spec: ContractSpec, quote: Quote, now: float) -> list[Event]:
        """Check working orders in ``spec`` against a new quote; fills and triggers."""
        with self._lock:
            self._marks[spec.con_id] = quote.mid
            events: list[Event] = []
            for order in list(self._book.orders.values()):
                if order.is_open and order.request.spec.con_id == spec.con_id:
                    events += self._try_fill(order, quote, now, incoming=False)
            return events

    def _try_fill(self, order: Order, quote: Quote, now: float, *, incoming: bool) -> list[Event]:
        req = order.request
        buy = req.action == "BUY"
        self._marks[req.spec.con_id] = quote.mid
        if req.order_type in ("STP", "STP LMT") and not order.triggered:
            assert req.aux_price is not None
            order.triggered = quote.ask >= req.aux_price if buy else quote.bid <= req.aux_price
        price = self._fill_price(order, quote, incoming=incoming)
        if price is None:
            if req.tif in ("IOC", "FOK") and incoming:
                order.status = "Cancelled"
                return [OrderUpdate(copy.copy(order))]
            return []
        return [self._fill(order, order.remaining, price, now)]

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
        commission = commission_for(spec, quantity, price)
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
            exec_id=f"0000e0d5.{order.perm_id:08x}.{self._exec_seq:02d}.01",
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
