"""The status web surface: an aiohttp server on its own thread and event loop, never on the node's.

Listening on a loopback address, it answers only requests addressed to it by a loopback name (`Host`
localhost, 127.0.0.1 or [::1]), so a web page elsewhere cannot reach it through DNS rebinding. Read-only and
open locally: `/` (the page), `/static/…`, `/status`, `/healthz`, `/metrics`, `/api/history` and
`/events` (Server-Sent Events: each snapshot and its new chart points as the node publishes them). Acting needs
the bearer token: `POST /api/orders`, `DELETE /api/orders/{client_order_id}`, and the kill switch's
`POST /api/halt` (body `{"flatten": true|false}`) and `POST /api/resume`. The node's loop only hands each
published snapshot over (`call_soon_threadsafe`); encoding for and writing to pages happens here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import threading
import time
import urllib.parse
from pathlib import Path

import msgspec
from aiohttp import web
from nautilus_trader.common.component import Logger

from nautilus_node.status import metrics
from nautilus_node.status.board import StatusBoard
from nautilus_node.status.charts import ChartHistory, ChartUpdate
from nautilus_node.status.charts import encode as encode_chart
from nautilus_node.status.control import ControlToken, OrderDesk, TradingDesk
from nautilus_node.status.health import current_health
from nautilus_node.status.kill_switch import HaltState
from nautilus_node.status.manual_orders import OrderRefused, OrderRequest

STATIC = Path(__file__).parent / "static"
PAGE = (STATIC / "index.html").read_bytes()
NOT_READY = {"healthy": False, "reasons": ["no status snapshot yet: the node is starting"]}
CLIENT_QUEUE = 16  # updates a slow page may fall behind before the oldest are dropped
HEARTBEAT_SECS = 15.0
MAX_REQUEST_BYTES = 16_384


class HaltRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The kill switch: close every position too when `flatten`; `REDUCING` lets closing orders through."""

    flatten: bool = False
    state: HaltState = "HALTED"
    by: str = msgspec.field(default="api")


