"""IB's fee schedule as the backtest venue charges it: hand-computed IB totals, partial fills in a real engine."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import AccountType, BookType, OmsType, OrderSide
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.identifiers import TradeId, Venue
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Money, Price
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.test_kit.stubs.events import TestEventStubs
from nautilus_trader.test_kit.stubs.execution import TestExecStubs
from nautilus_trader.trading.strategy import Strategy, StrategyConfig

from nautilus_node.backtest.fees import IBFeeConfig, IBFeeModel

IDEALPRO = Venue("IDEALPRO")
SPY = TestInstrumentProvider.equity("SPY", "ARCA")
EURUSD = TestInstrumentProvider.default_fx_ccy("EUR/USD", IDEALPRO)
USDJPY = TestInstrumentProvider.default_fx_ccy("USD/JPY", IDEALPRO)
ES = TestInstrumentProvider.es_future(2026, 3)
AAPL_OPTION = TestInstrumentProvider.aapl_option()


def _charge_fills(instrument: Instrument, fills: list[tuple[int, str]]) -> list[Decimal]:
    """Charge the fills of one order in turn, applying each fill to the order as the engine does."""
    model = IBFeeModel()
    order = TestExecStubs.limit_order(instrument=instrument, quantity=instrument.make_qty(sum(q for q, _ in fills)))
    order.apply(TestEventStubs.order_submitted(order))
    order.apply(TestEventStubs.order_accepted(order))
    charged = []
    for number, (qty, price) in enumerate(fills):
        commission = model.get_commission(order, instrument.make_qty(qty), Price.from_str(price), instrument)
        charged.append(commission.as_decimal())
        fill = TestEventStubs.order_filled(
            order,
            instrument,
            trade_id=TradeId(f"E-{number}"),
            last_qty=instrument.make_qty(qty),
            last_px=Price.from_str(price),
            commission=commission,
        )
        order.apply(fill)
    return charged


@pytest.mark.parametrize(
    ("instrument", "fills", "charged"),
    [
        # 100 @ 25 then 200 @ 25: 300 x 0.005 = 1.50 for the order; the first fill pays the 1.00 minimum.
        (SPY, [(100, "25.00"), (200, "25.00")], ["1.00", "0.50"]),
        # 400 + 600 @ 0.25: 1,000 x 0.005 = 5.00, capped at 1% of 250.00 = 2.50; the first part is capped at 1.00.
        (SPY, [(400, "0.25"), (600, "0.25")], ["1.00", "1.50"]),
        # 30,000 @ 1.10000 + 70,000 @ 1.10010: value 110,007.00 x 0.2 bp = 2.20 for the order, the minimum once.
        (EURUSD, [(30_000, "1.10000"), (70_000, "1.10010")], ["2.00", "0.20"]),
        # 1,000,000 + 1,000,000 @ 1.1: 2,200,000 x 0.2 bp = 44.00, 22.00 each.
        (EURUSD, [(1_000_000, "1.10000"), (1_000_000, "1.10000")], ["22.00", "22.00"]),
        # USD/JPY is valued in USD (the base): 50,000 USD x 0.2 bp = 1.00, raised to the USD 2 minimum.
        (USDJPY, [(20_000, "150.000"), (30_000, "150.010")], ["2.00", "0.00"]),
        # Futures pay per contract (0.85 + exchange 1.38 + regulatory 0.02), no minimum.
        (ES, [(1, "5000.00"), (2, "5000.25")], ["2.25", "4.50"]),
        # Options pay 0.65 per contract, at least 1.00 per order: 1 then 4 contracts at 2.50 pay 1.00, then 2.25.
        (AAPL_OPTION, [(1, "2.50"), (4, "2.50")], ["1.00", "2.25"]),
        # A premium under 0.05 pays 0.25 per contract: 10 x 0.25 = 2.50.
        (AAPL_OPTION, [(10, "0.04")], ["2.50"]),
    ],
    ids=[
        "stock-minimum-once",
        "stock-maximum-per-order",
        "fx-minimum-once",
        "fx-large",
        "usdjpy-in-usd",
        "future",
        "option-minimum-once",
        "option-penny-premium",
    ],
)
def test_partial_fills_pay_ib_per_order_total(instrument: Instrument, fills: list, charged: list[str]) -> None:
    assert _charge_fills(instrument, fills) == [Decimal(c) for c in charged]


def test_commissions_of_usd_based_pairs_are_in_usd() -> None:
    order = TestExecStubs.limit_order(instrument=USDJPY, quantity=USDJPY.make_qty(10_000_000))
    fee = IBFeeModel().get_commission(order, USDJPY.make_qty(10_000_000), Price.from_str("150.000"), USDJPY)
    assert fee == Money(200, USD)


def test_a_named_schedule_overrides_the_instrument_type() -> None:
    order = TestExecStubs.limit_order(instrument=SPY, quantity=SPY.make_qty(100))
    fee = IBFeeModel(IBFeeConfig(schedule="fx")).get_commission(order, SPY.make_qty(100), Price.from_str("25"), SPY)
    assert fee == Money(2, USD)


class _BuyOnce(StrategyConfig, frozen=True):
    quantity: int = 100_000


class BuyOnce(Strategy):
    """Buys `quantity` EUR/USD at market on the first quote."""

    def __init__(self, config: _BuyOnce) -> None:
        super().__init__(config)
        self.fills: list[OrderFilled] = []

    def on_start(self) -> None:
        self.subscribe_quote_ticks(EURUSD.id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        if not self.cache.orders():
            order = self.order_factory.market(EURUSD.id, OrderSide.BUY, EURUSD.make_qty(self.config.quantity))
            self.submit_order(order)

    def on_order_filled(self, event: OrderFilled) -> None:
        self.fills.append(event)


def test_an_order_filled_in_parts_by_the_backtest_engine_pays_the_minimum_once() -> None:
    # The top of book shows 30,000: NautilusTrader fills 30,000 at the ask and the other 70,000 one tick worse.
    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(bypass_logging=True)))
    engine.add_venue(
        IDEALPRO,
        OmsType.NETTING,
        AccountType.MARGIN,
        starting_balances=[Money(1_000_000, USD)],
        base_currency=USD,
        book_type=BookType.L1_MBP,
        fee_model=IBFeeModel(),
    )
    engine.add_instrument(EURUSD)
    ticks = [
        QuoteTick(
            EURUSD.id,
            Price.from_str("1.09990"),
            Price.from_str("1.10000"),
            EURUSD.make_qty(30_000),
            EURUSD.make_qty(30_000),
            ts,
            ts,
        )
        for ts in (1_000_000_000, 2_000_000_000, 3_000_000_000)
    ]
    engine.add_data(ticks)
    strategy = BuyOnce(_BuyOnce())
    engine.add_strategy(strategy)
    engine.run()
    try:
        assert [(f.last_qty.as_double(), str(f.last_px)) for f in strategy.fills] == [
            (30_000, "1.10000"),
            (70_000, "1.10001"),
        ]
        # Value 33,000.00 + 77,000.70 = 110,000.70; x 0.2 bp = 2.20 for the order: 2.00, then 0.20.
        assert [f.commission for f in strategy.fills] == [Money("2.00", USD), Money("0.20", USD)]
    finally:
        engine.dispose()
