"""The control API's guards: a bearer token random per start, and desks that hand each request over to the
node's event loop (where `ManualOrders` and the kill switch act) and wait for its answer."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from nautilus_node.status.kill_switch import HaltOutcome, HaltState, KillSwitch
from nautilus_node.status.manual_orders import ManualOrders, OrderRefused, OrderRequest

TOKEN_FILE = "control.token"
NODE_ANSWER_SECS = 10.0

T = TypeVar("T")


class ControlToken:
    """The bearer token every control request must carry."""

    def __init__(self, value: str | None = None) -> None:
        self.value = value or secrets.token_urlsafe(32)

    def write_beside(self, snapshot_path: Path) -> Path:
        """Write the token to `control.token` beside the snapshot file, readable by the owner only."""
        path = snapshot_path.parent / TOKEN_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, self.value.encode() + b"\n")
        finally:
            os.close(fd)
        return path

    def remove_beside(self, snapshot_path: Path) -> None:
        """Remove `control.token` beside the snapshot file if it still holds this token (a node started since,
        with the same file, keeps its own)."""
        path = snapshot_path.parent / TOKEN_FILE
        try:
            if path.read_text(encoding="utf-8").strip() == self.value:
                path.unlink()
        except OSError:
            pass

    def accepts(self, authorization: str | None) -> bool:
        """Whether an `Authorization` header carries this token (`Bearer <token>`)."""
        if not authorization:
            return False
        scheme, _, credentials = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), self.value.encode())


class OrderDesk:
    """Runs order requests on the node's event loop (or inline when the node has no running loop, as in a
    finished backtest) and returns their answers to the web server's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None, find: Callable[[], ManualOrders | None]) -> None:
        self._loop = loop
        self._find = find

    async def submit(self, request: OrderRequest, source: str) -> str:
        return await self._on_node(lambda desk: desk.submit(request, source))

    async def cancel(self, client_order_id: str, source: str) -> None:
        await self._on_node(lambda desk: desk.cancel(client_order_id, source))

    async def _on_node(self, action: Callable[[ManualOrders], T]) -> T:
        def run() -> T:
            desk = self._find()
            if desk is None:
                raise OrderRefused(503, "this node runs no manual order desk (ManualOrders)")
            return action(desk)

        return await on_node_loop(self._loop, run)


class TradingDesk:
    """Runs the kill switch's halt and resume on the node's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None, switch: KillSwitch | None) -> None:
        self._loop = loop
        self._switch = switch

    async def halt(self, by: str, flatten: bool, state: HaltState) -> HaltOutcome:
        switch = self._require()
        return await on_node_loop(self._loop, lambda: switch.halt(by, "kill switch", flatten=flatten, state=state))

    async def resume(self) -> bool:
        switch = self._require()
        return await on_node_loop(self._loop, switch.resume)

    def _require(self) -> KillSwitch:
        if self._switch is None:
            raise OrderRefused(503, "this node has no kill switch (its kernel was not found)")
        return self._switch


async def on_node_loop[R](loop: asyncio.AbstractEventLoop | None, run: Callable[[], R]) -> R:
    """`run()` on the node's loop (inline when it has none running), its answer awaited here."""
    if loop is None or loop.is_closed() or not loop.is_running():
        return run()
    future: concurrent.futures.Future[R] = concurrent.futures.Future()

    def on_node() -> None:
        try:
            future.set_result(run())
        except BaseException as exc:
            future.set_exception(exc)

    loop.call_soon_threadsafe(on_node)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), NODE_ANSWER_SECS)
    except TimeoutError:
        raise OrderRefused(504, f"the node did not answer within {NODE_ANSWER_SECS:g} s") from None
