"""IB's official Python API 10.51 (``ibapi-latest`` on PyPI, which installs the same ``ibapi`` module as the
10.45 NautilusTrader depends on, so it lives in a venv of its own) negotiates server version 226 with the
simulated gateway and runs connect, contract details, an unknown contract's 200, quotes, tick-by-tick,
history with keepUpToDate, market/limit/stop orders with modify and cancel, executions, positions, and
account summary and updates, all on the protobuf stack (ibapi_latest_flows.py is the client side).

The venv is made once into pytest's cache directory (``.pytest_cache``) with uv, or with the standard
library's venv and pip when uv is not on PATH; the test is skipped only when the package registry cannot be
reached."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nautilus_node.simgateway import SimulatedGateway

pytestmark = pytest.mark.e2e

PACKAGE = "ibapi-latest==10.51.1"
FLOWS = Path(__file__).with_name("ibapi_latest_flows.py")
_UNREACHABLE = re.compile(r"connect|resolve|network|dns|timed? ?out|unreachable|name or service", re.IGNORECASE)


def _install(venv: Path) -> Path:
    python = venv / "bin" / "python"
    uv = shutil.which("uv")
    if uv:
        steps = [
            [uv, "venv", "-q", "-p", sys.executable, str(venv)],
            [uv, "pip", "install", "-q", "-p", str(python), PACKAGE],
        ]
    else:
        steps = [[sys.executable, "-m", "venv", str(venv)], [str(python), "-m", "pip", "install", "-q", PACKAGE]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            output = done.stdout + done.stderr
            if _UNREACHABLE.search(output):
                pytest.skip(f"the package registry is unreachable, {PACKAGE} cannot be installed: {output[-300:]}")
            raise AssertionError(f"{' '.join(step)} failed: {output[-2000:]}")
    return python


@pytest.fixture(scope="module")
def ibapi_latest(request: pytest.FixtureRequest) -> Path:
    """The Python of a venv holding ibapi 10.51 (and nothing of this project)."""
    venv = request.config.cache.mkdir("ibapi-latest-10.51.1") / "venv"
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import ibapi.server_versions as v; assert v.MAX_CLIENT_VER == 226"]
    if not python.exists() or subprocess.run(check, capture_output=True, check=False).returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        python = _install(venv)
    return python


def test_ibapi_10_51_negotiates_226_and_runs_every_flow_on_the_protobuf_stack(ibapi_latest: Path) -> None:
    with SimulatedGateway(port=0, tick_interval=0.1) as gateway:
        done = subprocess.run(
            [str(ibapi_latest), str(FLOWS), str(gateway.port)], capture_output=True, text=True, timeout=180, check=False
        )
        spy = next(s for s in gateway.universe if s.symbol == "SPY")
        executions = [e.order_id for e in gateway.broker.executions()]
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["server_version"] == 226
    assert seen["contract"] == [spy.con_id, "SPY", spy.min_tick, spy.long_name]
    assert seen["unknown_contract"] == 200
    bid, ask = seen["quote"]
    assert 0 < bid < ask
    assert all(b < a for b, a in seen["tick_by_tick"])
    assert seen["history"]["bars"] >= 10 and seen["history"]["updates"] >= 2
    assert int(seen["history"]["update_date"]) % 5 == 0
    side, shares, price, commission = seen["market_fill"]
    assert (side, shares) == ("BOT", "10") and price > 0 and commission > 0
    assert seen["modify_cancel"][1:] == ["7", "Cancelled"]
    assert seen["executions"] == executions and len(executions) == 1
    assert seen["positions"] == [["SPY", "10"]] and seen["portfolio"] == ["SPY"]
    assert seen["account_summary"] == ["NetLiquidation", "TotalCashValue"]
    assert seen["account_updates"] == ["BuyingPower", "NetLiquidation"]
    protobuf = set(seen["protobuf_callbacks"])  # what arrived as protobuf, decoded by ibapi 10.51's processProtoBuf
    assert {
        "contractDataProtoBuf",
        "tickPriceProtoBuf",
        "tickByTickDataProtoBuf",
        "historicalDataUpdateProtoBuf",
    } <= protobuf
    assert {
        "openOrderProtoBuf",
        "executionDetailsProtoBuf",
        "positionProtoBuf",
        "updateAccountValueProtoBuf",
    } <= protobuf
