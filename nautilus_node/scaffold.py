"""`new-strategy NAME`: a strategy module, its backtest config and a test, ready to run at once.

Writes `strategies/<name>.py`, `configs/<name>.toml` and `tests/strategies/test_<name>.py` under the project
root. The strategy is a small working example (long while the close is above a moving average) for the author
to replace; the config backtests it over the shipped EUR/USD minute bars.
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

Starts as a working example (long while the bar close is above its simple moving average, flat otherwise)
to replace with your own logic. The same module and config run in a backtest and on the live node.
"""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.config import PositiveInt, StrategyConfig
from nautilus_trader.indicators import SimpleMovingAverage
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.strategy import Strategy


class {stem}Config(StrategyConfig, frozen=True):
    """Parameters, set in the `[strategies.config]` table of a config file."""

    instrument_id: InstrumentId
    bar_type: BarType
    trade_size: Decimal
    period: PositiveInt = 60


class {stem}Strategy(Strategy):
    """Long while the close is above the moving average."""

    def __init__(self, config: {stem}Config) -> None:
        super().__init__(config)
        self.average = SimpleMovingAverage(config.period)

    def on_start(self) -> None:
        """Subscribe to data; indicators registered here are updated before `on_bar` is called."""
        self.register_indicator_for_bars(self.config.bar_type, self.average)
        self.subscribe_bars(self.config.bar_type)

    def on_bar(self, bar: Bar) -> None:
        """Called for every bar of `bar_type`."""
        if not self.average.initialized:
            return
        long = not self.portfolio.is_flat(self.config.instrument_id)
        if bar.close.as_double() > self.average.value and not long:
            self.submit_order(
                self.order_factory.market(
                    instrument_id=self.config.instrument_id,
                    order_side=OrderSide.BUY,
                    quantity=self.cache.instrument(self.config.instrument_id).make_qty(self.config.trade_size),
                ),
            )
        elif bar.close.as_double() < self.average.value and long:
            self.close_all_positions(self.config.instrument_id)

    def on_stop(self) -> None:
        """Leave nothing behind."""
        self.cancel_all_orders(self.config.instrument_id)
        self.close_all_positions(self.config.instrument_id)
'''

CONFIG_TEMPLATE = """# {stem}Strategy. The same file backtests and trades:
#   python -m nautilus_node backtest configs/{name}.toml     # over catalog/
#   python -m nautilus_node run configs/{name}.toml --sim    # live, on the simulated IB Gateway
#   python -m nautilus_node run configs/{name}.toml          # live, on IB Gateway paper (TWS_ACCOUNT=DU...)

[instruments]
load = ["EUR/USD.IDEALPRO"]

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

TEST_TEMPLATE = '''"""{stem}Strategy backtests over the shipped EUR/USD data."""

from __future__ import annotations

from pathlib import Path

import pytest

from nautilus_node.backtest.command import backtest_command

ROOT = Path(__file__).resolve().parents[2]


def test_{name}_backtests_over_the_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    outcome = backtest_command(Path("configs/{name}.toml"), progress=False, results=tmp_path)

    assert outcome.statistics["events"] > 0
    assert (outcome.directory / "statistics.json").is_file()
'''
