"""The node's pre-trade limits in a real backtest node (NautilusTrader's `BacktestEngine` with the status actor):
a bracket whose entry would cross the position limit is denied whole, each of its orders naming the limit; one
within it passes with its exits (which reduce, so are not counted against the limit)."""

from __future__ import annotations

from nautilus_trader.model.enums import OrderStatus

from nautilus_node.status.actor import StatusActor
from tests.operator.strategies import BracketOnce, BracketOnceConfig
from tests.status.conftest import backtest_engine, eurusd, quotes, status_config


def _run(tmp_path, quantity: int):  # type: ignore[no-untyped-def]
    engine = backtest_engine(with_strategy=False)
    instrument_id = str(eurusd().id)
    engine.add_strategy(BracketOnce(BracketOnceConfig(instrument_id=instrument_id, quantity=quantity)))
    actor = StatusActor(status_config(tmp_path, http_port=None, max_position={instrument_id: 20_000.0}))
    engine.add_actor(actor)
    engine.add_data(quotes(eurusd().id, 20))
    engine.run()
    orders = engine.cache.orders()
    actor.close()
    engine.dispose()
    return orders


def test_a_bracket_past_the_position_limit_is_denied_whole_naming_the_limit(tmp_path):
    orders = _run(tmp_path, quantity=30_000)
    assert len(orders) == 3
    assert {o.status for o in orders} == {OrderStatus.DENIED}
    assert {o.last_event.reason for o in orders} == {
        "max_position 20000 for EUR/USD.SIM: the order could make it 30000"
    }


def test_a_bracket_within_the_limit_passes_with_its_exits(tmp_path):
    orders = _run(tmp_path, quantity=10_000)
    assert len(orders) == 3 and not any(o.status == OrderStatus.DENIED for o in orders)
    assert any(o.status == OrderStatus.FILLED for o in orders)  # the entry
