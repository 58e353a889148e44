"""A short-lived connection to IB Gateway (or TWS) for one-off requests, through NautilusTrader's IB adapter.

Contracts, historical bars and historical ticks, one request per call. The adapter's client answers a failed
request with an empty list; this connection also keeps the IB errors that arrived for each request, so a refused
request (e.g. error 162, or 200 for an unknown contract) fails at once with IB's text instead of passing for a
request without data after the adapter's timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import pandas as pd
from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.adapters.interactive_brokers.common import IBContract
from nautilus_trader.adapters.interactive_brokers.config import InteractiveBrokersInstrumentProviderConfig
from nautilus_trader.adapters.interactive_brokers.providers import InteractiveBrokersInstrumentProvider
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.model.data import Bar, BarType, QuoteTick, TradeTick
from nautilus_trader.model.identifiers import InstrumentId, TraderId
from nautilus_trader.model.instruments import Instrument

from nautilus_node.errors import UserError
from nautilus_node.nautilus_internals import observe_ib_errors, stop_observing_ib_errors

# IB answers "no data for this period" with error 162 and this text; it is an empty result, not a failure.
NO_DATA = "HMDS query returned no data"
# IB's answer for a kind of data a contract does not have (e.g. TRADES for FX).
NO_HISTORICAL_DATA = "No historical market data"
INFO_CODES = frozenset({2104, 2106, 2107, 2108, 2158})


class IBRequestError(UserError, RuntimeError):
    """A one-off request IB refused or never answered; the message is one line naming the request."""


class GatewayNotAnswering(IBRequestError):
    """The gateway did not complete the API start within the connection's timeout."""


class UnknownContract(IBRequestError):
    """IB has no contract for an instrument id."""


@dataclass(frozen=True)
class IBErrorMessage:
    """One error IB sent in answer to a request."""

    req_id: int
    code: int
    message: str


