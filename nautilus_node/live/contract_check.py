"""Ask the gateway for every instrument's contract before the node is built.

NautilusTrader's IB adapter answers a contract the gateway does not know (error 200) by waiting out its request
timeout, and the node then runs without the instrument: strategies that need it never start and `order` waits
for its whole timeout. Asked first, over a short-lived connection of its own through the adapter's instrument
provider, an unknown contract ends the command at once with IB's error text.
"""

from __future__ import annotations

import asyncio

from nautilus_trader.model.identifiers import InstrumentId

from nautilus_node.catalog.download import DownloadError
from nautilus_node.catalog.ib_history import IBHistory
from nautilus_node.errors import UserError
from nautilus_node.settings import GatewaySettings

CLIENT_ID_OFFSET = 900  # the check's connection must not take the node's client id
ANSWER_TIMEOUT_SECS = 20  # an unknown contract fails at once; this bounds a gateway that never answers


class UnknownContract(UserError):
    """The gateway does not know one of the instruments to trade."""


def check_contracts(gateway: GatewaySettings, instrument_ids: list[str]) -> None:
    """Raise `UnknownContract` naming the first instrument the gateway has no contract for, with IB's error."""
    if not instrument_ids:
        return

    async def ask() -> None:
        client_id = gateway.client_id + CLIENT_ID_OFFSET
        async with IBHistory(
            gateway.host,
            gateway.port,
            client_id,
            connect_timeout=gateway.handshake_timeout_secs + 10,
            request_timeout=ANSWER_TIMEOUT_SECS,
        ) as ib:
            for instrument_id in instrument_ids:
                await ib.instrument(InstrumentId.from_str(instrument_id))

    try:
        asyncio.run(ask())
    except DownloadError as exc:
        raise UnknownContract(str(exc)) from None
