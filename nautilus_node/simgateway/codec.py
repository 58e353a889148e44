"""Sans-IO framing for the TWS API socket protocol, both stacks.

Frames are a 4-byte big-endian length followed by the payload. A connection opens with ``API\\0`` and a
framed version range ``v<min>..<max>[ options]``, answered by one text frame (version, time). Up to
server version 200 a payload is NUL-terminated text fields, the message id first. From 201 on the
message id is a 4-byte big-endian integer before the payload, in both directions; an id above
``PROTOBUF_ID_OFFSET`` marks a protobuf body (message ``id - 200``), otherwise text fields follow.
Nothing here touches a socket: feed bytes in, get events out; give fields in, get bytes out.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

API_PREFIX = b"API\0"
MAX_FRAME = 0xFFFFFF  # the largest payload an IB client accepts (16 MiB - 1)
PROTOBUF_ID_OFFSET = 200  # a protobuf message travels with id + 200 (ibapi's PROTOBUF_MSG_ID)
UNSET_DOUBLE = 1.7976931348623157e308
UNSET_INTEGER = 2**31 - 1

_LENGTH = struct.Struct(">I")
_LENGTH_AND_ID = struct.Struct(">II")


class ProtocolError(Exception):
    """The peer broke the framing or handshake rules; the connection cannot continue."""


@dataclass(frozen=True, slots=True)
class Handshake:
    """The client's ``API`` greeting: its supported version range and connect options."""

    min_version: int
    max_version: int
    options: str


@dataclass(frozen=True, slots=True)
class Request:
    """One client message: its numeric id and the text fields after the id."""

    msg_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProtoRequest:
    """One protobuf client message: its request id (without the +200) and its serialized body."""

    msg_id: int
    body: bytes


def encode_field(value: object) -> str:
    """Render one field as IB does: bools as 0/1, ``None`` as empty, floats without exponent noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value == UNSET_DOUBLE:
            return "1.7976931348623157E308"
        if value.is_integer() and abs(value) < 1e15:
            return f"{value:.1f}"
        return repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def _text(value: object) -> str:
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if kind is int:
        return str(value)
    return encode_field(value)


def encode_frame(fields: Iterable[object]) -> bytes:
    """Encode fields (the first being the message id) into one length-prefixed frame."""
    payload = ("\0".join(map(_text, fields)) + "\0").encode("utf-8", errors="replace")
    if len(payload) > MAX_FRAME:
        raise ProtocolError(f"frame of {len(payload)} bytes exceeds {MAX_FRAME}")
    return _LENGTH.pack(len(payload)) + payload


def encode_binary_id_frame(fields: Iterable[object]) -> bytes:
    """A text message from server version 201 on: the id as a 4-byte integer, then the other fields."""
    it = iter(fields)
    msg_id = int(next(it))  # type: ignore[call-overload]
    payload = "".join(_text(f) + "\0" for f in it).encode("utf-8", errors="replace")
    return _binary_id_frame(msg_id, payload)


def encode_protobuf_frame(msg_id: int, body: bytes) -> bytes:
    """A protobuf message: length, the id + 200 as a 4-byte integer, the serialized body."""
    return _binary_id_frame(msg_id + PROTOBUF_ID_OFFSET, body)


def _binary_id_frame(raw_id: int, payload: bytes) -> bytes:
    if len(payload) + 4 > MAX_FRAME:
        raise ProtocolError(f"frame of {len(payload) + 4} bytes exceeds {MAX_FRAME}")
    return _LENGTH_AND_ID.pack(len(payload) + 4, raw_id) + payload


def encode_handshake_reply(server_version: int, connection_time: str) -> bytes:
    """The server's single reply to the greeting: version and connection time, one frame."""
    return encode_frame((server_version, connection_time))


def encode_greeting(min_version: int, max_version: int, options: str = "") -> bytes:
    """What a client sends first (used by tests and tools acting as a client)."""
    text = f"v{min_version}..{max_version}" + (f" {options}" if options else "")
    body = text.encode("ascii")
    return API_PREFIX + _LENGTH.pack(len(body)) + body


def decode_fields(payload: bytes) -> tuple[str, ...]:
    """Split a frame payload into its text fields; every field must be NUL-terminated."""
    if not payload.endswith(b"\0"):
        raise ProtocolError("frame payload does not end with a NUL terminator")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"frame payload is not UTF-8 text: {exc}") from exc
    return tuple(text.split("\0")[:-1])


