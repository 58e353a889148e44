"""The two wire stacks: how one session's messages become bytes at its negotiated server version.

Up to 200 every message is a text frame. From 201 on a message id travels as a 4-byte integer, and a
message IB sends as protobuf at that version (``Wire.protobuf_message``) is built by its twin in
:mod:`proto_messages` from the same encoder call; the others stay text fields behind the binary id.
"""

from __future__ import annotations

from collections.abc import Callable

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway.codec import encode_binary_id_frame, encode_frame, encode_protobuf_frame
from nautilus_node.simgateway.proto_messages import ENCODERS
from nautilus_node.simgateway.versions import Wire

Encoder = Callable[[m.Fields], bytes]


class ProtobufEncoder:
    """Encodes a session's messages at one server version of 201 or more."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self._protobuf = {msg_id for msg_id in m.Out if wire.protobuf_message(msg_id)}

    def __call__(self, msg: m.Fields) -> bytes:
        """A message as protobuf where its group has moved at this version, else text behind the binary id (also
        for a plain field tuple, which has no encoder call to build the protobuf form from)."""
        msg_id = int(msg[0])  # type: ignore[call-overload]
        if msg_id in self._protobuf and isinstance(msg, m.Message):
            name, args, kwargs = msg.call
            return encode_protobuf_frame(msg_id, ENCODERS[name](*args, **kwargs).SerializeToString())
        return encode_binary_id_frame(msg)


def encoder_for(wire: Wire) -> Encoder:
    """The encoder of a session at ``wire``'s version: text frames up to 200, the protobuf stack above."""
    return ProtobufEncoder(wire) if wire.binary_ids else encode_frame
