"""The HTTP surface: `GET /status` (JSON), `GET /healthz` (200 or 503 with reasons), `GET /` (the page).

It runs in its own threads and only reads the board, so a slow HTTP client never delays the node, and a
node that stops updating its snapshot shows up as unhealthy (the snapshot's age is checked per request).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from nautilus_node.status.board import StatusBoard
from nautilus_node.status.health import current_health

PAGE_HTML = (Path(__file__).parent / "page.html").read_bytes()
NOT_READY = {"healthy": False, "reasons": ["no status snapshot yet: the node is starting"]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    board: StatusBoard


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._send(200, "text/html; charset=utf-8", PAGE_HTML)
        elif path == "/status":
            latest = self.server.board.latest()
            if latest is None:
                self._send_json(503, NOT_READY)
            else:
                self._send(200, "application/json", latest[1])
        elif path == "/healthz":
            latest = self.server.board.latest()
            if latest is None:
                self._send_json(503, NOT_READY)
            else:
                health = current_health(latest[0], time.time())
                self._send_json(200 if health.healthy else 503, {"healthy": health.healthy, "reasons": health.reasons})
        else:
            self._send_json(404, {"error": f"no such path: {path}"})

    def _send_json(self, status: int, body: dict) -> None:
        self._send(status, "application/json", json.dumps(body).encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: health checks would flood the log."""


class StatusServer:
    """Serves one board on host:port from a daemon thread."""

    def __init__(self, board: StatusBoard, host: str, port: int) -> None:
        try:
            self._httpd = _Server((host, port), _Handler)
        except OSError as exc:
            raise OSError(exc.errno, f"status HTTP server cannot listen on {host}:{port}: {exc.strerror}") from None
        self._httpd.board = board
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="status-http", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port); the port is the real one when 0 was asked for."""
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()
