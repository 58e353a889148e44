"""`order` end to end: the CLI in a subprocess, the real NautilusTrader IB adapter, the simulated IB Gateway.

With `--sim` the command starts its own gateway; the tests that need to inject a fault or read the broker
afterwards start one in this process instead (the `gateway` fixture) and point a config at it.
"""

from __future__ import annotations

import asyncio
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from nautilus_trader.adapters.interactive_brokers.config import InteractiveBrokersInstrumentProviderConfig
from nautilus_trader.adapters.interactive_brokers.factories import (
    get_cached_ib_client,
    get_cached_interactive_brokers_instrument_provider,
)
from nautilus_trader.adapters.interactive_brokers.providers import InteractiveBrokersInstrumentProvider
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.model.identifiers import InstrumentId, TraderId

from nautilus_node.ib.connection import UnknownContract
from nautilus_node.live.contract_check import check_contracts
from nautilus_node.nautilus_internals import forget_cached_ib_clients
from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.options import expirations, occ_symbol
from tests.live.conftest import PROJECT_ROOT, run_cli

pytestmark = pytest.mark.e2e

OUTCOME = re.compile(
    r"^(?P<status>[A-Z_]+)  (?P<order>[^|]+?)(?: \| working at the venue)? \| filled (?P<filled>[\d.]+)"
    r"(?: @ (?P<price>[\d.]+))? \| commission (?P<commission>.+?) \| venue order id (?P<venue_id>\S+)"
    r"(?: \| reason: (?P<reason>.*))?$"
)


def outcome(stdout: str) -> re.Match:
    """The outcome line: the last line the command prints."""
    line = stdout.strip().splitlines()[-1]
    match = OUTCOME.match(line)
    assert match, f"not an outcome line: {line!r}"
    return match


def test_a_market_order_fills_on_the_simulated_gateway() -> None:
    result = run_cli("order", "BUY", "100", "SPY.ARCA", "--sim")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    found = outcome(result.stdout)
    assert found["status"] == "FILLED"
    assert found["order"] == "BUY 100 SPY.ARCA MKT DAY"
    assert found["filled"] == "100"
    assert Decimal(found["price"]) > 0
    assert found["commission"] == "1.00 USD", "IB's fixed rate: $0.005/share, at least $1"
    assert found["venue_id"] != "-"


def test_an_order_for_a_spy_option_from_the_chain_fills_with_ibs_option_commission() -> None:
    option = f"{occ_symbol('SPY', expirations(time.time())[1], 'C', 590)}.SMART"  # the second listed expiry
    result = run_cli("order", "BUY", "2", option, "--sim")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    found = outcome(result.stdout)
    assert (found["status"], found["order"], found["filled"]) == ("FILLED", f"BUY 2 {option} MKT DAY", "2")
    assert 0 < Decimal(found["price"]) < 100, "an option's price is per share"
    assert found["commission"] == "1.30 USD", "IB's option rate: $0.65 a contract, at least $1 an order"


def test_a_marketable_limit_order_fills_at_the_touch_not_at_its_limit() -> None:
    result = run_cli("order", "SELL", "20000", "EUR/USD.IDEALPRO", "--limit", "0.5", "--tif", "GTC", "--sim")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    found = outcome(result.stdout)
    assert found["status"] == "FILLED"
    assert found["order"] == "SELL 20000 EUR/USD.IDEALPRO LMT 0.5 GTC"
    assert found["filled"] == "20000"
    assert Decimal(found["price"]) > Decimal("0.5"), "a sell limit below the bid fills at the bid"
    assert found["commission"] == "2.00 USD", "IDEALPRO: 0.2 bp of value, at least $2"


def test_an_unfilled_ioc_limit_order_is_canceled_and_exits_1() -> None:
    result = run_cli("order", "BUY", "100", "SPY.ARCA", "--limit", "1", "--tif", "IOC", "--sim")
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    found = outcome(result.stdout)
    assert found["status"] == "CANCELED"
    assert found["filled"] == "0"