class _Stream:
    """One page's Server-Sent Events queue."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(CLIENT_QUEUE)

    def put(self, message: bytes) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(message)


def sse(event: str, data: bytes) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


class StatusServer:
    """Serves one board on host:port from a daemon thread with its own event loop."""

    def __init__(
        self,
        board: StatusBoard,
        host: str,
        port: int,
        token: ControlToken | None = None,
        desk: OrderDesk | None = None,
        trading: TradingDesk | None = None,
    ) -> None:
        try:
            self._socket = socket.create_server((host, port))
        except OSError as exc:
            raise OSError(exc.errno, f"status HTTP server cannot listen on {host}:{port}: {exc.strerror}") from None
        host, port = self._socket.getsockname()[:2]
        self._address = (str(host), int(port))
        self._board = board
        self.token = token or ControlToken()
        self._desk = desk
        self._trading = trading
        self._log = Logger("StatusServer")
        self._history = ChartHistory()
        self._streams: set[_Stream] = set()
        self._registry = metrics.metrics_registry(board)
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="status-http", daemon=True)
        board.listen(self._on_publish)

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port); the port is the real one when 0 was asked for."""
        return self._address

    @property
    def page_url(self) -> str:
        """The page's address with the control token, for the person who started the node."""
        host, port = self.address
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        return f"http://{shown}:{port}/?token={self.token.value}"

    @property
    def stream_count(self) -> int:
        """How many pages are subscribed to the event stream now."""
        return len(self._streams)

    def start(self) -> None:
        self._thread.start()
        self._started.wait(10)

    def stop(self) -> None:
        """Stop serving, close the socket and end the thread."""
        self._board.listen(None)
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._thread.join(10)
        if not self._loop.is_closed() and not self._loop.is_running():
            self._loop.close()
        self._socket.close()

    # -- thread and loop -------------------------------------------------------------------------------------

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._startup())
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    async def _startup(self) -> None:
        middlewares = [_loopback_host_only, _json_not_found] if _is_loopback(self._address[0]) else [_json_not_found]
        app = web.Application(client_max_size=MAX_REQUEST_BYTES, middlewares=middlewares)
        app.add_routes(
            [
                web.get("/", self._page),
                web.get("/status", self._status),
                web.get("/healthz", self._healthz),
                web.get("/metrics", self._metrics),
                web.get("/events", self._events),
                web.get("/api/history", self._chart_history),
                web.post("/api/orders", self._submit),
                web.delete("/api/orders/{client_order_id}", self._cancel),
                web.post("/api/halt", self._halt),
                web.post("/api/resume", self._resume),
                web.static("/static", STATIC),
            ],
        )
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()

    async def _shutdown(self) -> None:
        for stream in list(self._streams):
            stream.put(b"")  # ends the stream's response
        if self._runner is not None:
            await self._runner.cleanup()
        self._loop.call_soon(self._loop.stop)

    # -- from the node's loop ----------------------------------------------------------------------------------

    def _on_publish(self, data: bytes, update: ChartUpdate | None) -> None:
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._broadcast, data, update)

    def _broadcast(self, data: bytes, update: ChartUpdate | None) -> None:
        if update is not None:
            self._history.add(update)
        if not self._streams:
            return
        message = sse("status", data)
        if update is not None:
            message += sse("chart", encode_chart(update))
        for stream in self._streams:
            stream.put(message)

    # -- read-only ---------------------------------------------------------------------------------------------

    async def _page(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=PAGE, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-store"})

    async def _status(self, request: web.Request) -> web.Response:
        latest = self._board.latest()
        if latest is None:
            return _json(503, NOT_READY)
        return web.Response(body=latest[1], content_type="application/json", headers={"Cache-Control": "no-store"})

    async def _healthz(self, request: web.Request) -> web.Response:
        latest = self._board.latest()
        if latest is None:
            return _json(503, NOT_READY)
        health = current_health(latest[0], time.time())
        return _json(200 if health.healthy else 503, {"healthy": health.healthy, "reasons": health.reasons})

    async def _metrics(self, request: web.Request) -> web.Response:
        body = metrics.render(self._registry)
        return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE, "Cache-Control": "no-store"})

    async def _chart_history(self, request: web.Request) -> web.Response:
        body = encode_chart(self._history.snapshot())
        return web.Response(body=body, content_type="application/json", headers={"Cache-Control": "no-store"})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        await response.prepare(request)
        stream = _Stream()
        latest = self._board.latest()
        first = sse("history", encode_chart(self._history.snapshot()))
        if latest is not None:
            first += sse("status", latest[1])
        await response.write(first)
        self._streams.add(stream)
        try:
            while True:
                try:
                    message = await asyncio.wait_for(stream.queue.get(), HEARTBEAT_SECS)
                except TimeoutError:
                    message = b": keep-alive\n\n"
                if not message:
                    break
                await response.write(message)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._streams.discard(stream)
        return response

    # -- control (token required) ------------------------------------------------------------------------------

    def _refuse_without_token(self, request: web.Request, action: str) -> web.Response | None:
        if self.token.accepts(request.headers.get("Authorization")):
            return None
        self._log.warning(f"control: refused {action} from {request.remote}: no valid bearer token")
        return _json(401, {"error": "a valid control token is required (Authorization: Bearer <token>)"})

    async def _submit(self, request: web.Request) -> web.Response:
        refused = self._refuse_without_token(request, "order")
        if refused is not None:
            return refused
        try:
            order = msgspec.json.decode(await request.read(), type=OrderRequest)
        except web.HTTPRequestEntityTooLarge:
            return _error(413, f"request body larger than {MAX_REQUEST_BYTES} bytes")
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return self._refused(400, f"bad order request: {exc}")
        if self._desk is None:
            return self._refused(503, "this node has no order desk")
        try:
            client_order_id = await self._desk.submit(order, source=f"api {request.remote}")
        except OrderRefused as exc:
            return self._refused(exc.status, str(exc))
        return _json(201, {"client_order_id": client_order_id})

    async def _cancel(self, request: web.Request) -> web.Response:
        client_order_id = request.match_info["client_order_id"]
        refused = self._refuse_without_token(request, f"cancel {client_order_id}")
        if refused is not None:
            return refused
        if self._desk is None:
            return self._refused(503, "this node has no order desk")
        try:
            await self._desk.cancel(client_order_id, source=f"api {request.remote}")
        except OrderRefused as exc:
            return self._refused(exc.status, str(exc))
        return _json(202, {"client_order_id": client_order_id, "cancel": "requested"})

    async def _halt(self, request: web.Request) -> web.Response:
        refused = self._refuse_without_token(request, "halt")
        if refused is not None:
            return refused
        try:
            body = await request.read()
            halt = msgspec.json.decode(body, type=HaltRequest) if body.strip() else HaltRequest()
        except web.HTTPRequestEntityTooLarge:
            return _error(413, f"request body larger than {MAX_REQUEST_BYTES} bytes")
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return self._refused(400, f"bad halt request: {exc}")
        if self._trading is None:
            return self._refused(503, "this node has no kill switch")
        by = f"{halt.by[:40]} {request.remote}"
        try:
            outcome = await self._trading.halt(by, flatten=halt.flatten, state=halt.state)
        except OrderRefused as exc:
            return self._refused(exc.status, str(exc))
        self._log.warning(
            f"control ({by}): {outcome.halt.state}, {outcome.cancelled_orders} orders cancelled, "
            f"{outcome.closing_positions} positions closing"
        )
        return _json(202, msgspec.to_builtins(outcome))

    async def _resume(self, request: web.Request) -> web.Response:
        refused = self._refuse_without_token(request, "resume")
        if refused is not None:
            return refused
        if self._trading is None:
            return self._refused(503, "this node has no kill switch")
        try:
            lifted = await self._trading.resume()
        except OrderRefused as exc:
            return self._refused(exc.status, str(exc))
        was = "a halt was" if lifted else "no halt was"
        self._log.warning(f"control (api {request.remote}): trading resumed ({was} in force)")
        return _json(200, {"trading_state": "ACTIVE", "lifted": lifted})

    def _refused(self, status: int, message: str) -> web.Response:
        self._log.warning(f"control: refused ({status}): {message}")
        return _error(status, message)


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@web.middleware
async def _loopback_host_only(request: web.Request, handler) -> web.StreamResponse:  # type: ignore[no-untyped-def]
    name = urllib.parse.urlsplit(f"//{request.host}").hostname or ""
    if name not in LOOPBACK_NAMES:
        return _error(421, f"this node answers only requests for localhost, not for Host {request.host!r}")
    return await handler(request)


@web.middleware
async def _json_not_found(request: web.Request, handler) -> web.StreamResponse:  # type: ignore[no-untyped-def]
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return _error(404, f"no such path: {request.path}")
    except web.HTTPMethodNotAllowed as exc:
        return _error(
            405,
            f"{request.method} is not allowed on {request.path} (allowed: {', '.join(sorted(exc.allowed_methods))})",
        )


def _error(status: int, message: str) -> web.Response:
    return _json(status, {"error": message})


def _json(status: int, body: dict) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
