"""`new-strategy NAME`: a strategy module, its backtest config and a test, ready to run at once.

Writes `strategies/<name>.py`, `configs/<name>.toml` and `tests/strategies/test_<name>.py` under the project
root. The strategy is a small working example (long above a moving average, short below) for the author to
replace; the config backtests it over the shipped EUR/USD minute bars and runs it quietly on `run --sim`.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path

from nautilus_node.errors import InputError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class StrategyNameError(InputError):
    """A `new-strategy` name that cannot be used: not a module name, or its files exist (exit code 2)."""


@dataclass(frozen=True)
class Scaffold:
    """The files written for a new strategy."""

    strategy: Path
    config: Path
    test: Path


def class_stem(name: str) -> str:
    """`mean_revert` → `MeanRevert`."""
    return "".join(part.capitalize() for part in name.split("_") if part)


def new_strategy(name: str, root: Path = Path()) -> Scaffold:
    """Write the three files for strategy `name` under `root`; never overwrites an existing file."""
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise StrategyNameError(
            f"new-strategy: {name!r} is not a module name (use lower case letters, digits and _, e.g. mean_revert)"
        )
    files = Scaffold(
        strategy=root / "strategies" / f"{name}.py",
        config=root / "configs" / f"{name}.toml",
        test=root / "tests" / "strategies" / f"test_{name}.py",
    )
    for path in (files.strategy, files.config, files.test):
        if path.exists():
            raise StrategyNameError(f"new-strategy: {path} already exists")
    stem = class_stem(name)
    texts = {
        files.strategy: STRATEGY_TEMPLATE.format(stem=stem),
        files.config: CONFIG_TEMPLATE.format(name=name, stem=stem),
        files.test: TEST_TEMPLATE.format(name=name, stem=stem),
    }
    for path, text in texts.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return files


STRATEGY_TEMPLATE = '''"""{stem}: describe the idea here.

Starts as a working example to replace with your own logic: long while the bar close is above its simple
moving average, short while it is below. At start it asks for `period` bars of history to warm the average up
(IB sends them live; a backtest has none to send), so it trades on the first bar after that. The same module
and config run in a backtest and on the live node.
"""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.config import NonNegativeInt, PositiveInt, StrategyConfig
from nautilus_trader.indicators import SimpleMovingAverage
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import AggregationSource, OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy


class {stem}Config(StrategyConfig, frozen=True):
    """Parameters, set in the `[strategies.config]` table of a config file."""

    instrument_id: InstrumentId
    bar_type: BarType
    trade_size: Decimal
    period: PositiveInt = 60
    history_bars: NonNegativeInt = 60  # bars requested at start (bars from IB only); 0 requests none


class {stem}Strategy(Strategy):
    """Long above the moving average, short below it: one position, flipped on each crossing."""

    def __init__(self, config: {stem}Config) -> None:
        super().__init__(config)
        self.average = SimpleMovingAverage(config.period)

    def on_start(self) -> None:
        """Subscribe to data; indicators registered here are updated before `on_bar` is called."""
        bar_type = self.config.bar_type
        self.register_indicator_for_bars(bar_type, self.average)
        if self.config.history_bars and bar_type.aggregation_source == AggregationSource.EXTERNAL:
            start = self.clock.utc_now() - bar_type.spec.timedelta * self.config.history_bars
            self.request_bars(bar_type, start=start)
        self.subscribe_bars(bar_type)

    def on_bar(self, bar: Bar) -> None:
        """Called for every bar of `bar_type`."""
        if not self.average.initialized:
            return
        wanted = OrderSide.BUY if bar.close.as_double() > self.average.value else OrderSide.SELL
        instrument_id = self.config.instrument_id
        if self.portfolio.is_net_long(instrument_id) and wanted == OrderSide.BUY:
            return
        if self.portfolio.is_net_short(instrument_id) and wanted == OrderSide.SELL:
            return
        if self.cache.orders_open(instrument_id=instrument_id, strategy_id=self.id):
            return  # the last order is still on its way
        self.close_all_positions(instrument_id)
        self.submit_order(
            self.order_factory.market(
                instrument_id=instrument_id,
                order_side=wanted,
                quantity=self.cache.instrument(instrument_id).make_qty(self.config.trade_size),
            ),
        )

    def on_stop(self) -> None:
        """Leave nothing behind."""
        self.cancel_all_orders(self.config.instrument_id)
        self.close_all_positions(self.config.instrument_id)
'''

CONFIG_TEMPLATE = """# {stem}Strategy. The same file backtests and trades:
#   python3 -m uv run nautilus-node backtest configs/{name}.toml            # over catalog/
#   python3 -m uv run nautilus-node run configs/{name}.toml --sim --for 2m  # live, on the simulated IB Gateway
#   python3 -m uv run nautilus-node run configs/{name}.toml                 # live, IB Gateway paper (TWS_ACCOUNT)

[node]
log_level = "ERROR"   # console: the node's own lines, errors, IB's non-routine codes; the log file: everything
log_file_level = "INFO"
log_directory = "logs"

[instruments]
load = ["EUR/USD.IDEALPRO"]

[status]
stale_after_secs = 150      # minute bars: a feed is stale only after two bars are missing

[backtest]
catalog = "catalog"
results = "results"
start = "2014-05-01"
end = "2014-05-16"

[[backtest.data]]
kind = "bars"
bar_types = ["EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL", "EUR/USD.IDEALPRO-1-MINUTE-ASK-EXTERNAL"]

[[backtest.venues]]
name = "IDEALPRO"
account_type = "margin"
starting_balances = ["100000 USD"]
leverage = 30
fee_model = "ib_fx"

[[strategies]]
path = "strategies.{name}:{stem}Strategy"
config_path = "strategies.{name}:{stem}Config"
[strategies.config]
instrument_id = "EUR/USD.IDEALPRO"
bar_type = "EUR/USD.IDEALPRO-1-MINUTE-BID-EXTERNAL"
trade_size = "100000"
"""

TEST_TEMPLATE = '''"""{stem}Strategy backtests over the shipped EUR/USD data: it trades, holds one position at a
time, and is long and short in turn."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nautilus_node.backtest.command import backtest_command

ROOT = Path(__file__).resolve().parents[2]


def test_{name}_trades_one_position_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    outcome = backtest_command(Path("configs/{name}.toml"), start="2014-05-05", end="2014-05-07", results=tmp_path)
    orders = pd.read_csv(outcome.directory / "orders.csv")
    positions = pd.read_csv(outcome.directory / "positions.csv")

    assert len(orders) > 2 and set(orders["strategy_id"]) == {{"{stem}Strategy-000"}}
    assert set(orders["status"]) == {{"FILLED"}}  # market orders, all filled
    assert {{"BUY", "SELL"}} <= set(orders["side"])
    assert len(positions) > 1 and positions["ts_closed"].iloc[:-1].notna().all()  # each closed before the next
    assert {{"LONG", "SHORT"}} <= set(positions["entry"].map({{"BUY": "LONG", "SELL": "SHORT"}}))
'''
