"""One client connection: the asyncio read/write loop around the sans-IO codec and handlers."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Iterable
from typing import Protocol

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway.codec import (
    Handshake,
    ProtocolError,
    ProtoRequest,
    Request,
    ServerProtocol,
    encode_frame,
    encode_handshake_reply,
    negotiate_version,
)
from nautilus_node.simgateway.handlers import handle, handle_protobuf
from nautilus_node.simgateway.handlers.reply import CloseConnection, Effect
from nautilus_node.simgateway.pacing import MessageRateLimiter
from nautilus_node.simgateway.stacks import Encoder, encoder_for
from nautilus_node.simgateway.state import GatewayState, SessionState
from nautilus_node.simgateway.versions import MAX_VERSION, MIN_VERSION, wire

log = logging.getLogger(__name__)

MAX_WRITE_BUFFER = 8 * 1024 * 1024


class SessionHost(Protocol):
    """What a session needs from the server: the effects its requests set off, and its end."""

    def apply(self, session: Session, effects: list[Effect]) -> None: ...

    def unregister(self, session: Session) -> None: ...


class Session:
    """Serves one client socket until it closes; all methods run on the gateway's event loop."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        gw: GatewayState,
        host: SessionHost,
        max_msg_rate: int,
        server_version: int = MAX_VERSION,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._gw = gw
        self._host = host
        self.peer = writer.get_extra_info("peername")
        self.protocol = ServerProtocol(pause_after_greeting=True)
        self.server_version = server_version  # the highest version this gateway serves
        self._encode: Encoder = encode_frame
        self.state = SessionState()
        self.handshaken = False
        self._rate = MessageRateLimiter(max_msg_rate)
        self._closing = False

    @property
    def client_id(self) -> int | None:
        return self.state.client_id

    def _log_half_message(self) -> None:
        """A client gone (closed or reset) with part of a frame still unread is worth a warning."""
        if self.protocol.buffered:
            held = self.protocol.buffered
            log.warning("client %s (client id %s) vanished mid-message (%d bytes)", self.peer, self.client_id, held)

    async def run(self) -> None:
        try:
            while not self._closing:
                data = await self._reader.read(65536)
                if not data:
                    self._log_half_message()
                    break
                try:
                    events = self.protocol.receive(data)
                    if events and isinstance(events[0], Handshake):
                        self._on_handshake(events[0])
                        events = [] if self._closing else self.protocol.receive(b"")
                except ProtocolError as exc:
                    log.warning("closing client %s (client id %s): %s", self.peer, self.client_id, exc)
                    break
                for event in events:
                    await self._on_request(event)
                    if self._closing:
                        break
                await self._drain()
        except (ConnectionError, OSError) as exc:  # a reset: the client closed with our replies unread
            log.info("client %s connection error: %s", self.peer, exc)
            self._log_half_message()
        finally:
            self.close()
            self._host.unregister(self)

    def close(self) -> None:
        self._closing = True
        if not self._writer.is_closing():
            self._writer.close()

    async def _drain(self) -> None:
        try:
            await self._writer.drain()
        except (ConnectionError, OSError):
            self.close()

    def send(self, messages: Iterable[m.Fields]) -> None:
        for fields in messages:
            if self._closing or self._writer.is_closing():
                return
            self._writer.write(self._encode(fields))
            if self._writer.transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
                log.warning("client %s is not reading; closing it", self.peer)
                self.close()

    def error(self, req_id: int, code: int, text: str) -> None:
        self.send([m.error(req_id, code, text, int(self._gw.clock() * 1000), v=self.state.wire)])

    def _on_handshake(self, hs: Handshake) -> None:
        version = negotiate_version(hs, MIN_VERSION, self.server_version)
        if version is None:
            # Like IB Gateway: no handshake reply (it could only name a version outside the client's range),
            # the socket is closed and the client sees the connection drop.
            log.warning(
                "refusing client %s: it offers server versions v%d..%d, this gateway serves v%d..%d; closing",
                self.peer,
                hs.min_version,
                hs.max_version,
                MIN_VERSION,
                self.server_version,
            )
            self.close()
            return
        self.handshaken = True
        self.state.wire = wire(version)
        self.protocol.binary_ids = self.state.wire.binary_ids
        self._encode = encoder_for(self.state.wire)
        log.info(
            "client %s: server version %d (client offers v%d..%d)", self.peer, version, hs.min_version, hs.max_version
        )
        stamp = dt.datetime.fromtimestamp(self._gw.clock(), dt.UTC).strftime("%Y%m%d %H:%M:%S") + " UTC"
        self._writer.write(encode_handshake_reply(version, stamp))

    async def _on_request(self, req: Request | ProtoRequest) -> None:
        if not self.handshaken:
            return
        rcvd = self._rate.admit(time.monotonic())
        if rcvd is not None:
            limit = self._rate.max_per_second
            self.error(-1, 100, f"Max rate of messages per second has been exceeded:max={limit} rcvd={rcvd}.")
            return
        delay = self._gw.faults.response_delay
        if delay > 0:
            await asyncio.sleep(delay)
        if isinstance(req, ProtoRequest):
            reply = handle_protobuf(req.msg_id, req.body, self.state, self._gw)
        else:
            reply = handle(req.msg_id, req.fields, self.state, self._gw)
        for req_id, code, text in reply.errors():
            log.info(
                "client id %s, request %d (id %d): answered error %d %s", self.client_id, req.msg_id, req_id, code, text
            )
        self.send(reply.messages)
        if any(isinstance(e, CloseConnection) for e in reply.effects):
            self.close()
        self._host.apply(self, [e for e in reply.effects if not isinstance(e, CloseConnection)])
