"""IB's published commission examples, through the fee models the backtest venue uses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.test_kit.stubs.execution import TestExecStubs

from nautilus_node.backtest.fees import IBFxFeeModel, IBStockFeeModel

SPY = TestInstrumentProvider.equity("SPY", "ARCA")
EURUSD = TestInstrumentProvider.default_fx_ccy("EUR/USD")


@pytest.mark.parametrize(
    ("shares", "price", "fee"),
    [(100, "25.00", "1.00"), (1000, "25.00", "5.00"), (1000, "0.25", "2.50"), (10, "5.00", "0.50")],
)
def test_stock_commission_follows_ib_fixed_pricing(shares: int, price: str, fee: str) -> None:
    # IB's fixed examples: 100 @ 25 = 1.00 (minimum), 1,000 @ 25 = 5.00, 1,000 @ 0.25 = 2.50 (1% cap).
    order = TestExecStubs.limit_order(instrument=SPY, quantity=Quantity.from_int(shares))
    commission = IBStockFeeModel().get_commission(order, Quantity.from_int(shares), Price.from_str(price), SPY)
    assert commission.as_decimal() == Decimal(fee)
    assert commission.currency.code == "USD"


@pytest.mark.parametrize(("units", "fee"), [(10_000, "2.00"), (10_000_000, "276.00")])
def test_fx_commission_is_a_fifth_of_a_basis_point_with_a_two_dollar_minimum(units: int, fee: str) -> None:
    order = TestExecStubs.limit_order(instrument=EURUSD, quantity=EURUSD.make_qty(units))
    commission = IBFxFeeModel().get_commission(order, EURUSD.make_qty(units), EURUSD.make_price(1.38), EURUSD)
    assert commission.as_decimal() == Decimal(fee)
