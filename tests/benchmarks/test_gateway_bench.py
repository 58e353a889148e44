"""Simulated gateway throughput.

1. Messages encoded and sent per second on one core: tickPrice/tickSize frames through our codec into a
   socket drained by another thread. Baseline: the same messages encoded by IB's own ``ibapi.comm``
   (``make_field`` + ``make_msg``) and sent the same way. Goal: >= 50,000 messages/s (absolute: reported;
   enforced only with NAUTILUS_NODE_BENCHMARK_STRICT=1, see `goals`).
2. The protobuf stack's encoder (server version 223: binary id, tickPrice/tickSize built with
   ``ibapi.protobuf`` classes) on the same messages, sent the same way. Baseline: the text encoder of (1).
   The ratio must stay >= 0.5; both rates have the 50,000 messages/s goal.
3. Quote-to-fill round trips per second with the official client: a market order placed, its execDetails
   received, repeated. Baseline: reqCurrentTime round trips on the same connection (protocol only).
"""

from __future__ import annotations

import socket
import threading
import time
from decimal import Decimal

import pytest
from ibapi import comm
from ibapi.client import EClient
from ibapi.contract import Contract
from ibapi.order import Order
from ibapi.wrapper import EWrapper

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway.codec import encode_frame
from nautilus_node.simgateway.stacks import encoder_for
from nautilus_node.simgateway.versions import NAUTILUS_VERSION, wire
from tests.benchmarks.goals import check_absolute_goal

MESSAGES = 200_000
ROUND_TRIPS = 150


class Counter(EWrapper):
    """Counts the callbacks the round-trip benchmark waits on."""

    def __init__(self) -> None:
        super().__init__()
        self.cond = threading.Condition()
        self.counts = {"nextValidId": 0, "execDetails": 0, "currentTime": 0, "tickPrice": 0}
        self.order_id = 0

    def _bump(self, name: str) -> None:
        with self.cond:
            self.counts[name] += 1
            self.cond.notify_all()

    def nextValidId(self, orderId: int) -> None:
        self.order_id = orderId
        self._bump("nextValidId")

    def execDetails(self, reqId, contract, execution) -> None:
        self._bump("execDetails")

    def currentTime(self, time_: int) -> None:
        self._bump("currentTime")

    def tickPrice(self, reqId, tickType, price, attrib) -> None:
        self._bump("tickPrice")

    def wait(self, name: str, count: int, timeout: float = 10.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.counts[name] >= count, timeout), f"{name} x{count}"


def spy() -> Contract:
    c = Contract()
    c.symbol, c.secType, c.exchange, c.primaryExchange, c.currency = "SPY", "STK", "SMART", "ARCA", "USD"
    return c


def _drain(sock: socket.socket, total: list[int]) -> None:
    while chunk := sock.recv(1 << 20):
        total[0] += len(chunk)


def _send_rate(encode) -> float:
    out, into = socket.socketpair()
    received = [0]
    reader = threading.Thread(target=_drain, args=(into, received), daemon=True)
    reader.start()
    batch: list[bytes] = []
    started = time.perf_counter()
    for i in range(MESSAGES):
        batch.append(encode(i))
        if len(batch) == 500:
            out.sendall(b"".join(batch))
            batch.clear()
    out.sendall(b"".join(batch))
    elapsed = time.perf_counter() - started
    out.close()
    reader.join(10)
    into.close()
    return MESSAGES / elapsed


def ours(i: int) -> bytes:
    if i % 2:
        return encode_frame(m.tick_price(7, m.BID, 1.08005 + (i % 7) * 0.00005, 1_000_000, 1))
    return encode_frame(m.tick_size(7, m.BID_SIZE, Decimal(1_000_000 + i % 5)))


_PROTOBUF = encoder_for(wire(NAUTILUS_VERSION))


