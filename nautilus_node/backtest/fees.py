"""IB's commission schedule (`nautilus_node.ib.fees`) as a NautilusTrader fee model for backtest venues.

`IBFeeModel` picks the schedule from the instrument (a currency pair pays IDEALPRO FX, an equity the US-stock
rate, a future per contract, an option per contract by its premium, a crypto instrument the crypto rate) or uses
the one its config names. Each fill pays the order's commission so far less what the order paid before, so IB's
per-order minimum and maximum hold across partial fills.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from nautilus_trader.backtest.config import FeeModelConfig
from nautilus_trader.backtest.models import FeeModel
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.instruments import (
    CryptoFuture,
    CryptoPerpetual,
    CurrencyPair,
    Equity,
    FuturesContract,
    Instrument,
    OptionContract,
)
from nautilus_trader.model.objects import Currency, Money, Price, Quantity
from nautilus_trader.model.orders import Order

from nautilus_node.ib import fees

_SCHEDULES = {"fx": fees.FX, "us_stock": fees.US_STOCK, "us_future": fees.US_FUTURE, "crypto": fees.CRYPTO}


class IBFeeConfig(FeeModelConfig, frozen=True):
    """`schedule`: "auto" (by instrument type) or one of "fx", "us_stock", "us_future", "crypto"."""

    schedule: Literal["auto", "fx", "us_stock", "us_future", "crypto"] = "auto"


def schedule_for_instrument(instrument: Instrument, price: Decimal | None = None) -> fees.FeeSchedule:
    """The IB schedule an instrument pays, by its NautilusTrader type (an option's also by its fill ``price``)."""
    if isinstance(instrument, CryptoPerpetual | CryptoFuture) or instrument.id.venue.value == "PAXOS":
        return fees.CRYPTO
    if isinstance(instrument, CurrencyPair):
        return fees.FX
    if isinstance(instrument, Equity):
        return fees.US_STOCK
    if isinstance(instrument, FuturesContract):
        return fees.US_FUTURE
    if isinstance(instrument, OptionContract):
        return fees.option_schedule(price) if price is not None else fees.US_OPTION
    return fees.US_STOCK


def trade_value(instrument: Instrument, quantity: Decimal, price: Decimal) -> tuple[Decimal, Currency]:
    """A fill's value and its currency: USD where IB's schedule can value it in USD, else the quote currency."""
    quote = instrument.quote_currency
    if isinstance(instrument, CurrencyPair) and instrument.base_currency == USD:
        return quantity, USD
    return quantity * price * instrument.multiplier.as_decimal(), quote


class IBFeeModel(FeeModel):
    """IB's fixed-rate commissions with per-order minimums and maximums across partial fills."""

    def __init__(self, config: IBFeeConfig | None = None) -> None:
        config = config or IBFeeConfig()
        self._schedule = None if config.schedule == "auto" else _SCHEDULES[config.schedule]
        self._orders = fees.OrderCommissions()

    def get_commission(self, order: Order, fill_qty: Quantity, fill_px: Price, instrument: Instrument) -> Money:
        quantity, price = fill_qty.as_decimal(), fill_px.as_decimal()
        value, currency = trade_value(instrument, quantity, price)
        fee = self._orders.charge(
            order.client_order_id,
            self._schedule or schedule_for_instrument(instrument, price),
            quantity,
            value,
            first=order.filled_qty.as_decimal() == 0,
            last=quantity >= order.leaves_qty.as_decimal(),
        )
        return Money(fee, currency)
