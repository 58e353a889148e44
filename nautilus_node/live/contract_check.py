"""Ask the gateway for every instrument's contract on the node's own session, before the node runs.

NautilusTrader's IB adapter answers a contract the gateway does not know (error 200) by waiting out its request
timeout, and the node then runs without the instrument: strategies that need it never start and `order` waits
for its whole timeout. So once `TradingNode.build()` has connected the node's IB client, each instrument is
loaded through the node's own instrument provider (the one its data and execution clients share) and an unknown
contract ends the command at once with IB's error text. The instruments the check loads stay in the provider,
so the clients' own start-up finds them there and asks IB nothing again.
"""

from __future__ import annotations

import asyncio

from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.adapters.interactive_brokers.providers import InteractiveBrokersInstrumentProvider
from nautilus_trader.model.identifiers import InstrumentId

from nautilus_node.ib.connection import RequestErrors, load_instrument
from nautilus_node.nautilus_internals import cached_ib_client, cached_ib_instrument_provider
from nautilus_node.settings import GatewaySettings

ANSWER_TIMEOUT_SECS = 20  # an unknown contract fails at once; this bounds a gateway that never answers


async def check_contracts(
    client: InteractiveBrokersClient,
    provider: InteractiveBrokersInstrumentProvider,
    instrument_ids: list[str],
    ready_timeout_secs: float,
) -> None:
    """Load each instrument through `provider`; raise `UnknownContract` (a one-line user error) naming the first
    one the gateway has no contract for, with IB's error. A client whose API session is not ready within
    `ready_timeout_secs` is left to the node's own start-up, which reports on it."""
    if not instrument_ids:
        return
    try:
        await client.wait_until_ready(ready_timeout_secs)
    except TimeoutError:
        return
    errors = RequestErrors(client)
    try:
        for instrument_id in instrument_ids:
            await load_instrument(provider, errors, InstrumentId.from_str(instrument_id), ANSWER_TIMEOUT_SECS)
    finally:
        errors.stop()


def check_node_contracts(loop: asyncio.AbstractEventLoop, gateway: GatewaySettings, instrument_ids: list[str]) -> None:
    """`check_contracts` on the IB client and instrument provider a built (not yet running) node made for
    `gateway`, run on the node's event loop."""
    client = cached_ib_client(gateway.host, gateway.port, gateway.client_id)
    provider = cached_ib_instrument_provider(client) if client is not None else None
    if client is None or provider is None:
        return  # no IB client was built: the node's own start-up reports on that
    loop.run_until_complete(check_contracts(client, provider, instrument_ids, gateway.handshake_timeout_secs))