def protobuf(i: int) -> bytes:
    if i % 2:
        return _PROTOBUF(m.tick_price(7, m.BID, 1.08005 + (i % 7) * 0.00005, 1_000_000, 1))
    return _PROTOBUF(m.tick_size(7, m.BID_SIZE, Decimal(1_000_000 + i % 5)))


def ibapi_baseline(i: int) -> bytes:
    if i % 2:
        fields = (6, 7, m.BID, 1.08005 + (i % 7) * 0.00005, 1_000_000, 1)
        return comm.make_msg(int(m.Out.TICK_PRICE), False, "".join(comm.make_field(f) for f in fields))
    fields = (6, 7, m.BID_SIZE, Decimal(1_000_000 + i % 5))
    return comm.make_msg(int(m.Out.TICK_SIZE), False, "".join(comm.make_field(f) for f in fields))


@pytest.mark.benchmark
def test_gateway_bench_messages_encoded_and_sent_per_second() -> None:
    _send_rate(ours)  # warm-up
    rate = max(_send_rate(ours) for _ in range(2))
    baseline = max(_send_rate(ibapi_baseline) for _ in range(2))
    print(
        f"\nencode+send: ours {rate:,.0f} msg/s, ibapi.comm baseline {baseline:,.0f} msg/s, "
        f"ratio ours/baseline {rate / baseline:.2f} (goal >= 50,000 msg/s)"
    )
    check_absolute_goal(rate >= 50_000, f"encode+send {rate:,.0f} msg/s, goal >= 50,000 msg/s")


@pytest.mark.benchmark
def test_gateway_bench_protobuf_encoder_beside_the_text_one() -> None:
    assert protobuf(1)[4:8] == (200 + m.Out.TICK_PRICE).to_bytes(4, "big")  # it is the protobuf form
    _send_rate(protobuf)  # warm-up
    text = max(_send_rate(ours) for _ in range(2))
    rate = max(_send_rate(protobuf) for _ in range(2))
    print(
        f"\nencode+send at {NAUTILUS_VERSION}: protobuf {rate:,.0f} msg/s, text (200) {text:,.0f} msg/s, "
        f"ratio protobuf/text {rate / text:.2f} (goal >= 50,000 msg/s each)"
    )
    assert rate / text >= 0.5, f"the protobuf encoder is {text / rate:.1f}x slower than the text one"
    check_absolute_goal(rate >= 50_000, f"protobuf encode+send {rate:,.0f} msg/s, goal >= 50,000 msg/s")


@pytest.mark.benchmark
def test_gateway_bench_quote_to_fill_round_trips_with_official_client() -> None:
    with SimulatedGateway(port=0, max_msg_rate=100_000) as gw:
        wrapper = Counter()
        client = EClient(wrapper)
        client.connect("127.0.0.1", gw.port, 1)
        thread = threading.Thread(target=client.run, daemon=True)
        thread.start()
        wrapper.wait("nextValidId", 1)
        client.reqMktData(1, spy(), "", False, False, [])
        wrapper.wait("tickPrice", 2)
        order = Order()
        order.action, order.totalQuantity, order.orderType = "BUY", Decimal(1), "MKT"
        started = time.perf_counter()
        for i in range(ROUND_TRIPS):
            client.placeOrder(wrapper.order_id + i, spy(), order)
            wrapper.wait("execDetails", i + 1)
        fills = ROUND_TRIPS / (time.perf_counter() - started)
        started = time.perf_counter()
        for i in range(ROUND_TRIPS):
            client.reqCurrentTime()
            wrapper.wait("currentTime", i + 1)
        pings = ROUND_TRIPS / (time.perf_counter() - started)
        client.disconnect()
        thread.join(5)
    print(
        f"\nquote-to-fill: {fills:,.0f} round trips/s; reqCurrentTime baseline {pings:,.0f}/s, "
        f"ratio fills/baseline {fills / pings:.2f}"
    )
    assert len(gw.broker.executions()) == ROUND_TRIPS
