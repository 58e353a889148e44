"""The simulated paper account: cash, positions with average cost, executions, IB fixed-rate commissions
(`ib.fees`) and the account values they add up to. Part of `broker.Broker`, which holds the lock."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from nautilus_node.ib import fees
from nautilus_node.ib.hours import zone_of
from nautilus_node.simgateway.contracts import ContractSpec

if TYPE_CHECKING:
    from nautilus_node.simgateway.order_book import Order

STARTING_CASH = 1_000_000.0
# Initial and maintenance margin as a fraction of notional, by security type.
MARGIN_RATES = {"STK": (0.25, 0.25), "CASH": (0.03, 0.03), "FUT": (0.06, 0.055)}


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


def commission_value(spec: ContractSpec, quantity: Decimal, price: float) -> Decimal:
    """The USD value IB's fee schedule charges on: units for a USD-based pair, price times size otherwise."""
    if spec.sec_type == "CASH":
        return fees.fx_value_in_usd(spec.symbol, spec.currency, quantity, Decimal(str(price)))
    return quantity * Decimal(str(price)) * Decimal(str(spec.multiplier or 1))


@dataclass(slots=True)
class _Book:
    cash: float = STARTING_CASH
    realized_today: float = 0.0
    commissions: float = 0.0
    orders: dict[tuple[int, int], Order] = field(default_factory=dict)
    positions: dict[int, Position] = field(default_factory=dict)
    executions: list[Execution] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Figures:
    """What the account values add up from: cash, positions' values and their margin."""

    cash_like: float
    stock_value: float
    gross: float
    init: float
    maint: float
    net_liq: float


@dataclass(frozen=True, slots=True)
class MarginImpact:
    """A what-if order's effect on the account, as IB's OrderState reports it: initial and maintenance margin
    and equity with loan before and after the order, and its commission."""

    init_before: float
    maint_before: float
    equity_before: float
    init_after: float
    maint_after: float
    equity_after: float
    commission: float


def _apply(positions: dict[int, Position], spec: ContractSpec, signed: Decimal, price: float) -> float:
    """Update the position in ``positions``; returns the P&L realised by any reduction (before commission)."""
    pos = positions.setdefault(spec.con_id, Position(spec))
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


def _figures(cash: float, positions: dict[int, Position], marks: dict[int, float]) -> _Figures:
    cash_like = cash
    stock_value = gross = init = maint = futures_upl = 0.0
    for pos in positions.values():
        if pos.quantity == 0:
            continue
        mark = marks.get(pos.spec.con_id, pos.avg_price)
        notional = abs(float(pos.quantity)) * mark * pos.multiplier
        init_rate, maint_rate = MARGIN_RATES.get(pos.spec.sec_type, (0.1, 0.1))
        init += notional * init_rate
        maint += notional * maint_rate
        if pos.spec.sec_type == "FUT":
            futures_upl += (mark - pos.avg_price) * float(pos.quantity) * pos.multiplier
        elif pos.spec.sec_type == "CASH":
            cash_like += float(pos.quantity) * mark
            gross += notional
        else:
            stock_value += float(pos.quantity) * mark
            gross += notional
    return _Figures(cash_like, stock_value, gross, init, maint, cash_like + stock_value + futures_upl)


class AccountMixin:
    """Positions, executions, P&L and account values of `Broker`."""

    _book: _Book
    _lock: threading.RLock
    _marks: dict[int, float]

    def _apply_to_position(self, spec: ContractSpec, signed: Decimal, price: float) -> float:
        """Update the position; returns the P&L realised by any reduction (before commission)."""
        return _apply(self._book.positions, spec, signed, price)

    def margin_impact(self, spec: ContractSpec, signed: Decimal, price: float, commission: float) -> MarginImpact:
        """What filling ``signed`` of ``spec`` at ``price`` would do to the account's margin and equity."""
        with self._lock:
            before = _figures(self._book.cash, self._book.positions, self._marks)
            positions = {con_id: copy.copy(pos) for con_id, pos in self._book.positions.items()}
            _apply(positions, spec, signed, price)
            cash = self._book.cash - commission
            if spec.sec_type not in ("FUT", "CASH"):
                cash -= float(signed) * price * float(spec.multiplier or 1)
            marks = {**self._marks, spec.con_id: self._marks.get(spec.con_id, price)}
            after = _figures(cash, positions, marks)
        return MarginImpact(
            before.init, before.maint, before.net_liq, after.init, after.maint, after.net_liq, commission
        )

    def cushion_percent(self) -> float:
        """Excess liquidity over net liquidation in percent (what margin conditions compare)."""
        with self._lock:
            f = _figures(self._book.cash, self._book.positions, self._marks)
        return (f.net_liq - f.maint) / f.net_liq * 100 if f.net_liq else 0.0

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
            f = _figures(self._book.cash, self._book.positions, self._marks)
        cash_like, gross, init, maint, net_liq = f.cash_like, f.gross, f.init, f.maint, f.net_liq
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
