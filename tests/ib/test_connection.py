"""`ib.connection`: the short-lived API connection for one-off requests, through NautilusTrader's real IB adapter
over a real socket to the simulated gateway."""

from __future__ import annotations

import asyncio
import socket
import time

import pandas as pd
import pytest
from nautilus_trader.model.data import BarType
from nautilus_trader.model.identifiers import InstrumentId

from nautilus_node.catalog.download import DownloadError
from nautilus_node.ib.connection import GatewayNotAnswering, IBConnection, IBRequestError, UnknownContract
from nautilus_node.simgateway import SimulatedGateway

pytestmark = pytest.mark.e2e

EURUSD = InstrumentId.from_str("EUR/USD.IDEALPRO")
END = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=10)).floor("D")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_connection(port: int, work, connect_timeout: float = 10.0):
    async def run():
        async with IBConnection("127.0.0.1", port, client_id=61, connect_timeout=connect_timeout) as ib:
            return await work(ib)

    return asyncio.run(run())


@pytest.fixture(scope="module")
def gateway():
    with SimulatedGateway(port=0) as simulated:
        yield simulated


def test_a_known_contract_is_the_adapters_instrument_and_its_bars_come_back(gateway: SimulatedGateway) -> None:
    async def work(ib: IBConnection):
        instrument = await ib.instrument(EURUSD)
        bars = await ib.bars(BarType.from_str("EUR/USD.IDEALPRO-1-HOUR-MID-EXTERNAL"), END, "1 D")
        return instrument, bars

    instrument, bars = _with_connection(gateway.port, work)
    assert instrument.id == EURUSD and str(instrument.price_increment) == "0.00005"
    assert len(bars) == 24 and bars[-1].ts_event <= END.value


def test_an_unknown_contract_is_refused_at_once_with_ibs_error(gateway: SimulatedGateway) -> None:
    started = time.monotonic()
    with pytest.raises(UnknownContract, match=r"^IB does not know ZZZZ\.NASDAQ: error 200 'No security definition"):
        _with_connection(gateway.port, lambda ib: ib.instrument(InstrumentId.from_str("ZZZZ.NASDAQ")))
    assert time.monotonic() - started < 10  # not the adapter's 60-second wait


def test_a_refused_request_is_the_connections_own_error_not_a_catalog_one(gateway: SimulatedGateway) -> None:
    async def work(ib: IBConnection):
        await ib.instrument(EURUSD)
        return await ib.ticks(EURUSD, "TRADES", END - pd.Timedelta(hours=1))  # IB has no trades for FX

    with pytest.raises(IBRequestError, match="No historical market data") as error:
        _with_connection(gateway.port, work)
    assert not isinstance(error.value, DownloadError)


def test_no_gateway_at_the_port_is_gateway_not_answering_within_the_connect_timeout() -> None:
    port = _closed_port()
    started = time.monotonic()
    with pytest.raises(GatewayNotAnswering, match=rf"^IB Gateway at 127\.0\.0\.1:{port} did not answer within 2s$"):
        _with_connection(port, lambda ib: ib.instrument(EURUSD), connect_timeout=2)
    assert time.monotonic() - started < 10
