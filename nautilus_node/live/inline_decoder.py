"""Decoding incoming TWS frames in wire order: the hot ones inline on the event loop, the rest in a thread.

NautilusTrader 1.231 runs `ibapi`'s decoder in `asyncio.to_thread` for every message. Here market data —
quotes and ticks, real-time and keepUpToDate bars — is decoded on the loop as its frame arrives (on the
protobuf stack the parse is the C protobuf runtime's). Every other message is decoded in a worker thread, as
NautilusTrader does. That includes order status, open orders, executions, commission reports and errors:
NautilusTrader's execution client judges each by the order's state in the cache, which its execution engine
updates only after a queue hop, so two of them handled back to back (an openOrder and an orderStatus read
together) would both turn a submitted order into `OrderAccepted`. Order is kept: a frame decodes inline only
when nothing is waiting before it; otherwise it joins the backlog, which `run` works through one message at a
time, awaiting each threaded decode.

A message that fails to decode, or whose id ibapi does not know, is handed to the `MessageGuard` (logged,
counted, skipped); the next one is decoded as ever.
"""

from __future__ import annotations

import asyncio
from collections import deque

from ibapi import comm
from ibapi.decoder import Decoder
from ibapi.message import IN

from nautilus_node.live.message_guard import MessageGuard, split_message_id

HOT_IDS = frozenset(
    {
        IN.TICK_PRICE,
        IN.TICK_SIZE,
        IN.TICK_STRING,
        IN.TICK_GENERIC,
        IN.TICK_BY_TICK,
        IN.REAL_TIME_BARS,
        IN.HISTORICAL_DATA_UPDATE,
    }
)
Message = tuple[int, bytes, bool]  # (message id, body, protobuf)


class MessagePump:
    """Feeds `decoder` the frames of one API session (at `server_version`) in the order they arrived."""

    def __init__(self, decoder: Decoder, server_version: int, guard: MessageGuard) -> None:
        self._decoder = decoder
        self._server_version = server_version
        self._guard = guard
        self._backlog: deque[Message] = deque()
        self._busy = False
        self._wakeup: asyncio.Future[None] | None = None
        self.processed = 0

    @property
    def backlog(self) -> int:
        """Messages read but not yet decoded."""
        return len(self._backlog)

    def feed(self, frame: bytes) -> None:
        """One frame off the wire (raises `FrameError` when it cannot be a TWS message)."""
        message = split_message_id(frame, self._server_version)
        if not self._busy and not self._backlog and message[0] in HOT_IDS:
            self.decode(message)
            return
        self._backlog.append(message)
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    async def run(self) -> None:
        """Work through the backlog for as long as the session lasts (cancelled with it)."""
        loop = asyncio.get_running_loop()
        backlog = self._backlog
        while True:
            if not backlog:
                self._wakeup = loop.create_future()
                await self._wakeup
                continue
            message = backlog.popleft()
            self._busy = True
            try:
                if message[0] in HOT_IDS:
                    self.decode(message)
                else:
                    await asyncio.to_thread(self.decode, message)
            finally:
                self._busy = False

    def decode(self, message: Message) -> None:
        """ibapi's decoder on one message, its wrapper callbacks included; a failure is skipped by the guard."""
        msg_id, body, protobuf = message
        decoder = self._decoder
        try:
            if protobuf:
                if msg_id not in decoder.msgId2handleInfoProtoBuf:
                    self._guard.skipped(msg_id, body, "unknown protobuf message id")
                    return
                decoder.processProtoBuf(body, msg_id)
            else:
                if msg_id not in decoder.msgId2handleInfo:
                    self._guard.skipped(msg_id, body, "unknown message id")
                    return
                decoder.interpret(comm.read_fields(body), msg_id)
        except Exception as exc:
            self._guard.decode_failed(msg_id, body, exc)
        finally:
            self.processed += 1
