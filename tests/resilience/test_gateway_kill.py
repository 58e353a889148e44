"""The matrix row that needs a process: the simulated gateway killed with -9 and started again on its state file.

The gateway runs as `nautilus-node gateway --state FILE` in its own process. A resting order is at the gateway
when the process is killed; the restarted process restores the account (working orders, executions, id
sequences) from the file, as IB's servers keep it. The market then trades through the order. The node (resilient
client on) must reconnect at once, get every feed kind back, see the fill as an `OrderFilled` exactly once, and
place nothing twice; the gateway's ids must not restart from 1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nautilus_node.simgateway.broker import Broker
from nautilus_node.simgateway.durable import StateFile
from tests.resilience.harness import TRADE_THROUGH_BY, LiveNode, flowing_since, start_node, wait_until

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "DU7654321"


@dataclass
class GatewayProcess:
    """The address the node needs (what `start_node` reads of a gateway) and the process behind it."""

    port: int
    control_port: int
    state: Path
    account: str = ACCOUNT
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nautilus_node", "gateway", "--port", str(self.port), "--control-port",
             str(self.control_port), "--state", str(self.state), "--account", self.account, "--always-open"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_until(lambda: _accepts(self.port), 30, "the gateway process to accept connections")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def fault(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "nautilus_node", "gateway-fault", "--control-port", str(self.control_port), *args],
            cwd=REPO, check=True, capture_output=True, timeout=30,
        )  # fmt: skip

    def account_on_disk(self) -> Broker:
        broker = Broker(self.account)
        assert StateFile(self.state).load_into(broker), f"no state file at {self.state}"
        return broker


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gateway_process(tmp_path: Path) -> Iterator[GatewayProcess]:
    gateway = GatewayProcess(_free_port(), _free_port(), tmp_path / "gateway-state.pickle")
    gateway.start()
    yield gateway
    if gateway.process is not None and gateway.process.poll() is None:
        gateway.kill()


@pytest.fixture
def node(gateway_process: GatewayProcess, tmp_path: Path) -> Iterator[LiveNode]:
    live = start_node(gateway_process, tmp_path / "node", resilient=True)  # type: ignore[arg-type]
    yield live
    live.stop()


def test_gateway_killed_and_started_again_on_its_state_loses_no_fill_and_duplicates_no_order(
    gateway_process: GatewayProcess, node: LiveNode
):
    node.call(lambda: node.probe.buy_limit_below(200))
    wait_until(lambda: len(node.node.cache.orders_open()) == 1, 10, "the resting order accepted", node)
    [order] = node.node.cache.orders_open()
    wait_until(lambda: len(gateway_process.account_on_disk().open_orders()) == 1, 10, "the order in the state file")
    perm_ids_before = {o.perm_id for o in gateway_process.account_on_disk().open_orders()}

    gateway_process.kill()
    wait_until(lambda: node.client is not None and not node.client.is_ready, 10, "the node to see the gateway gone")
    gateway_process.start()
    back = time.monotonic()
    gateway_process.fault("set-price", "EUR.USD", f"{order.price.as_double() - TRADE_THROUGH_BY:.5f}")

    wait_until(flowing_since(node, back), 20, "every feed kind after the gateway process came back", node)
    wait_until(lambda: len(node.probe.fills) == 1, 15, "the strategy to see the fill", node)
    assert [str(p.quantity) for p in node.node.cache.positions_open()] == ["20000"]
    account = gateway_process.account_on_disk()
    [execution] = account.executions()
    assert [node.probe.fills[0].trade_id.value] == [execution.exec_id]
    assert len(account._book.orders) == 1, "an order reached the gateway twice"
    assert {o.perm_id for o in account._book.orders.values()} == perm_ids_before
    assert not account.open_orders()
