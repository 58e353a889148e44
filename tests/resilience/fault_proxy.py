"""A TCP relay between the node and the simulated gateway that injects bad frames into the gateway's stream.

It relays the handshake and then whole frames both ways (its own event loop, in a thread). `inject` writes
raw bytes to every client between two gateway frames; `corrupt_next` replaces the next gateway frame with a
given message id by a bad one. The framing of both stacks is the same length prefix; a text frame's id is its
first NUL-terminated field, a binary one's its first 4 bytes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

MAX_LENGTH = 0xFFFFFF  # ibapi.const.MAX_MSG_LEN


def text_frame(*fields: bytes) -> bytes:
    """A framed text-stack message (server version ≤ 200): NUL-terminated fields behind a length prefix."""
    body = b"".join(f + b"\0" for f in fields)
    return len(body).to_bytes(4, "big") + body


def binary_frame(msg_id: int, body: bytes) -> bytes:
    """A framed message of the binary-id stack (≥ 201): a 4-byte id (protobuf ones are id + 200), then `body`."""
    payload = msg_id.to_bytes(4, "big") + body
    return len(payload).to_bytes(4, "big") + payload


def impossible_length() -> bytes:
    """A length prefix no TWS frame can have (beyond IB's maximum), followed by a few bytes that never end it."""
    return (MAX_LENGTH + 1_000_000).to_bytes(4, "big") + b"1\x006\x00"


class FaultProxy:
    """Listens on 127.0.0.1 (a free port), relays to the gateway at `upstream_port`."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self.port = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._corruptions: list[tuple[Callable[[bytes], bool], bytes]] = []
        self.corrupted = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        assert self._ready.wait(5), "the proxy did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _close(self) -> None:
        """End every relay (so each closes its sockets) before the loop stops."""
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def inject(self, raw: bytes) -> None:
        """Write `raw` to every connected client, between two gateway frames."""

        def write() -> None:
            for writer in self._writers:
                writer.write(raw)

        self._loop.call_soon_threadsafe(write)

    def corrupt_next(self, matches: Callable[[bytes], bool], replacement: bytes) -> None:
        """Send `replacement` (a whole frame) instead of the next gateway frame whose payload `matches`."""
        self._loop.call_soon_threadsafe(self._corruptions.append, (matches, replacement))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._on_client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        except OSError:
            writer.close()
            return
        self._writers.append(writer)
        try:
            up_writer.write(await reader.readexactly(4))  # "API\0"
            relays = {
                asyncio.ensure_future(self._relay(reader, up_writer, False)),
                asyncio.ensure_future(self._relay(up_reader, writer, True)),
            }
            _, pending = await asyncio.wait(relays, return_when=asyncio.FIRST_COMPLETED)
            for relay in pending:  # one side closed: close the other at once
                relay.cancel()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.remove(writer)
            writer.close()
            up_writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, from_gateway: bool) -> None:
        while True:
            header = await reader.readexactly(4)
            payload = await reader.readexactly(int.from_bytes(header, "big"))
            frame = header + payload
            if from_gateway:
                frame = self._maybe_corrupt(payload, frame)
            writer.write(frame)
            await writer.drain()

    def _maybe_corrupt(self, payload: bytes, frame: bytes) -> bytes:
        for i, (matches, replacement) in enumerate(self._corruptions):
            if matches(payload):
                del self._corruptions[i]
                self.corrupted += 1
                return replacement
        return frame
