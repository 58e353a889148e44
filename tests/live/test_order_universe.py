"""`order` for the wider universe end to end: the CLI in a subprocess, the real NautilusTrader IB adapter, the
simulated IB Gateway. An NQ front month and GBP/USD fill with IB's fixed commissions, with `--sim` (the
protobuf stack) and against a gateway that stops at server version 200 (the text stack)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.contracts import build_universe
from tests.live.conftest import run_cli
from tests.live.test_order_command import outcome

pytestmark = pytest.mark.e2e

NQ_FRONT = next(s for s in build_universe(dt.datetime.now(dt.UTC).date()) if s.symbol == "NQ")
ORDERS = [
    pytest.param(("1", f"{NQ_FRONT.local_symbol}.CME", "2.25 USD"), id="nq"),  # USD 0.85 + 1.38 + 0.02 a contract
    pytest.param(("10000", "GBP/USD.IDEALPRO", "2.00 USD"), id="gbpusd"),  # 0.2 bp of ~USD 12,700: the minimum
]


@pytest.fixture
def text_stack_config(tmp_path: Path) -> Iterator[tuple[SimulatedGateway, Path]]:
    with SimulatedGateway(host="127.0.0.1", port=0, server_version=200) as gateway:
        path = tmp_path / "node.toml"
        path.write_text(
            f'[node]\nlog_directory = "{tmp_path / "logs"}"\n\n'
            f'[gateway]\nport = {gateway.port}\naccount = "{gateway.account}"\n\n'
            '[instruments]\nload = ["EUR/USD.IDEALPRO"]\n\n[status]\nport = 0\n',
            encoding="utf-8",
        )
        yield gateway, path


@pytest.mark.parametrize("order", ORDERS)
def test_a_market_order_fills_with_ibs_commission_on_the_simulated_gateway(order: tuple[str, str, str]) -> None:
    quantity, instrument, commission = order
    result = run_cli("order", "BUY", quantity, instrument, "--sim")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    found = outcome(result.stdout)
    assert (found["status"], found["order"], found["filled"]) == (
        "FILLED",
        f"BUY {quantity} {instrument} MKT DAY",
        quantity,
    )
    assert Decimal(found["price"]) > 0
    assert found["commission"] == commission


@pytest.mark.parametrize("order", ORDERS)
def test_the_same_orders_fill_on_the_text_stack(
    order: tuple[str, str, str], text_stack_config: tuple[SimulatedGateway, Path]
) -> None:
    quantity, instrument, commission = order
    gateway, config = text_stack_config
    result = run_cli("order", "BUY", quantity, instrument, "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    found = outcome(result.stdout)
    assert (found["status"], found["commission"]) == ("FILLED", commission)
    [execution] = gateway.broker.executions()
    assert (execution.spec.local_symbol, execution.shares) == (
        instrument.split(".")[0].replace("/", "."),
        int(quantity),
    )
