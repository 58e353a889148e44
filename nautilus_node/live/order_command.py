"""`order`: place one order through a live node and report its outcome in one line.

The node runs from a config file as `run` does (same gateway, paper-only and `--sim` handling, through
`runner.run_settings`), but with only the one-shot strategy (`nautilus_node.live.one_shot_order`): the config's own
strategies and the status actor stay off, the order's instrument is added to the instruments to load, and the
console shows errors only. Exit code 0: filled, or accepted and working; 1: anything else.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import msgspec
from nautilus_trader.trading.config import ImportableStrategyConfig

from nautilus_node.errors import InputError
from nautilus_node.ib.instrument_ids import check_instrument_id
from nautilus_node.ib.orders import TIMES_IN_FORCE
from nautilus_node.live.one_shot_order import OrderOutcome
from nautilus_node.live.runner import Echo, RunOptions, run_settings
from nautilus_node.settings import Settings, load_settings

SIDES = ("BUY", "SELL")
DEFAULT_TIMEOUT_SECS = 30.0
# Beyond the order's own timeout, the node may take this long to connect, reconcile and start (as `run` allows
# with the default gateway.startup_timeout_secs); past both, the node is stopped whatever happened.
STARTUP_ALLOWANCE_SECS = 120.0
CONSOLE_LOG_LEVEL = "ERROR"  # the outcome line is the output; the log file keeps everything


class OrderArgumentError(InputError):
    """A bad `order` argument: one line, exit code 2."""


@dataclass(frozen=True)
class OrderArgs:
    """A validated order request from the command line."""

    side: str
    quantity: str
    instrument_id: str
    limit_price: str | None
    time_in_force: str
    timeout_secs: float


def parse_order_args(
    side: str, quantity: str, instrument: str, limit: str | None, tif: str, timeout: str | None
) -> OrderArgs:
    """Check every argument; the first bad one raises `OrderArgumentError` naming it."""
    if side.upper() not in SIDES:
        raise OrderArgumentError(f"side {side!r} must be BUY or SELL")
    qty = _positive_number(quantity, "quantity")
    instrument_id = check_instrument_id(instrument, simulated_gateway_ids())
    price = _positive_number(limit, "--limit") if limit is not None else None
    if tif.upper() not in TIMES_IN_FORCE:
        raise OrderArgumentError(f"--tif {tif!r} must be one of {', '.join(TIMES_IN_FORCE)}")
    timeout_secs = float(_positive_number(timeout, "--timeout")) if timeout is not None else DEFAULT_TIMEOUT_SECS
    return OrderArgs(
        side=side.upper(),
        quantity=_plain(qty),
        instrument_id=str(instrument_id),
        limit_price=_plain(price) if price is not None else None,
        time_in_force=tif.upper(),
        timeout_secs=timeout_secs,
    )


def simulated_gateway_ids() -> list[str]:
    """The ids of the simulated gateway's contracts, in the adapter's simplified symbology."""
    from nautilus_node.simgateway.contracts import build_universe

    ids = []
    for contract in build_universe():
        if contract.sec_type == "CASH":
            ids.append(f"{contract.symbol}/{contract.currency}.{contract.exchange}")
        elif contract.sec_type == "STK":
            ids.append(f"{contract.symbol}.{contract.primary_exchange}")
        else:
            ids.append(f"{contract.local_symbol}.{contract.exchange}")
    return ids


def _positive_number(text: str, name: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise OrderArgumentError(f"{name} {text!r} is not a number") from None
    if not value.is_finite():
        raise OrderArgumentError(f"{name} {text!r} is not a number")
    if value <= 0:
        raise OrderArgumentError(f"{name} must be greater than 0, got {text}")
    return value


def _plain(value: Decimal) -> str:
    """`1E+2` → `100`, `100.50` stays `100.50` (the decimals given are the precision asked for)."""
    return f"{value:f}"


def one_shot_settings(settings: Settings, instrument_id: str) -> Settings:
    """The config with no strategies of its own, no status actor, the instrument loaded, a quiet console."""
    load = list(settings.instruments.load)
    if instrument_id not in load:
        load.append(instrument_id)
    return msgspec.structs.replace(
        settings,
        strategies=[],
        instruments=msgspec.structs.replace(settings.instruments, load=load),
        status=msgspec.structs.replace(settings.status, enabled=False),
        node=msgspec.structs.replace(settings.node, log_level=CONSOLE_LOG_LEVEL),
    )


def one_shot_strategy(args: OrderArgs, result_path: Path) -> ImportableStrategyConfig:
    """The one-shot strategy for this order, writing its outcome to `result_path`."""
    return ImportableStrategyConfig(
        strategy_path="nautilus_node.live.one_shot_order:OneShotOrder",
        config_path="nautilus_node.live.one_shot_order:OneShotOrderConfig",
        config={
            "instrument_id": args.instrument_id,
            "side": args.side,
            "quantity": args.quantity,
            "limit_price": args.limit_price,
            "time_in_force": args.time_in_force,
            "timeout_secs": args.timeout_secs,
            "result_path": str(result_path),
        },
    )


def place_order(config: Path, args: OrderArgs, sim: bool, live: bool, echo: Echo) -> int:
    """Run the node with the one-shot strategy; print the outcome line; return the exit code (0 or 1)."""
    settings = one_shot_settings(load_settings(config), args.instrument_id)
    with tempfile.TemporaryDirectory(prefix="nautilus-node-order-") as folder:
        result_path = Path(folder) / "outcome.json"
        run_settings(
            settings,
            str(config),
            RunOptions(
                duration_secs=STARTUP_ALLOWANCE_SECS + args.timeout_secs,
                duration_reason="no outcome within the start-up allowance and --timeout",
            ),
            sim=sim,
            live=live,
            echo=echo,
            extra_strategies=[one_shot_strategy(args, result_path)],
        )
        if not result_path.exists():
            echo(
                f"NO OUTCOME  the node stopped before the order had an outcome (is {args.instrument_id} known to the "
                f"gateway?); see the log in {settings.node.log_directory}/"
            )
            return 1
        outcome = msgspec.json.decode(result_path.read_bytes(), type=OrderOutcome)
    echo(outcome.line())
    return 0 if outcome.succeeded else 1
