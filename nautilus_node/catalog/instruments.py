"""Instrument definitions in the catalog: defined offline (`definitions`) or fetched from IB Gateway through
NautilusTrader's IB instrument provider."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from nautilus_trader.model.instruments import Instrument

from nautilus_node.catalog import FETCH_CLIENT_ID, definitions
from nautilus_node.catalog.importer import checked_instrument_id
from nautilus_node.catalog.store import write_atomically
from nautilus_node.ib.accounts import DEFAULT_PORT


def define_instruments(catalog_dir: Path, sources: list[str], **stated: str | None) -> list[str]:
    """Define the instruments named by `sources` (ids, or TOML files of definitions) in the catalog; the facts
    in `stated` (tick, multiplier, expiry, …) apply to the ids. Returns one line per instrument."""
    wanted: list[definitions.InstrumentDefinition] = []
    given = {k: v for k, v in stated.items() if v is not None}
    for source in sources:
        if source.endswith(".toml"):
            wanted += definitions.read_file(Path(source))
        else:
            checked_instrument_id(source, catalog_dir, where="instrument")
            wanted.append(definitions.InstrumentDefinition(id=source, **given))
    defined = [definitions.define(d) for d in wanted]
    write_atomically(catalog_dir, [d.instrument for d in defined])
    return [definitions.describe(d) for d in defined]


def fetch_instruments(
    catalog_dir: Path,
    instrument_ids: list[str],
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    client_id: int = FETCH_CLIENT_ID,
    connect_timeout: float = 20.0,
    sim: bool = False,
) -> list[str]:
    """Ask IB Gateway (or, with `sim`, a simulated gateway started here) for each id's contract through the
    adapter's instrument provider and write what IB says; one line per instrument."""
    from nautilus_node.ib.connection import IBConnection, with_connection

    ids = [checked_instrument_id(i, catalog_dir, where="instrument") for i in instrument_ids]

    async def fetch(ib: IBConnection) -> list[Instrument]:
        return [await ib.instrument(iid) for iid in ids]

    with _gateway(sim, host, port) as (gateway_host, gateway_port):
        found = with_connection(gateway_host, gateway_port, client_id, connect_timeout, fetch)
    write_atomically(catalog_dir, found)
    return [f"fetched {i.id} as {type(i).__name__} from IB (tick {i.price_increment})" for i in found]


@contextlib.contextmanager
def _gateway(sim: bool, host: str, port: int) -> Iterator[tuple[str, int]]:
    if not sim:
        yield host, port
        return
    from nautilus_node.simgateway import SimulatedGateway

    with SimulatedGateway(host="127.0.0.1", port=0) as simulated:
        yield "127.0.0.1", simulated.port
