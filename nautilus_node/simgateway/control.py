"""A small control endpoint for faults: one JSON line in (``{"action": ..., "args": [...]}``), one out.

The server listens on 127.0.0.1 only. ``send_control`` is the client side used by the CLI.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Callable

from nautilus_node.simgateway.faults import FaultController

log = logging.getLogger(__name__)


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "kept", "on"):
        return True
    if lowered in ("0", "false", "no", "lost", "off"):
        return False
    raise ValueError(f"expected true/false, got {text!r}")


# action -> (converters for positional arguments, number of required arguments)
ACTIONS: dict[str, tuple[tuple[Callable[[str], object], ...], int]] = {
    "drop_connections": ((), 0),
    "restart": ((float,), 0),
    "connectivity_lost": ((), 0),
    "connectivity_restored": ((_flag,), 0),
    "farm_status": ((int,), 1),
    "stall_feed": ((str,), 1),
    "resume_feed": ((str,), 0),
    "reject_next_order": ((str,), 0),
    "delay_responses": ((float,), 1),
}


def apply_action(faults: FaultController, action: str, args: list[str]) -> None:
    """Validate ``action`` and its text arguments, then call the fault method."""
    name = action.replace("-", "_")
    if name not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; choose from {', '.join(sorted(ACTIONS))}")
    converters, required = ACTIONS[name]
    if not required <= len(args) <= len(converters):
        raise ValueError(f"{name} takes {required}..{len(converters)} arguments, got {len(args)}")
    values = []
    for conv, arg in zip(converters, args, strict=False):
        try:
            values.append(conv(arg))
        except ValueError as exc:
            raise ValueError(f"{name}: bad argument {arg!r}: {exc}") from None
    getattr(faults, name)(*values)


class ControlServer:
    """Serves control requests for one gateway's fault controller."""

    def __init__(self, faults: FaultController, port: int = 0) -> None:
        self._faults = faults
        self.port = port
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("gateway control listening on 127.0.0.1:%d", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=10)
            try:
                request = json.loads(line)
                if not isinstance(request, dict) or not isinstance(request.get("action"), str):
                    raise ValueError("request must be a JSON object with an 'action' string")
                args = [str(a) for a in request.get("args", [])]
                apply_action(self._faults, request["action"], args)
                reply = {"ok": True}
            except (ValueError, TypeError) as exc:
                reply = {"ok": False, "error": str(exc)}
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except (TimeoutError, ConnectionError, OSError) as exc:
            log.info("control client error: %s", exc)
        finally:
            writer.close()


def send_control(port: int, action: str, args: list[str], host: str = "127.0.0.1", timeout: float = 5.0) -> dict:
    """Send one control request and return the decoded reply."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(json.dumps({"action": action, "args": args}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return json.loads(data or b'{"ok": false, "error": "no reply"}')
