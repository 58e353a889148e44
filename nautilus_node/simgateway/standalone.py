"""The standalone gateway process and the fault command, as the CLI calls them."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from nautilus_node.errors import InputError
from nautilus_node.ib.accounts import PAPER_ACCOUNT_PREFIX, is_paper_account
from nautilus_node.simgateway.control import ACTIONS, send_control
from nautilus_node.simgateway.gateway import SimulatedGateway
from nautilus_node.simgateway.versions import MAX_VERSION


class GatewayStartError(InputError):
    """The gateway could not start (bad option value, port in use, unreadable catalog)."""


def serve(
    host: str,
    port: int,
    account: str,
    seed: int,
    replay: Path | None,
    speed: float,
    control_port: int | None,
    echo: Callable[[str], None],
    state: Path | None = None,
    always_open: bool = False,
    server_version: int = MAX_VERSION,
) -> None:
    """Run the gateway in the foreground until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not is_paper_account(account):
        raise GatewayStartError(f"--account {account!r}: a paper account id starts with {PAPER_ACCOUNT_PREFIX!r}")
    try:
        gateway = SimulatedGateway(
            host=host,
            port=port,
            account=account,
            seed=seed,
            replay_catalog=replay,
            replay_speed=speed,
            control_port=control_port,
            state_file=state,
            market_hours="always-open" if always_open else "real",
            server_version=server_version,
        ).start()
    except ValueError as exc:
        raise GatewayStartError(str(exc)) from None
    except OSError as exc:
        raise GatewayStartError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    source = f"replay of {replay} at {speed}x" if replay else f"random walk (seed {seed})"
    control = f", control on 127.0.0.1:{gateway.control_port}" if gateway.control_port else ""
    kept = f", account kept in {state}" if state else ""
    echo(
        f"simulated IB Gateway on {host}:{gateway.port}, account {account}, prices from {source}{control}{kept}, "
        f"server versions up to {server_version}"
    )
    if always_open:
        echo("market always open: orders fill at any hour (not as at IB)")
    else:
        echo("market hours as at IB: orders outside a contract's trading hours wait (IOC/FOK are cancelled)")
    stop.wait()
    gateway.stop()
    echo("simulated IB Gateway stopped")


def fault(action: str, args: tuple[str, ...], control_port: int, host: str = "127.0.0.1") -> tuple[int, str]:
    """Send one fault action; returns (exit code, one-line message)."""
    name = action.replace("-", "_")
    if name not in ACTIONS:
        return 2, f"unknown action {action!r}; choose from {', '.join(sorted(ACTIONS))}"
    try:
        reply = send_control(control_port, name, list(args), host=host)
    except OSError as exc:
        return 1, f"no gateway control on {host}:{control_port}: {exc.strerror or exc}"
    if reply.get("ok"):
        return 0, f"{name} {' '.join(args)}".strip() + ": done"
    return 2, str(reply.get("error", "refused"))
