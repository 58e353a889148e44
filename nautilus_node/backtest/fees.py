"""Interactive Brokers commission schedules as NautilusTrader fee models.

Both follow IBKR Pro *fixed* pricing as published by IB:

- US stocks and ETFs: USD 0.005 per share, at least USD 1.00 and at most 1% of the trade value per order.
- Spot FX on IDEALPRO: 0.20 basis point of the trade value, at least USD 2.00 per order (first volume tier).

IB charges the minimum once per order, so partial fills after the first pay only the variable part (the
maximum is likewise applied to the cumulative commission of the order). Amounts are in the instrument's
quote currency; for pairs not quoted in USD the USD minimum is applied in the quote currency unconverted.
"""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.backtest.config import FeeModelConfig
from nautilus_trader.backtest.models import FeeModel
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.model.orders import Order


class IBStockFeeConfig(FeeModelConfig, frozen=True):
    """IB fixed US-stock pricing; the defaults are IB's published rates."""

    per_share: str = "0.005"
    minimum: str = "1.00"
    max_fraction_of_value: str = "0.01"


class IBFxFeeConfig(FeeModelConfig, frozen=True):
    """IB spot FX pricing; the defaults are IB's first tier (0.2 bp, USD 2.00 minimum)."""

    rate: str = "0.00002"
    minimum: str = "2.00"


def _order_minimum_top_up(order: Order, variable: Decimal, minimum: Decimal) -> Decimal:
    """The variable fee, raised to the order minimum on the order's first fill only."""
    if order.filled_qty.as_decimal() == 0:
        return max(variable, minimum)
    return variable


class IBStockFeeModel(FeeModel):
    """Per-share commission with IB's per-order minimum and 1%-of-value cap."""

    def __init__(self, config: IBStockFeeConfig | None = None) -> None:
        config = config or IBStockFeeConfig()
        self._per_share = Decimal(config.per_share)
        self._minimum = Decimal(config.minimum)
        self._cap = Decimal(config.max_fraction_of_value)

    def get_commission(self, order: Order, fill_qty: Quantity, fill_px: Price, instrument: Instrument) -> Money:
        value = fill_qty.as_decimal() * fill_px.as_decimal() * instrument.multiplier.as_decimal()
        fee = _order_minimum_top_up(order, fill_qty.as_decimal() * self._per_share, self._minimum)
        fee = min(fee, value * self._cap)
        return Money(fee, instrument.quote_currency)


class IBFxFeeModel(FeeModel):
    """Commission of a fraction of the trade value with IB's per-order minimum."""

    def __init__(self, config: IBFxFeeConfig | None = None) -> None:
        config = config or IBFxFeeConfig()
        self._rate = Decimal(config.rate)
        self._minimum = Decimal(config.minimum)

    def get_commission(self, order: Order, fill_qty: Quantity, fill_px: Price, instrument: Instrument) -> Money:
        value = instrument.notional_value(fill_qty, fill_px).as_decimal()
        fee = _order_minimum_top_up(order, value * self._rate, self._minimum)
        return Money(fee, instrument.quote_currency)
