"""The reader on the loop keeps wire order: a burst of interleaved quotes, fills, errors and messages decoded in
a worker thread (positions, account values, the time) reaches ibapi's wrapper in the order it was sent.

Real parts: a socket pair (the node's end in ibapi's one-second-timeout mode), the simulated gateway's own
encoder for every frame (server version 200), ibapi's decoder, our `WireReader` and `MessagePump` on an asyncio
loop. The bytes are written in odd-sized pieces, so frames span reads.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from decimal import Decimal

from ibapi.decoder import Decoder
from ibapi.message import IN
from ibapi.wrapper import EWrapper

from nautilus_node.live.inline_decoder import HOT_IDS, MessagePump
from nautilus_node.live.message_guard import MessageGuard
from nautilus_node.live.wire_reader import WireReader
from nautilus_node.simgateway import messages
from nautilus_node.simgateway.broker import Execution
from nautilus_node.simgateway.codec import encode_frame
from nautilus_node.simgateway.contracts import build_universe
from nautilus_node.simgateway.versions import wire

VERSION = 200
ROUNDS = 40


class Recorder(EWrapper):
    """Every callback of interest, as (kind, key), in the order ibapi made it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    def tickPrice(self, reqId, tickType, price, attrib) -> None:
        self.calls.append(("quote", f"{price:.5f}"))

    def execDetails(self, reqId, contract, execution) -> None:
        self.calls.append(("fill", execution.execId))

    def commissionAndFeesReport(self, commissionAndFeesReport) -> None:
        self.calls.append(("commission", commissionAndFeesReport.execId))

    def error(self, reqId, errorTime, errorCode, errorString, advancedOrderRejectJson="") -> None:
        self.calls.append(("error", errorString))

    def accountSummary(self, reqId, account, tag, value, currency) -> None:
        self.calls.append(("account", value))

    def currentTime(self, time) -> None:
        self.calls.append(("time", str(time)))


def burst() -> tuple[list[bytes], list[tuple[str, str]]]:
    """Frames and the callbacks they must produce, hot and threaded interleaved."""
    spec = next(s for s in build_universe() if s.symbol == "EUR")
    v = wire(VERSION)
    frames, expected = [], []
    for i in range(ROUNDS):
        price = 1.1 + i * 1e-5
        execution = Execution(
            exec_id=f"0001.{i:04d}", order_id=i, client_id=1, perm_id=1000 + i, spec=spec, side="BOT",
            shares=Decimal(1), price=price, ts=1_800_000_000.0 + i, account="DU1", cum_qty=Decimal(1),
            avg_price=price, order_ref=f"O-{i}:{i}", commission=1.0, realized_pnl=0.0,
        )  # fmt: skip
        steps = [
            (messages.tick_price(1, 1, price, 100), ("quote", f"{price:.5f}")),
            (messages.account_summary(9, "DU1", "NetLiquidation", str(i), "USD"), ("account", str(i))),
            (messages.exec_details(-1, execution, v), ("fill", execution.exec_id)),
            (messages.error(-1, 2104, f"notice {i}", 0, v=v), ("error", f"notice {i}")),
            (messages.current_time(1_800_000_000 + i), ("time", str(1_800_000_000 + i))),
            (messages.commission_report(execution), ("commission", execution.exec_id)),
        ]
        for fields, call in steps:
            frames.append(encode_frame(fields))
            expected.append(call)
    return frames, expected


def test_a_burst_of_interleaved_quotes_fills_errors_and_threaded_messages_arrives_in_wire_order():
    frames, expected = burst()
    recorder = Recorder()
    decoder = Decoder(wrapper=recorder, serverVersion=VERSION)
    node_end, gateway_end = socket.socketpair()
    node_end.settimeout(1)  # as ibapi's connection leaves it
    loop = asyncio.new_event_loop()
    guard = MessageGuard(logging.getLogger("test"), lambda: None)
    pump = MessagePump(decoder, VERSION, guard)
    reader = WireReader(node_end, loop, pump.feed)

    async def run() -> None:
        reader.start()
        pumping = asyncio.ensure_future(pump.run())
        data = b"".join(frames)
        for start in range(0, len(data), 157):  # frames split across reads
            gateway_end.sendall(data[start : start + 157])
            await asyncio.sleep(0)
        for _ in range(500):
            if len(recorder.calls) >= len(expected):
                break
            await asyncio.sleep(0.01)
        pumping.cancel()
        reader.close()

    try:
        loop.run_until_complete(run())
    finally:
        loop.close()
        node_end.close()
        gateway_end.close()
    assert guard.counts.total == 0, guard.counts
    assert recorder.calls == expected
    assert IN.ACCOUNT_SUMMARY not in HOT_IDS and IN.CURRENT_TIME not in HOT_IDS, "the burst holds threaded ones"
