"""`run --sim` with configs/sim.toml runs both example strategies live, and each gets orders to the gateway.

The command runs in a temporary folder, so the config's relative `status/status.json` and `logs` land there,
and NAUTILUS_NODE_STATUS_PORT=0 gives the status server a free port.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nautilus_node.status.snapshot import decode
from tests.live.conftest import PROJECT_ROOT, run_cli

pytestmark = pytest.mark.e2e

EMA_CROSS = "EMACrossStrategy-000"
QUOTE_REVERSION = "QuoteReversionStrategy-001"
MANUAL_ORDERS = "ManualOrders-002"


def test_both_example_strategies_trade_on_the_simulated_gateway(tmp_path: Path) -> None:
    result = run_cli("run", str(PROJECT_ROOT / "configs" / "sim.toml"), "--sim", "--for", "30s", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert f"strategies running: {EMA_CROSS}, {QUOTE_REVERSION}" in result.stdout

    for strategy in (EMA_CROSS, QUOTE_REVERSION):  # the status summary printed just before stopping
        assert f"{strategy}: RUNNING" in result.stdout

    snapshot = decode((tmp_path / "status" / "status.json").read_bytes())  # the last one, written at stop
    # Beside them, the node's manual order desk (the status page's and the control API's orders).
    assert {s.strategy_id for s in snapshot.strategies} == {EMA_CROSS, QUOTE_REVERSION, MANUAL_ORDERS}
    assert snapshot.fills, "at least one order filled"
    # Evidence that a strategy's orders reached the gateway: a fill (its client order id carries the strategy's
    # order id tag), an order the gateway acknowledged, or a position.
    by_tag = {strategy.rsplit("-", 1)[1]: strategy for strategy in (EMA_CROSS, QUOTE_REVERSION)}
    reached = {by_tag[fill.client_order_id.split("-")[-2]] for fill in snapshot.fills}
    reached |= {order.strategy_id for order in snapshot.orders if order.venue_order_id}
    reached |= {position.strategy_id for position in snapshot.positions}
    assert reached == {EMA_CROSS, QUOTE_REVERSION}
    assert all(fill.instrument_id == "EUR/USD.IDEALPRO" for fill in snapshot.fills)
