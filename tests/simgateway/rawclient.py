"""A client on a raw socket that speaks either stack: it greets with a version range, writes requests as IB's
EClient does at the negotiated version (or any bytes a test wants), and reads the replies as IB's client does."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from ibapi.client import EClient

from nautilus_node.simgateway.codec import encode_greeting, split_frames

from .wire_stacks import client_bytes, client_callbacks


class RawClient:
    """One raw connection; ``version`` is the server version the gateway answered the greeting with."""

    def __init__(self, port: int, max_version: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.sendall(encode_greeting(100, max_version))
        self._data = b""
        while not (frames := split_frames(self._data)[0]):
            chunk = self.sock.recv(65536)
            assert chunk, "the gateway closed the connection during the handshake"
            self._data += chunk
        self.version = int(frames[0][0])
        self._data = self._data[4 + int.from_bytes(self._data[:4], "big") :]
        self.seen: list[tuple[str, tuple]] = []

    def send(self, write: Callable[[EClient], None], client_id: int = 1) -> None:
        self.sock.sendall(client_bytes(self.version, write, client_id))

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def wait_for(self, name: str, predicate: Callable[[tuple], bool] = lambda a: True, timeout: float = 5.0) -> tuple:
        """The first callback ``name`` (matching ``predicate``) IB's client makes of what arrives."""
        deadline = time.monotonic() + timeout
        while True:
            for n, args in self.seen:
                if n == name and predicate(args):
                    return args
            assert time.monotonic() < deadline, f"no {name} within {timeout}s; seen {sorted({n for n, _ in self.seen})}"
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            assert chunk, f"the gateway closed the connection before {name}"
            self._data += chunk
            self._read_complete_frames()

    def _read_complete_frames(self) -> None:
        pos = 0
        while len(self._data) - pos >= 4:
            size = int.from_bytes(self._data[pos : pos + 4], "big")
            if len(self._data) - pos - 4 < size:
                break
            pos += 4 + size
        complete, self._data = self._data[:pos], self._data[pos:]
        self.seen += client_callbacks(self.version, complete)

    def closed_by_gateway(self, timeout: float = 5.0) -> bool:
        """True once the gateway closes the socket (data before the close is read and dropped)."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()
