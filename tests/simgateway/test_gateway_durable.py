"""Durable like IB: permIds and execIds never repeat across gateway processes, and with ``--state FILE`` the
account, working orders and executions survive a kill -9 of the gateway process."""

from __future__ import annotations

import pickle
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from ibapi.execution import ExecutionFilter
from ibapi.order import Order

from nautilus_node.simgateway.broker import Broker, Fill, OrderRequest, time_seeded_perm_id
from nautilus_node.simgateway.contracts import Universe, build_universe
from nautilus_node.simgateway.market import Quote

from .ibapp import IBApp, spy

CALM = Quote(99.0, 99.02, 10, 10, 0.0)


@contextmanager
def standalone_gateway(*args: str) -> Iterator[tuple[subprocess.Popen, int]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "nautilus_node", "gateway", "--port", "0", "--always-open", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = proc.stdout.readline()
        match = re.search(r"on 127\.0\.0\.1:(\d+)", banner)
        assert match, banner
        yield proc, int(match.group(1))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(20)


def _order(action: str, qty: int, order_type: str = "MKT", price: float = 0.0) -> Order:
    o = Order()
    o.action, o.totalQuantity, o.orderType, o.tif = action, Decimal(qty), order_type, "GTC"
    if order_type == "LMT":
        o.lmtPrice = price
    return o


def _market_fill(port: int) -> tuple[int, str]:
    """(permId, execId) of one market order filled by the gateway on ``port``."""
    app = IBApp().connect(port, 1)
    try:
        oid = app.of("nextValidId")[0][0]
        app.client.placeOrder(oid, spy(), _order("BUY", 1))
        ex = app.wait_for("execDetails", lambda a: a[2].orderId == oid)[0][2]
        return ex.permId, ex.execId
    finally:
        app.disconnect()


def test_perm_ids_and_exec_ids_differ_across_two_gateway_processes() -> None:
    with standalone_gateway() as (_, port):
        first = _market_fill(port)
    with standalone_gateway() as (_, port):
        second = _market_fill(port)
    assert first[0] != second[0] and first[1] != second[1]
    assert second[0] > first[0]


def test_first_perm_ids_of_processes_started_a_tenth_of_a_second_apart_differ() -> None:
    assert time_seeded_perm_id(1_900_000_000.0) < time_seeded_perm_id(1_900_000_000.1)
    assert time_seeded_perm_id(1_900_000_000.0) <= 2**31 - 1


def test_a_broker_restored_from_its_snapshot_continues_its_orders_and_id_sequences() -> None:
    spec = Universe(build_universe()).by_con_id(756733)
    broker = Broker("DU1", first_perm_id=1_000)
    quote = Quote(99.0, 99.02, 10, 10, 0.0)
    broker.place(OrderRequest(1, 1, spec, "BUY", Decimal(5), "LMT", lmt_price=90.0, tif="GTC"), quote, 0.0)
    broker.place(OrderRequest(2, 1, spec, "BUY", Decimal(5), "MKT"), quote, 0.0)
    again = Broker("DU1", first_perm_id=1)
    again.restore(broker.snapshot())
    assert [o.perm_id for o in again.open_orders()] == [1_000]
    assert [e.exec_id for e in again.executions()] == [e.exec_id for e in broker.executions()]
    again.place(OrderRequest(3, 1, spec, "BUY", Decimal(1), "MKT"), quote, 0.0)
    assert again.executions()[-1].perm_id == 1_002 and again.next_valid_id() == 4


def test_a_state_written_before_the_order_features_restores_with_their_defaults() -> None:
    """A working order pickled without the fields added since (trailing, conditions, combos) works on."""
    spec = Universe(build_universe()).by_con_id(756733)
    broker = Broker("DU1", first_perm_id=1_000)
    broker.place(OrderRequest(1, 1, spec, "BUY", Decimal(5), "LMT", lmt_price=90.0, tif="GTC"), CALM, 0.0)
    old = pickle.loads(pickle.dumps(broker.snapshot()))
    [order] = old["book"].orders.values()
    for name in ("placed_at", "awaiting_conditions", "trail_stop", "trail_limit_offset"):
        delattr(order, name)
    for name in ("trigger_method", "trailing_percent", "conditions", "combo"):
        delattr(order.request, name)
    again = Broker("DU1")
    again.restore(old)
    [fill] = [e for e in again.on_quote(spec, Quote(89.9, 89.95, 10, 10, 1.0), 1.0) if isinstance(e, Fill)]
    assert fill.order.status == "Filled" and fill.order.request.conditions == ()


def test_with_a_state_file_the_account_survives_a_kill_9_of_the_gateway(tmp_path: Path) -> None:
    state = tmp_path / "gateway-state.bin"
    with standalone_gateway("--state", str(state)) as (proc, port):
        app = IBApp().connect(port, 1)
        oid = app.of("nextValidId")[0][0]
        app.client.placeOrder(oid, spy(), _order("BUY", 3))
        fill = app.wait_for("execDetails", lambda a: a[2].orderId == oid)[0][2]
        app.client.placeOrder(oid + 1, spy(), _order("BUY", 2, "LMT", 1.0))
        resting = app.wait_for("openOrder", lambda a: a[0] == oid + 1)[0][2]
        app.disconnect()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    with standalone_gateway("--state", str(state)) as (_, port):
        app = IBApp().connect(port, 1)
        try:
            assert app.of("nextValidId")[0][0] == oid + 2
            app.client.reqOpenOrders()
            app.wait_for("openOrderEnd")
            app.client.reqExecutions(5, ExecutionFilter())
            app.wait_for("execDetailsEnd")
            app.client.reqPositions()
            app.wait_for("positionEnd")
        finally:
            app.disconnect()
    assert [(a[0], a[2].permId) for a in app.of("openOrder")] == [(oid + 1, resting.permId)]
    assert [a[2].execId for a in app.of("execDetails")] == [fill.execId]
    assert [a[2] for a in app.of("position")] == [Decimal(3)]
