"""A small control endpoint for faults: one JSON line in (``{"action": ..., "args": [...]}``), one out.

The server listens on 127.0.0.1 only. ``send_control`` is the client side used by the CLI.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Callable
from typing import NamedTuple

from nautilus_node.simgateway.faults import FaultController

log = logging.getLogger(__name__)


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "kept", "on"):
        return True
    if lowered in ("0", "false", "no", "lost", "off"):
        return False
    raise ValueError(f"expected true/false, got {text!r}")


class Action(NamedTuple):
    """A fault action's text arguments: converters for the positional ones (``required`` of them needed) and
    for the ``--name VALUE`` options, keyed by the method's keyword."""

    positional: tuple[Callable[[str], object], ...]
    required: int = 0
    options: dict[str, Callable[[str], object]] = {}


ACTIONS: dict[str, Action] = {
    "drop_connections": Action(()),
    "restart": Action((float,), 0, {"farms_after": float}),
    "hold_client_ids": Action((float,), 1),
    "connectivity_lost": Action(()),
    "connectivity_restored": Action((_flag,), 0),
    "farm_status": Action((int,), 1, {"bars_error": int}),
    "kill_subscription": Action((str,), 1, {"error": int, "symbol": str}),
    "stall_feed": Action((str,), 1),
    "resume_feed": Action((str,), 0),
    "set_price": Action((str, float), 2),
    "external_fill": Action((str, str), 2),
    "reject_next_order": Action((str,), 0),
    "delay_responses": Action((float,), 1),
}


def _convert(name: str, conv: Callable[[str], object], arg: str) -> object:
    try:
        return conv(arg)
    except ValueError as exc:
        raise ValueError(f"{name}: bad argument {arg!r}: {exc}") from None


def apply_action(faults: FaultController, action: str, args: list[str]) -> None:
    """Validate ``action`` and its text arguments (positional, then ``--option VALUE``), then call the fault
    method."""
    name = action.replace("-", "_")
    if name not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; choose from {', '.join(sorted(ACTIONS))}")
    spec = ACTIONS[name]
    positional: list[str] = []
    keywords: dict[str, object] = {}
    rest = iter(args)
    for arg in rest:
        if not arg.startswith("--"):
            positional.append(arg)
            continue
        key = arg[2:].replace("-", "_")
        if key not in spec.options:
            known = ", ".join("--" + k.replace("_", "-") for k in spec.options) or "none"
            raise ValueError(f"{name}: unknown option {arg!r} (options: {known})")
        value = next(rest, None)
        if value is None:
            raise ValueError(f"{name}: option {arg} needs a value")
        keywords[key] = _convert(name, spec.options[key], value)
    if not spec.required <= len(positional) <= len(spec.positional):
        raise ValueError(f"{name} takes {spec.required}..{len(spec.positional)} arguments, got {len(positional)}")
    values = [_convert(name, conv, arg) for conv, arg in zip(spec.positional, positional, strict=False)]
    getattr(faults, name)(*values, **keywords)


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
