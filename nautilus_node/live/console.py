"""What the console of a running node shows beside the node's own lines: the IB codes that are real problems.

With the console at ERROR (the shipped configs), NautilusTrader's routine WARN lines ("Started when loop is not
running", the farm-OK codes, each order cancel) stay in the log file. The codes IB sends that are not routine
(connectivity lost or restored, a farm broken, an order rejected, a competing session, a request refused) are
still worth a person's eye, so the node echoes each one itself, once per code and message. At WARNING or below
NautilusTrader's own console already shows them, and nothing is echoed twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nautilus_node.nautilus_internals import observe_every_ib_clients_errors

if TYPE_CHECKING:
    from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient

# Farms OK or idle (2104, 2106, 2107, 2108, 2158, 2119), account updates unsubscribed (2100), an order cancel
# the node asked for (202), delayed data on (10167), fractional-size notice (2176).
ROUTINE_IB_CODES = frozenset({202, 2100, 2104, 2106, 2107, 2108, 2119, 2158, 2176, 10167})
CONSOLE_SHOWS_WARNINGS = frozenset({"DEBUG", "INFO", "WARNING"})


def ib_problem_line(code: int, message: str, req_id: int) -> str | None:
    """The console line for an IB code, or `None` when the code is routine."""
    if code in ROUTINE_IB_CODES:
        return None
    request = f" (request {req_id})" if req_id != -1 else ""
    return f"IB {code}{request}: {message}"


def echo_ib_problems(console_level: str, echo: Callable[[str], None]) -> Callable[[], None]:
    """From now on, echo each non-routine IB code any client processes (once per code and message), unless the
    console at `console_level` shows NautilusTrader's warnings already; returns the function that stops it."""
    if console_level in CONSOLE_SHOWS_WARNINGS:
        return lambda: None
    said: set[tuple[int, str]] = set()

    def observe(_client: InteractiveBrokersClient, code: int, message: str, req_id: int) -> None:
        line = ib_problem_line(code, message, req_id)
        if line is not None and (code, message) not in said:
            said.add((code, message))
            echo(line)

    return observe_every_ib_clients_errors(observe)