def parse_version_range(text: str) -> Handshake:
    """Parse ``v<min>..<max>[ options]`` (or a single ``v<n>``) from the greeting frame."""
    head, _, options = text.partition(" ")
    if not head.startswith("v"):
        raise ProtocolError(f"bad version range {text[:40]!r}")
    low, sep, high = head[1:].partition("..")
    try:
        lo = int(low)
        hi = int(high) if sep else lo
    except ValueError as exc:
        raise ProtocolError(f"bad version range {text[:40]!r}") from exc
    if lo <= 0 or hi < lo:
        raise ProtocolError(f"bad version range {text[:40]!r}")
    return Handshake(lo, hi, options)


def negotiate_version(handshake: Handshake, server_min: int, server_max: int) -> int | None:
    """The highest version both sides support, or ``None`` when the ranges do not meet."""
    version = min(handshake.max_version, server_max)
    return version if version >= max(handshake.min_version, server_min) else None


class ServerProtocol:
    """Incremental parser for the bytes a client sends to a gateway.

    ``receive(data)`` returns the complete events in ``data`` (a :class:`Handshake` first, then
    :class:`Request` objects) and keeps any partial frame buffered. Framing violations raise
    :class:`ProtocolError`; a request whose fields cannot be read is still returned, with its raw
    fields, so the session can answer it with an IB error instead of dropping the connection.
    """

    def __init__(self, max_frame: int = MAX_FRAME, pause_after_greeting: bool = False) -> None:
        self._buffer = bytearray()
        self._max_frame = max_frame
        self._greeted = False
        self._pause = pause_after_greeting
        self.binary_ids = False  # set once the negotiated version is >= 201

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame (a half frame)."""
        return len(self._buffer)

    def receive(self, data: bytes) -> list[Handshake | Request | ProtoRequest]:
        """Complete events in the bytes so far. With ``pause_after_greeting`` the greeting is returned alone,
        so the caller can set :attr:`binary_ids` for its version before the frames after it are read
        (``receive(b"")`` reads them)."""
        self._buffer += data
        events: list[Handshake | Request | ProtoRequest] = []
        if not self._greeted:
            if len(self._buffer) < len(API_PREFIX):
                if not API_PREFIX.startswith(bytes(self._buffer)):
                    raise ProtocolError("connection did not start with the API prefix")
                return events
            if bytes(self._buffer[: len(API_PREFIX)]) != API_PREFIX:
                raise ProtocolError("connection did not start with the API prefix")
            payload = self._next_payload(len(API_PREFIX))
            if payload is None:
                return events
            try:
                text = payload.rstrip(b"\0").decode("ascii")
            except UnicodeDecodeError as exc:
                raise ProtocolError("version range is not ASCII") from exc
            events.append(parse_version_range(text))
            self._greeted = True
            if self._pause:
                return events
        while (payload := self._next_payload(0)) is not None:
            events.append(self._binary_id_event(payload) if self.binary_ids else self._text_event(payload))
        return events

    @staticmethod
    def _binary_id_event(payload: bytes) -> Request | ProtoRequest:
        if len(payload) < 4:
            raise ProtocolError(f"frame of {len(payload)} bytes has no 4-byte message id")
        msg_id = int.from_bytes(payload[:4], "big")
        if msg_id > PROTOBUF_ID_OFFSET:
            return ProtoRequest(msg_id - PROTOBUF_ID_OFFSET, payload[4:])
        return Request(msg_id, decode_fields(payload[4:]) if len(payload) > 4 else ())

    @staticmethod
    def _text_event(payload: bytes) -> Request:
        fields = decode_fields(payload)
        if not fields:
            raise ProtocolError("empty frame")
        try:
            msg_id = int(fields[0])
        except ValueError as exc:
            raise ProtocolError(f"message id {fields[0][:20]!r} is not a number") from exc
        return Request(msg_id, fields[1:])

    def _next_payload(self, offset: int) -> bytes | None:
        if len(self._buffer) < offset + 4:
            return None
        (size,) = _LENGTH.unpack_from(self._buffer, offset)
        if size == 0 or size > self._max_frame:
            raise ProtocolError(f"frame length {size} outside 1..{self._max_frame}")
        end = offset + 4 + size
        if len(self._buffer) < end:
            return None
        payload = bytes(self._buffer[offset + 4 : end])
        del self._buffer[:end]
        return payload


def split_frames(data: bytes) -> tuple[list[tuple[str, ...]], bytes]:
    """Client-side helper: complete frames' fields from ``data`` and the unparsed remainder."""
    frames: list[tuple[str, ...]] = []
    view = memoryview(data)
    pos = 0
    while len(data) - pos >= 4:
        (size,) = _LENGTH.unpack_from(view, pos)
        if len(data) - pos - 4 < size:
            break
        frames.append(decode_fields(bytes(view[pos + 4 : pos + 4 + size])))
        pos += 4 + size
    return frames, bytes(view[pos:])
