"""A relay in front of the simulated gateway that timestamps TWS frames on the wire, for tick → order latency.

Gateway → client: each burst of quote frames (tickPrice/tickSize closer than `BURST_GAP_SECS` apart) is
stamped when its first frame is forwarded (on both stacks: text ids up to server version 200, binary ids and
protobuf bodies from 201). Client → gateway: each placeOrder frame is stamped on arrival; its
latency is the time since the start of the latest quote burst. The relay adds the same copy to every client
measured through it, so the three clients compare fairly. `storm` writes extra quote frames to the clients,
paced, between the gateway's frames; they are not stamped (only the gateway's own quotes start a burst).
"""

from __future__ import annotations

import asyncio
import threading
import time

TICK_PRICE, TICK_SIZE, PLACE_ORDER = 1, 2, 3
PROTOBUF_ID = 200  # from server version 201 a protobuf body travels under its message id + 200
BURST_GAP_SECS = 0.005
STORM_BATCH_SECS = 0.005


class FrameClock:
    """Listens on 127.0.0.1 (a free port), relays to the gateway at `upstream_port`, records latencies."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self.port = 0
        self.latencies: list[float] = []
        self.encodings: set[str] = set()  # "text" and/or "binary": the message ids seen from the gateway
        self._burst_start = 0.0
        self._last_quote = 0.0
        self._writers: list[asyncio.StreamWriter] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frame-clock", daemon=True)

    def __enter__(self) -> FrameClock:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _close(self) -> None:
        """End every relay (each closes its sockets) before the loop stops."""
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def reset(self) -> None:
        self.latencies = []

    def storm(self, frames: list[bytes], rate: int, secs: float) -> int:
        """Write `frames` (cycled) to every client at `rate` frames a second for `secs`, in 5-ms batches on a
        monotonic schedule; returns how many were written to each client."""
        future = asyncio.run_coroutine_threadsafe(self._storm(frames, rate, secs), self._loop)
        return future.result(secs + 30)

    async def _storm(self, frames: list[bytes], rate: int, secs: float) -> int:
        per_batch = max(1, round(rate * STORM_BATCH_SECS))
        batches = max(1, round(secs / STORM_BATCH_SECS))
        start = self._loop.time()
        for batch in range(batches):
            first = batch * per_batch
            chunk = b"".join(frames[(first + k) % len(frames)] for k in range(per_batch))
            for writer in self._writers:
                writer.write(chunk)
            await asyncio.sleep(max(0.0, start + (batch + 1) * STORM_BATCH_SECS - self._loop.time()))
        return per_batch * batches

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._on_client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        except OSError:
            writer.close()
            return
        prefix = await reader.readexactly(4)  # "API\0", then length-prefixed frames both ways
        up_writer.write(prefix)
        self._writers.append(writer)
        pumps = [
            asyncio.ensure_future(self._pump(reader, up_writer, self._on_client_frame)),
            asyncio.ensure_future(self._pump(up_reader, writer, self._on_gateway_frame)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)  # either side closing ends both
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            self._writers.remove(writer)
            writer.close()
            up_writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, stamp) -> None:
        try:
            while True:
                header = await reader.readexactly(4)
                payload = await reader.readexactly(int.from_bytes(header, "big"))
                stamp(payload)
                writer.write(header + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    def _on_gateway_frame(self, payload: bytes) -> None:
        self.encodings.add("binary" if payload[:1] == b"\0" else "text")
        if message_id(payload) in (TICK_PRICE, TICK_SIZE):
            now = time.perf_counter()
            if now - self._last_quote > BURST_GAP_SECS:
                self._burst_start = now
            self._last_quote = now

    def _on_client_frame(self, payload: bytes) -> None:
        if message_id(payload) == PLACE_ORDER and self._burst_start:
            self.latencies.append(time.perf_counter() - self._burst_start)


def message_id(payload: bytes) -> int | None:
    """A frame's message id on either stack: a 4-byte binary id (its first byte is 0; protobuf ones less 200)
    from server version 201, a NUL-terminated text id before."""
    if payload[:1] == b"\0":
        msg_id = int.from_bytes(payload[:4], "big")
        return msg_id - PROTOBUF_ID if msg_id > PROTOBUF_ID else msg_id
    text = payload[: payload.find(b"\0")]
    return int(text) if text.isdigit() else None


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