class RequestErrors:
    """The errors an IB client receives in answer to requests (not general messages, not info codes), so a
    request IB refused can end at once: `until_answered` races a request against them."""

    def __init__(self, client: InteractiveBrokersClient) -> None:
        self.client = client
        self.seen: list[IBErrorMessage] = []
        self._arrived = asyncio.Event()
        observe_ib_errors(client, self._record)

    def _record(self, code: int, message: str, req_id: int) -> None:
        if req_id != -1 and code not in INFO_CODES:
            self.seen.append(IBErrorMessage(req_id, code, message))
            self._arrived.set()

    def stop(self) -> None:
        """Stop observing the client's errors."""
        stop_observing_ib_errors(self.client)

    async def until_answered[T](
        self, call: Awaitable[T], timeout: float
    ) -> tuple[asyncio.Future[T], list[IBErrorMessage]]:
        """Run `call` until it completes, an IB error arrives or `timeout` passes; the request's future (cancelled
        unless done) and the errors that arrived meanwhile."""
        seen = len(self.seen)
        self._arrived.clear()
        request = asyncio.ensure_future(call)
        arrived = asyncio.ensure_future(self._arrived.wait())
        await asyncio.wait({request, arrived}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        arrived.cancel()
        return request, self.seen[seen:]

    def last_error_text(self) -> str:
        return f" (IB error {self.seen[-1].code}: {self.seen[-1].message})" if self.seen else ""


async def load_instrument(
    provider: InteractiveBrokersInstrumentProvider, errors: RequestErrors, instrument_id: InstrumentId, timeout: float
) -> Instrument:
    """The instrument as the adapter's provider builds it from IB's contract details; a contract IB does not know
    (error 200) raises `UnknownContract` at once instead of after the adapter's own request timeout."""
    load, refused = await errors.until_answered(provider.load_ids_with_return_async([instrument_id]), timeout)
    if not load.done() or load.exception() is not None or instrument_id not in (load.result() or []):
        load.cancel()
        if refused:
            raise UnknownContract(f"IB does not know {instrument_id}: error {refused[0].code} {refused[0].message!r}")
        raise UnknownContract(f"IB has no contract for {instrument_id}{errors.last_error_text()}")
    return provider.find(instrument_id)


class IBConnection:
    """A connection to IB Gateway (or TWS) for one-off requests; use `async with`."""

    def __init__(
        self, host: str, port: int, client_id: int, connect_timeout: float = 20.0, request_timeout: int = 60
    ) -> None:
        self.host, self.port = host, port
        self._connect_timeout = connect_timeout
        self._request_timeout = request_timeout
        clock = LiveClock()
        msgbus = MessageBus(TraderId("REQUESTS-001"), clock)
        self._cache = Cache()
        self._client = InteractiveBrokersClient(
            loop=asyncio.get_running_loop(),
            msgbus=msgbus,
            cache=self._cache,
            clock=clock,
            host=host,
            port=port,
            client_id=client_id,
        )
        self._errors = RequestErrors(self._client)
        self._provider = InteractiveBrokersInstrumentProvider(
            self._client, clock, InteractiveBrokersInstrumentProviderConfig()
        )
        self._contracts: dict[InstrumentId, IBContract] = {}

    async def __aenter__(self) -> IBConnection:
        self._client.start()
        try:
            await self._client.wait_until_ready(self._connect_timeout)
        except TimeoutError:
            await self.__aexit__(None, None, None)
            raise GatewayNotAnswering(
                f"IB Gateway at {self.host}:{self.port} did not answer within {self._connect_timeout:.0f}s"
            ) from None
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._client.stop()
        await asyncio.sleep(0)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if others:
            await asyncio.wait(others, timeout=5)

    async def instrument(self, instrument_id: InstrumentId) -> Instrument:
        """The instrument for `instrument_id` from IB's contract details (see `load_instrument`)."""
        instrument = await load_instrument(self._provider, self._errors, instrument_id, self._request_timeout)
        self._contracts[instrument_id] = self._provider.contract_details[instrument_id].contract
        self._cache.add_instrument(instrument)  # the adapter looks instruments up there to build ticks
        return instrument

    async def bars(self, bar_type: BarType, end: pd.Timestamp, duration: str) -> list[Bar]:
        """One reqHistoricalData: bars of `bar_type` for `duration` ending at `end` (all hours)."""
        contract = self._contracts[bar_type.instrument_id]
        return await self._answer(
            self._client.get_historical_bars(
                bar_type, contract, False, end, duration, timeout=self._request_timeout + 5
            ),
            f"{bar_type} ending {end}",
        )

    async def ticks(self, instrument_id: InstrumentId, what: str, start: pd.Timestamp) -> list[QuoteTick | TradeTick]:
        """One reqHistoricalTicks: up to 1000 `what` ticks (TRADES or BID_ASK) from `start` on (all hours)."""
        contract = self._contracts[instrument_id]
        return await self._answer(
            self._client.get_historical_ticks(
                instrument_id,
                contract,
                what,
                start_date_time=start,
                use_rth=False,
                timeout=self._request_timeout + 5,
            ),
            f"{instrument_id} {what} ticks from {start}",
        )

    async def _answer(self, call: Coroutine[Any, Any, list | None], description: str) -> list:
        """The result of one adapter request, or an `IBRequestError` for the IB error that refused it.

        The adapter leaves a refused request waiting for its timeout, so an IB error ends the wait here.
        """
        request, arrived = await self._errors.until_answered(call, self._request_timeout)
        failures = [e for e in arrived if NO_DATA not in e.message]
        if failures:
            request.cancel()
            e = failures[0]
            raise IBRequestError(f"IB error {e.code} for {description}: {e.message}")
        if not request.done():
            request.cancel()
            if arrived:
                return []
            raise IBRequestError(f"no answer from IB within {self._request_timeout}s for {description}")
        return [] if request.cancelled() else request.result() or []


def with_connection[T](
    host: str, port: int, client_id: int, connect_timeout: float, work: Callable[[IBConnection], Awaitable[T]]
) -> T:
    """Connect to IB Gateway, run `work` with the connection, disconnect; blocking."""

    async def run() -> T:
        asyncio.get_running_loop().set_exception_handler(_quiet_about_cancelled_tasks)
        async with IBConnection(host, port, client_id, connect_timeout=connect_timeout) as ib:
            return await work(ib)

    return asyncio.run(run())


def _quiet_about_cancelled_tasks(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """NautilusTrader's IB client reads `task.exception()` in each task's done callback, which raises for a task
    cancelled at disconnect (its reconnect wait when the gateway never answered): not an error worth a traceback."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)
