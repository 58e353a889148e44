"""The simulated paper account: cash, positions with average cost, executions, IB fixed-rate commissions
(`ib.fees`) and the account values they add up to. Part of `broker.Broker`, which holds the lock."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from nautilus_node.ib import fees
from nautilus_node.simgateway.contracts import ContractSpec
from nautilus_node.simgateway.hours import ZONES

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
        local = dt.datetime.fromtimestamp(self.ts, ZoneInfo(ZONES.get(self.time_zone, self.time_zone)))
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


class AccountMixin:
    """Positions, executions, P&L and account values of `Broker`."""

    _book: _Book
    _lock: threading.RLock
    _marks: dict[int, float]

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
