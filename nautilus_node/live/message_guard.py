"""Fault isolation for incoming TWS messages: one bad message is skipped, never the end of the session.

NautilusTrader 1.231 decodes each message in its queue task: a decoder exception (a price that is not a number,
a body cut short) ends that task for good while the socket stays open. Here such a message is logged once with
its id and a short dump, counted, and skipped. A skipped message that may have carried an order or execution
event asks for an immediate reconciliation (`on_order_event_lost`), so no fill is lost to a bad frame.

Framing faults are different: a length prefix no TWS frame can have, or a frame that cannot be a TWS message
(no numeric id, no closing NUL on the text stack), means the stream is out of step; `FrameError` says so,
and the session is ended and reconnected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ibapi.const import MAX_MSG_LEN
from ibapi.message import IN
from ibapi.server_versions import MIN_SERVER_VER_PROTOBUF

PROTOBUF_MSG_ID = 200  # ibapi.common.PROTOBUF_MSG_ID: binary ids above it carry a protobuf body
HIGHEST_MSG_ID = 2 * PROTOBUF_MSG_ID  # no incoming id (text or protobuf) is above it
DUMP_BYTES = 48
# Incoming messages that may carry an order's state or a fill: losing one calls for a reconciliation.
ORDER_EVENT_IDS = frozenset(
    {
        IN.ORDER_STATUS,
        IN.OPEN_ORDER,
        IN.OPEN_ORDER_END,
        IN.EXECUTION_DATA,
        IN.EXECUTION_DATA_END,
        IN.COMMISSION_AND_FEES_REPORT,
        IN.COMPLETED_ORDER,
        IN.ERR_MSG,
    }
)
UNKNOWN_MSG_ID = -1


class FrameError(Exception):
    """The stream cannot be split into TWS frames any more: the session must end."""


def check_length(size: int) -> None:
    """A length prefix beyond IB's maximum (`ibapi.const.MAX_MSG_LEN`) or of zero: the stream is out of step."""
    if size > MAX_MSG_LEN or size == 0:
        raise FrameError(f"length prefix {size} outside 1..{MAX_MSG_LEN}")


def split_message_id(frame: bytes, server_version: int) -> tuple[int, bytes, bool]:
    """(message id, body, protobuf) of one frame: from 201 a 4-byte id (above 200: protobuf, id - 200), below
    a NUL-terminated text id. Raises `FrameError` when the frame cannot be a TWS message."""
    if server_version >= MIN_SERVER_VER_PROTOBUF:
        if len(frame) < 4:
            raise FrameError(f"frame of {len(frame)} bytes has no message id")
        msg_id = int.from_bytes(frame[:4], "big")
        if msg_id > HIGHEST_MSG_ID:
            raise FrameError(f"binary message id {msg_id} above {HIGHEST_MSG_ID}")
        if msg_id > PROTOBUF_MSG_ID:
            return msg_id - PROTOBUF_MSG_ID, frame[4:], True
        return msg_id, frame[4:], False
    end = frame.find(b"\0")
    text_id = frame[:end]
    if end < 1 or not text_id.isdigit() or frame[-1] != 0:
        raise FrameError(f"text frame without a numeric id and closing NUL: {short_dump(frame)}")
    return int(text_id), frame[end + 1 :], False


def short_dump(data: bytes) -> str:
    """The first bytes of a message, NULs shown as `|`, the rest as escapes: one log line's worth."""
    head = data[:DUMP_BYTES].replace(b"\0", b"|").decode("ascii", errors="backslashreplace")
    return head + (f"… ({len(data)} bytes)" if len(data) > DUMP_BYTES else "")


@dataclass(slots=True)
class SkipCounts:
    """Messages skipped since start: in all, by message id, and the latest one's description."""

    total: int = 0
    by_id: dict[int, int] = field(default_factory=dict)
    handler_failures: int = 0
    reconciliations: int = 0
    last: str | None = None


class MessageGuard:
    """Counts and logs the messages a client skips; asks for a reconciliation when one may have been an order's."""

    def __init__(self, log: object, on_order_event_lost: Callable[[], None]) -> None:
        self._log = log
        self._on_order_event_lost = on_order_event_lost
        self.counts = SkipCounts()

    def skipped(self, msg_id: int, body: bytes, reason: str) -> None:
        """Message `msg_id` (UNKNOWN_MSG_ID when not even its id parsed) was not processed, for `reason`."""
        counts = self.counts
        counts.total += 1
        counts.by_id[msg_id] = counts.by_id.get(msg_id, 0) + 1
        counts.last = f"message {msg_id}: {reason}"
        self._log.warning(f"Skipped incoming message id {msg_id} ({reason}): {short_dump(body)}")
        if msg_id in ORDER_EVENT_IDS or msg_id == UNKNOWN_MSG_ID:
            counts.reconciliations += 1
            self._on_order_event_lost()

    def decode_failed(self, msg_id: int, body: bytes, exc: BaseException) -> None:
        self.skipped(msg_id, body, f"{type(exc).__name__}: {exc}"[:160])

    def handler_failed(self, handler: object, exc: BaseException) -> None:
        """A NautilusTrader handler task raised: logged in one line and counted; the next one runs."""
        name = getattr(getattr(handler, "func", handler), "__name__", type(handler).__name__)
        self.counts.handler_failures += 1
        self.counts.last = f"handler {name}: {type(exc).__name__}: {exc}"[:200]
        self._log.error(f"Handler {name} failed, skipped: {type(exc).__name__}: {exc}")
