"""IB's fixed-rate commission schedule (IBKR Pro "Fixed"), stated once for the simulated gateway and the backtests.

- Spot FX on IDEALPRO: 0.20 basis point of the trade value, at least USD 2.00 per order (first volume tier).
- US stocks and ETFs: USD 0.005 per share, at least USD 1.00 and at most 1 % of the trade value per order.
- US futures (CME group): USD 0.85 per contract, plus the exchange fee (E-mini: USD 1.38) and the NFA
  regulatory fee (USD 0.02), together USD 2.25 per contract; no per-order minimum.
- Crypto (Paxos): 0.18 % of the trade value, at least USD 1.75 and at most 1 % of the trade value per order.
- US equity options: USD 0.65 per contract (USD 0.50 for a premium of 0.05 to 0.10 per share, USD 0.25 below
  0.05), at least USD 1.00 per order; the regulatory pass-through fees (ORF, OCC, FINRA TAF) are not modelled.

Minimums and maximums apply per ORDER, not per fill: an order's commission so far is the schedule applied to
everything it has filled so far, and each fill is charged that total less what the order was charged before
(`OrderCommissions`). Two partial fills of one FX order worth USD 110,000 together pay USD 2.20, not
2.00 + 2.00. Trade values are in USD; commissions are in USD, rounded to the cent.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """One of IB's fixed-rate schedules: a part per unit plus a part of the trade value, bounded per order."""

    name: str
    per_unit: Decimal = Decimal(0)
    of_value: Decimal = Decimal(0)
    minimum: Decimal = Decimal(0)
    maximum_of_value: Decimal | None = None
    currency: str = "USD"

    def order_total(self, quantity: Decimal, value: Decimal) -> Decimal:
        """The commission of an order that has filled `quantity` units worth `value` (USD) so far."""
        if quantity == 0:
            return Decimal(0)
        fee = max(abs(quantity) * self.per_unit + abs(value) * self.of_value, self.minimum)
        if self.maximum_of_value is not None:
            fee = min(fee, abs(value) * self.maximum_of_value)
        return fee.quantize(CENT, rounding=ROUND_HALF_UP)


FX = FeeSchedule("IDEALPRO spot FX", of_value=Decimal("0.00002"), minimum=Decimal("2.00"))
US_STOCK = FeeSchedule(
    "US stocks and ETFs", per_unit=Decimal("0.005"), minimum=Decimal("1.00"), maximum_of_value=Decimal("0.01")
)
US_FUTURE = FeeSchedule("US futures", per_unit=Decimal("0.85") + Decimal("1.38") + Decimal("0.02"))
CRYPTO = FeeSchedule("Crypto", of_value=Decimal("0.0018"), minimum=Decimal("1.75"), maximum_of_value=Decimal("0.01"))

US_OPTION = FeeSchedule("US equity options", per_unit=Decimal("0.65"), minimum=Decimal("1.00"))
US_OPTION_LOW_PREMIUM = FeeSchedule(
    "US equity options, premium 0.05-0.10", per_unit=Decimal("0.50"), minimum=Decimal(1)
)
US_OPTION_PENNY_PREMIUM = FeeSchedule("US equity options, premium < 0.05", per_unit=Decimal("0.25"), minimum=Decimal(1))

BY_SEC_TYPE: dict[str, FeeSchedule] = {
    "CASH": FX,
    "STK": US_STOCK,
    "FUT": US_FUTURE,
    "CRYPTO": CRYPTO,
    "OPT": US_OPTION,
}


def option_schedule(premium: Decimal) -> FeeSchedule:
    """The US equity option schedule for a fill at ``premium`` per share."""
    if premium < Decimal("0.05"):
        return US_OPTION_PENNY_PREMIUM
    if premium < Decimal("0.10"):
        return US_OPTION_LOW_PREMIUM
    return US_OPTION


def schedule_for(sec_type: str, price: Decimal | None = None) -> FeeSchedule:
    """The schedule for an IB security type (CASH, STK, FUT, CRYPTO, OPT: by the fill's ``price`` when given);
    other types pay as futures do."""
    if sec_type == "OPT" and price is not None:
        return option_schedule(price)
    return BY_SEC_TYPE.get(sec_type, US_FUTURE)


def fx_value_in_usd(base: str, quote: str, quantity: Decimal, price: Decimal) -> Decimal:
    """The USD value of an FX trade of `quantity` units of `base` at `price` (in `quote`). For a cross without
    USD the value stays in the quote currency (IB converts it at its own rate, which is not known here)."""
    if base == "USD":
        return quantity
    return quantity * price


@dataclass(slots=True)
class _Filled:
    quantity: Decimal = Decimal(0)
    value: Decimal = Decimal(0)
    charged: Decimal = Decimal(0)


@dataclass(slots=True)
class OrderCommissions:
    """What each fill of an order is charged: the order's commission so far less what it was charged before."""

    _orders: dict[Hashable, _Filled] = field(default_factory=dict)

    def charge(
        self, order: Hashable, schedule: FeeSchedule, quantity: Decimal, value: Decimal, *, first: bool, last: bool
    ) -> Decimal:
        """The commission of one fill of `quantity` units worth `value` (USD); `first` starts the order afresh
        and `last` (the order is complete) forgets it."""
        filled = _Filled() if first else self._orders.get(order, _Filled())
        filled.quantity += quantity
        filled.value += value
        fee = schedule.order_total(filled.quantity, filled.value) - filled.charged
        filled.charged += fee
        if last:
            self._orders.pop(order, None)
        else:
            self._orders[order] = filled
        return fee
