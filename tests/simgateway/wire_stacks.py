"""The simulated gateway without a socket, on either stack: requests written by IB's own ``EClient`` at a
server version go through the gateway's real framing (``ServerProtocol``) and handlers; the replies go
through the session's encoder for that version and are read back the way IB's client reader does (binary
id, then ``processProtoBuf`` or ``interpret``) by IB's own ``Decoder``."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ibapi import comm
from ibapi.client import EClient
from ibapi.decoder import Decoder
from ibapi.wrapper import EWrapper

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway.codec import ProtoRequest, ServerProtocol, encode_greeting
from nautilus_node.simgateway.handlers import handle, handle_protobuf, orders
from nautilus_node.simgateway.handlers.reply import OrderEvents, Reply
from nautilus_node.simgateway.stacks import encoder_for
from nautilus_node.simgateway.state import SessionState
from nautilus_node.simgateway.versions import wire

from .ibapp import RecordingWrapper
from .sansio import SansIOGateway


class _SentBytes:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def sendMsg(self, msg: bytes) -> None:
        self.frames.append(msg)

    def isConnected(self) -> bool:
        return True


def client_bytes(version: int, send: Callable[[EClient], None], client_id: int = 1) -> bytes:
    """What IB's EClient at server ``version`` writes for ``send``."""
    client = EClient(EWrapper())
    sent = _SentBytes()
    client.conn, client.serverVersion_, client.clientId = sent, version, client_id
    client.setConnState(EClient.CONNECTED)
    send(client)
    return b"".join(sent.frames)


def server_events(version: int, data: bytes) -> list:
    """The gateway's framing of ``data`` sent after a greeting at ``version``."""
    protocol = ServerProtocol(pause_after_greeting=True)
    protocol.receive(encode_greeting(100, version))
    protocol.binary_ids = wire(version).binary_ids
    return protocol.receive(data)


def client_callbacks(version: int, frames: bytes) -> list[tuple[str, tuple]]:
    """The EWrapper callbacks IB's client at ``version`` makes of the bytes a gateway sent."""
    recorder = RecordingWrapper()
    recorder.calls, recorder.cond = [], threading.Condition()
    decoder = Decoder(recorder, version)
    rest = frames
    while rest:
        _, payload, rest = comm.read_msg(rest)
        assert payload, "a truncated frame"
        if version >= 201:
            msg_id, payload = int.from_bytes(payload[:4], "big"), payload[4:]
            if msg_id > 200:
                decoder.processProtoBuf(payload, msg_id - 200)
                continue
            decoder.interpret(comm.read_fields(payload), msg_id)
        else:
            msg_id, *fields = comm.read_fields(payload)
            decoder.interpret(tuple(fields), int(msg_id))
    return recorder.calls


class StackSession:
    """One API session at a server version against a sans-IO gateway: EClient calls in, callbacks out."""

    def __init__(self, gateway: SansIOGateway, version: int) -> None:
        self.gateway = gateway
        self.version = version
        self.state = SessionState()
        self.state.wire = wire(version)
        self._encode = encoder_for(self.state.wire)

    def call(self, send: Callable[[EClient], None], client_id: int = 1) -> list[tuple[str, tuple]]:
        """Callbacks IB's client gets for what ``send`` writes, order reports of the fills included."""
        messages: list[m.Fields] = []
        for event in server_events(self.version, client_bytes(self.version, send, client_id)):
            reply = self._answer(event)
            messages += reply.messages
            for effect in reply.effects:
                if isinstance(effect, OrderEvents):
                    for ev in effect.events:
                        messages += orders.report(self.state, self.gateway.state, ev)
        return self.deliver(messages)

    def deliver(self, messages: list[m.Fields]) -> list[tuple[str, tuple]]:
        """Callbacks IB's client gets for messages the gateway pushes (quotes, bars) to this session."""
        return client_callbacks(self.version, b"".join(self._encode(msg) for msg in messages))

    def _answer(self, event) -> Reply:
        gw = self.gateway.state
        if isinstance(event, ProtoRequest):
            return handle_protobuf(event.msg_id, event.body, self.state, gw)
        return handle(event.msg_id, event.fields, self.state, gw)
