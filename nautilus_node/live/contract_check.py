"""Ask the gateway for every instrument's contract before the node is built.

NautilusTrader's IB adapter answers a contract the gateway does not know (error 200) by waiting out its request
timeout, and the node then runs without the instrument: strategies that need it never start and `order` waits
for its whole timeout. Asked first, over a short-lived connection of its own through the adapter's instrument
provider, an unknown contract ends the command at once with IB's error text.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from nautilus_trader.model.identifiers import InstrumentId

from nautilus_node.ib.connection import GatewayNotAnswering, IBConnection
from nautilus_node.settings import GatewaySettings

CLIENT_ID_OFFSET = 900  # the check's connection must not take the node's client id
ANSWER_TIMEOUT_SECS = 20  # an unknown contract fails at once; this bounds a gateway that never answers
JOIN_POLL_SECS = 0.2


def check_contracts(gateway: GatewaySettings, instrument_ids: list[str]) -> None:
    """Raise `UnknownContract` (a one-line user error) naming the first instrument the gateway has no contract for,
    with IB's error. A gateway that does not complete the API start within the handshake timeout is left to
    the node's own start-up, which reports on it."""
    if not instrument_ids:
        return

    async def ask() -> None:
        async with contextlib.AsyncExitStack() as stack:
            try:
                ib = await stack.enter_async_context(
                    IBConnection(
                        gateway.host,
                        gateway.port,
                        gateway.client_id + CLIENT_ID_OFFSET,
                        connect_timeout=gateway.handshake_timeout_secs,
                        request_timeout=ANSWER_TIMEOUT_SECS,
                    )
                )
            except GatewayNotAnswering:
                return  # the API start did not complete in time: the node's own start-up reports on that
            for instrument_id in instrument_ids:
                await ib.instrument(InstrumentId.from_str(instrument_id))

    failures: list[BaseException] = []

    def work() -> None:
        try:
            asyncio.run(ask())
        except BaseException as exc:  # handed to the main thread
            failures.append(exc)

    # In a thread of its own: a stop signal interrupts the main thread's wait at once and the check is left
    # behind (the process is ending), instead of tearing its connection down halfway inside the event loop.
    worker = threading.Thread(target=work, name="contract-check", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(JOIN_POLL_SECS)
    if failures:
        raise failures[0]
