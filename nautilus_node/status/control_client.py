"""`halt` and `resume`: the kill switch of a running node, through its control API with its token."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from nautilus_node.errors import InputError, UserError
from nautilus_node.status.client import default_url
from nautilus_node.status.control import TOKEN_FILE

TOKEN_ENV = "NAUTILUS_NODE_CONTROL_TOKEN"
DEFAULT_TOKEN_FILE = Path("status") / TOKEN_FILE
REQUEST_TIMEOUT_SECS = 15.0


class ControlFailed(UserError):
    """The node refused or did not answer a control request; one line for a person."""


def read_token(token_file: Path | None, environ: dict[str, str] | None = None) -> str:
    """The control token: `NAUTILUS_NODE_CONTROL_TOKEN`, else the `control.token` file the node wrote."""
    environ = dict(os.environ) if environ is None else environ
    if token_file is None and environ.get(TOKEN_ENV):
        return environ[TOKEN_ENV].strip()
    path = token_file or DEFAULT_TOKEN_FILE
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise InputError(f"{path}: no control token (is the node running? see --token-file or {TOKEN_ENV})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the control token ({exc.strerror})") from None
    if not token:
        raise InputError(f"{path}: the control token file is empty")
    return token


def halt(url: str | None, token: str, flatten: bool) -> str:
    """`POST /api/halt`; the node's answer as one line."""
    answer = _post(url, "/api/halt", token, {"flatten": flatten, "by": "cli"})
    halt = answer["halt"]
    closing = f", {answer['closing_positions']} positions closing" if flatten else ""
    return f"trading {halt['state']} at {halt['at']}: {answer['cancelled_orders']} open orders cancelled{closing}"


def resume(url: str | None, token: str) -> str:
    """`POST /api/resume`; the node's answer as one line."""
    answer = _post(url, "/api/resume", token, {})
    return "trading ACTIVE: halt lifted" if answer["lifted"] else "trading ACTIVE (no halt was in force)"


def _post(url: str | None, path: str, token: str, body: dict) -> dict:
    address = (url or default_url()).rstrip("/") + path
    request = urllib.request.Request(address, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECS) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            message = exc.reason
        raise ControlFailed(f"{address}: HTTP {exc.code}: {message}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ControlFailed(f"{address}: no answer ({getattr(exc, 'reason', exc)})") from None
    except ValueError as exc:
        raise InputError(f"{address}: not a usable URL ({exc})") from None
