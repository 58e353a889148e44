"""NautilusTrader loads SPY's option chain from the simulated gateway (``build_options_chain``), streams quotes of
one option from it, and gets a market order for it filled with IB's option commission; on the text stack and on
the protobuf one. NautilusTrader 1.231's IB adapter does not turn IB's option computations into data (its
wrapper's ``tickOptionComputation`` only logs them), so the test shows the greeks reach that wrapper callback
through the adapter's own client, decoded by ibapi, by recording the calls on their way through."""

from __future__ import annotations

import threading

import pytest
from nautilus_trader.adapters.interactive_brokers.client.wrapper import InteractiveBrokersEWrapper
from nautilus_trader.adapters.interactive_brokers.common import IBContract
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OptionKind, OrderSide
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.instruments import OptionContract
from nautilus_trader.model.objects import Money, Quantity
from nautilus_trader.trading.strategy import Strategy, StrategyConfig

from nautilus_node.simgateway import SimulatedGateway

from .conftest import TWO_STACKS
from .live_nodes import RunningNode, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("gateway", TWO_STACKS, indirect=True)]

SPY_WITH_CHAIN = IBContract(
    secType="STK",
    symbol="SPY",
    exchange="SMART",
    primaryExchange="ARCA",
    currency="USD",
    build_options_chain=True,
    max_expiry_days=8,  # one or two weeklies: enough of a chain to load quickly
)


class ChainProbe(Strategy):
    """Picks the nearest at-the-money call of the loaded chain, subscribes to its quotes and buys one."""

    def __init__(self) -> None:
        super().__init__(StrategyConfig(strategy_id="ChainProbe-001"))
        self.options: list[OptionContract] = []
        self.chosen: OptionContract | None = None
        self.quotes: list[QuoteTick] = []
        self.fills: list[OrderFilled] = []
        self.started = threading.Event()

    def on_start(self) -> None:
        self.options = [i for i in self.cache.instruments() if isinstance(i, OptionContract)]
        calls = [o for o in self.options if o.option_kind == OptionKind.CALL and o.underlying == "SPY"]
        if calls:
            first_expiry = min(o.expiration_ns for o in calls)
            front = [o for o in calls if o.expiration_ns == first_expiry]
            self.chosen = min(front, key=lambda o: abs(o.strike_price.as_double() - 580.0))
            self.subscribe_quote_ticks(self.chosen.id)
        self.started.set()

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.quotes.append(tick)
        if len(self.quotes) == 3:
            self.submit_order(self.order_factory.market(self.chosen.id, OrderSide.BUY, Quantity.from_int(1)))

    def on_order_filled(self, event: OrderFilled) -> None:
        self.fills.append(event)


def test_a_node_loads_the_spy_chain_streams_an_option_with_greeks_and_fills_an_order_for_it(
    gateway: SimulatedGateway, run_strategy, monkeypatch: pytest.MonkeyPatch
) -> None:
    computations: list[tuple] = []
    passing_on = InteractiveBrokersEWrapper.tickOptionComputation

    def recorded(self, *args) -> None:
        computations.append(args)
        passing_on(self, *args)

    monkeypatch.setattr(InteractiveBrokersEWrapper, "tickOptionComputation", recorded)
    probe = ChainProbe()
    running = RunningNode.start(gateway.port, gateway.account, probe, contracts=(SPY_WITH_CHAIN,))
    try:
        assert probe.started.wait(90), "strategy never started (chain loading or reconciliation failed)"
        listed_strikes = len(gateway.universe.options.strikes(gateway.universe.by_local_symbol("SPY")))
        assert len(probe.options) >= 2 * listed_strikes  # calls and puts of at least one expiry
        assert probe.chosen is not None and probe.chosen.multiplier == Quantity.from_int(100)
        assert probe.chosen.strike_price.as_double() == 580.0
        assert probe.chosen.raw_symbol.value.startswith("SPY   ") and probe.chosen.raw_symbol.value[12] == "C"

        wait_until(lambda: len(probe.quotes) >= 3, 30, "three quotes of the chosen option")
        # NautilusTrader builds a quote from each bid or ask tick, so a move may show one locked quote between
        assert all(0 < q.bid_price <= q.ask_price for q in probe.quotes)
        assert probe.quotes[0].bid_price < probe.quotes[0].ask_price
        wait_until(lambda: any(c[1] == 13 for c in computations), 30, "a model option computation")
        model = next(c for c in computations if c[1] == 13)
        _, _, _, iv, delta, price, _, gamma, vega, theta, und = model
        assert 0.05 < iv < 0.5 and 0.3 < delta < 0.7 and gamma > 0 and vega > 0 and theta < 0
        assert 560 < und < 600 and price > 0
        assert {c[1] for c in computations} >= {10, 11, 13}

        wait_until(lambda: len(probe.fills) >= 1, 30, "the option order's fill")
        fill = probe.fills[0]
        assert fill.commission == Money(1.00, USD)  # 1 contract x 0.65, raised to IB's 1.00 per order minimum
        [execution] = gateway.broker.executions()
        assert execution.spec.local_symbol == probe.chosen.raw_symbol.value
        assert fill.last_px.as_double() == pytest.approx(execution.price)
        position = gateway.broker.position(execution.spec.con_id)
        assert position is not None and position.quantity == 1
        assert position.avg_cost == pytest.approx(execution.price * 100)
    finally:
        running.stop()
