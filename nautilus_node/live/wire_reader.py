"""The TWS socket read on the node's own event loop: length-prefixed frames split as bytes arrive.

NautilusTrader 1.231 reads the socket in a worker thread (`asyncio.to_thread(conn.recvMsg)` per read) and
hands each frame back with `call_soon_threadsafe`. Here the loop watches the socket (`loop.add_reader`) and
splits frames in its callback: each frame is one slice of what `recv` returned (the bytes the decoder needs;
the read itself is joined to a partial frame only when one spans two reads), given to `on_frame` in wire
order. `ibapi`'s connection keeps the socket (its send path,
its one-second timeout, which leaves the descriptor non-blocking) and closes it as ever.

A length prefix beyond IB's maximum ends the reader at once (`on_end` with the reason) instead of waiting for
bytes that never come; so does a closed socket or a `FrameError` raised by `on_frame`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable

from nautilus_node.live.message_guard import FrameError, check_length

READ_BYTES = 64 * 1024  # below malloc's mmap threshold: no mmap/munmap for each read


class WireReader:
    """Frames from `sock` to `on_frame` on `loop`; `finished` resolves with the reason the reader ended."""

    def __init__(
        self,
        sock: socket.socket,
        loop: asyncio.AbstractEventLoop,
        on_frame: Callable[[bytes], None],
    ) -> None:
        self._sock = sock
        self._fd = sock.fileno()
        self._loop = loop
        self._on_frame = on_frame
        self._partial = b""
        self.finished: asyncio.Future[str] = loop.create_future()
        self.frames = 0

    def start(self) -> None:
        self._loop.add_reader(self._fd, self._readable)

    def close(self, reason: str = "closed") -> None:
        """Stop watching the socket (before ibapi closes it, so its descriptor is never watched once reused)."""
        if self.finished.done():
            return
        self.finished.set_result(reason)
        with contextlib.suppress(OSError, ValueError):  # ibapi closed the socket first
            self._loop.remove_reader(self._fd)

    def _readable(self) -> None:
        try:
            data = self._sock.recv(READ_BYTES)
        except (BlockingIOError, InterruptedError, TimeoutError):
            return
        except OSError as exc:
            self.close(f"socket error: {exc}")
            return
        if not data:
            self.close("socket closed by the gateway")
            return
        if self._partial:
            data = self._partial + data
            self._partial = b""
        try:
            self._split(data)
        except FrameError as exc:
            self.close(f"stream out of step: {exc}")

    def _split(self, data: bytes) -> None:
        """Every whole frame in `data` to `on_frame`, in order; a trailing part frame waits for the next read."""
        view = memoryview(data)
        end = len(data)
        pos = 0
        on_frame = self._on_frame
        while end - pos >= 4:
            size = int.from_bytes(view[pos : pos + 4], "big")
            check_length(size)
            if end - pos - 4 < size:
                break
            start = pos + 4
            pos = start + size
            self.frames += 1
            on_frame(data[start:pos])
            if self.finished.done():
                return
        if pos < end:
            self._partial = data[pos:]