def test_a_limit_far_from_the_market_is_reported_working_and_stays_at_the_gateway(
    gateway: SimulatedGateway, gateway_config: Path
) -> None:
    result = run_cli(
        "order", "BUY", "100", "SPY.ARCA", "--limit", "1.00", "--tif", "GTC", "--config", str(gateway_config)
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    found = outcome(result.stdout)
    assert found["status"] == "ACCEPTED"
    assert "working at the venue" in result.stdout.strip().splitlines()[-1]
    assert found["filled"] == "0"
    [working] = gateway.broker.open_orders()
    assert (working.request.action, working.request.quantity, working.request.order_type) == ("BUY", 100, "LMT")
    assert (working.request.lmt_price, working.request.tif) == (1.0, "GTC")
    assert found["venue_id"].endswith(str(working.perm_id))


def test_only_the_order_strategy_runs_not_the_configs_own(gateway: SimulatedGateway, gateway_config: Path) -> None:
    result = run_cli("order", "BUY", "1", "SPY.ARCA", "--config", str(gateway_config))
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert outcome(result.stdout)["status"] == "FILLED"
    folder = gateway_config.parent
    assert not (folder / "probe.json").exists(), "the config's own strategy never started"
    assert not (folder / "status.json").exists(), "the status actor stayed off"
    [execution] = gateway.broker.executions()
    assert (execution.spec.symbol, execution.side, execution.shares) == ("SPY", "BOT", 1)


def test_a_rejected_order_exits_1_with_the_gateways_reason(gateway: SimulatedGateway, gateway_config: Path) -> None:
    gateway.faults.reject_next_order("Simulated rejection")
    result = run_cli("order", "BUY", "100", "SPY.ARCA", "--config", str(gateway_config))
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    found = outcome(result.stdout)
    assert found["status"] == "REJECTED"
    assert "Simulated rejection" in found["reason"]
    assert gateway.broker.executions() == []


def test_an_off_tick_limit_price_is_denied_before_it_reaches_the_gateway(
    gateway: SimulatedGateway, gateway_config: Path
) -> None:
    result = run_cli("order", "BUY", "20000", "EUR/USD.IDEALPRO", "--limit", "1.08001", "--config", str(gateway_config))
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    found = outcome(result.stdout)
    assert found["status"] == "DENIED"
    assert found["reason"] == "limit price 1.08001 is not a multiple of the tick size 0.00005"
    assert gateway.broker.open_orders() == [] and gateway.broker.executions() == []


@pytest.mark.parametrize("command", ["order", "run"])
def test_a_contract_the_gateway_does_not_know_ends_the_command_in_one_line_with_ibs_error(
    command: str, tmp_path: Path
) -> None:
    config = tmp_path / "sim.toml"
    text = (
        (PROJECT_ROOT / "configs" / "sim.toml")
        .read_text()
        .replace('log_directory = "logs"', f'log_directory = "{tmp_path}"')
    )
    config.write_text(text.replace('load = ["EUR/USD.IDEALPRO"]', 'load = ["EUR/USD.IDEALPRO", "ZZZZ.NASDAQ"]'))
    args = ["order", "BUY", "100", "ZZZZ.NASDAQ", "--timeout", "5", "--config"] if command == "order" else ["run"]
    started = time.monotonic()
    result = run_cli(*args, str(config), "--sim")
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        "error: IB does not know ZZZZ.NASDAQ: error 200 'No security definition has been found for the request'"
    ]
    assert "Traceback" not in result.stderr and "elapsed" not in result.stdout + result.stderr
    assert elapsed < 50  # well inside the adapter's own 60-s wait for contract details (the start-up is the rest)


def test_the_contract_check_answers_an_unknown_contract_on_the_nodes_own_client_within_10_seconds(
    gateway: SimulatedGateway,
) -> None:
    async def check() -> InteractiveBrokersInstrumentProvider:
        clock = LiveClock()
        client = get_cached_ib_client(
            asyncio.get_running_loop(), MessageBus(TraderId("NODE-001"), clock), Cache(), clock, port=gateway.port
        )  # the adapter's factories, as a node's data client gets its client
        provider = get_cached_interactive_brokers_instrument_provider(
            client, clock, InteractiveBrokersInstrumentProviderConfig()
        )
        try:
            with pytest.raises(UnknownContract, match=r"IB does not know ZZZZ\.NASDAQ: error 200 'No security"):
                await check_contracts(client, provider, ["EUR/USD.IDEALPRO", "ZZZZ.NASDAQ"], ready_timeout_secs=5)
            return provider
        finally:
            client.stop()
            await asyncio.sleep(0.2)

    started = time.monotonic()
    try:
        provider = asyncio.run(check())
    finally:
        forget_cached_ib_clients()
    assert time.monotonic() - started < 10
    # What the check loaded stays in the provider: the clients' own start-up asks IB nothing again.
    assert provider.find(InstrumentId.from_str("EUR/USD.IDEALPRO")) is not None
