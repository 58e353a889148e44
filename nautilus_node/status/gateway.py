"""The IB Gateway connection, read from the adapter's shared `InteractiveBrokersClient`.

NautilusTrader's IB factories cache one client per (host, port, client id); the data and execution clients
share it. The monitor reads its API session and observes the error/info codes it processes, through
`nautilus_node.nautilus_internals` (the adapter itself is unchanged; each code is recorded, then handed on).
Codes are observed from before the factories cache the client, so the farm codes IB sends while the
connection is made (2104, 2106, 2158) are seen too.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.common.enums import ComponentState

from nautilus_node.nautilus_internals import (
    cached_ib_client,
    ib_api_session,
    ib_client_address,
    observe_every_ib_clients_errors,
)
from nautilus_node.status.snapshot import CodeEvent, FarmCondition, Gateway, GatewayState, iso

MAX_CODES = 30
CONNECTIVITY_CODES = frozenset({326, 1100, 1101, 1102, 1300, 2103, 2104, 2105, 2106, 2107, 2108, 2110, 2157, 2158})
_FARM_CODES: dict[int, tuple[str, FarmCondition]] = {
    2103: ("md", "broken"),
    2104: ("md", "ok"),
    2105: ("hmds", "broken"),
    2106: ("hmds", "ok"),
    2157: ("secdef", "broken"),
    2158: ("secdef", "ok"),
}
_STOPPED = frozenset({ComponentState.STOPPED, ComponentState.DISPOSED, ComponentState.DISPOSING})


class GatewayMonitor:
    """Connection state, with the time it last changed, and the IB codes seen, for one gateway."""

    def __init__(self, host: str | None, port: int | None, client_id: int | None, now_ns: Callable[[], int]):
        self._host, self._port, self._client_id = host, port, client_id
        self._now_ns = now_ns
        self._client: InteractiveBrokersClient | None = None
        self._state: GatewayState = "disconnected"
        self._since_ns: int | None = None
        self._ever_connected = False
        self._reconnects = 0
        self._stop_watching: Callable[[], None] | None = None
        self._server_version: int | None = None
        self._connection_time: str | None = None
        self._codes: deque[CodeEvent] = deque(maxlen=MAX_CODES)
        self._farms: dict[str, tuple[FarmCondition, CodeEvent]] = {}

    @property
    def client(self) -> InteractiveBrokersClient | None:
        """The adapter's client once it exists."""
        return self._client

    @property
    def ever_connected(self) -> bool:
        """Whether the gateway has been seen connected since the node started."""
        return self._ever_connected

    def watch(self) -> None:
        """Record this monitor's client's codes from now on, before the node even creates the client."""
        if self._stop_watching is None:
            self._stop_watching = observe_every_ib_clients_errors(self._observe)

    def attach(self) -> bool:
        """Find the adapter's shared client once the node has built it (to read its API session)."""
        if self._client is not None:
            return True
        client = cached_ib_client(self._host, self._port, self._client_id)
        if client is None:
            return False
        self._client = client
        self._host, self._port, self._client_id = ib_client_address(client)
        return True

    def detach(self) -> None:
        """Stop observing codes and reading the client."""
        if self._stop_watching is not None:
            self._stop_watching()
            self._stop_watching = None
        self._client = None

    def _observe(self, client: InteractiveBrokersClient, code: int, message: str, req_id: int) -> None:
        if self._is_mine(client):
            self.record_code(code, message, req_id)

    def _is_mine(self, client: InteractiveBrokersClient) -> bool:
        if self._client is not None:
            return client is self._client
        if self._host is None and self._port is None:  # the only client, whichever it is
            return True
        return ib_client_address(client) == (self._host, self._port, self._client_id)

    def record_code(self, code: int, message: str, req_id: int) -> None:
        """Record an IB code as received: connectivity and farm codes always, others only when general."""
        if req_id != -1 and code not in CONNECTIVITY_CODES:
            return
        event = CodeEvent(code=code, at=iso(self._now_ns()), message=str(message).replace("\n", " "), req_id=req_id)
        self._codes.append(event)
        if code in _FARM_CODES:
            farm, condition = _FARM_CODES[code]
            self._farms[farm] = (condition, event)

    def farm_outage(self, farm: str) -> str | None:
        """A description of the outstanding outage of farm "md" (market data) or "hmds", if any."""
        entry = self._farms.get(farm)
        if entry is None or entry[0] != "broken":
            return None
        event = entry[1]
        what = "market data" if farm == "md" else "historical data"
        return f"{what} farm broken (IB {event.code} at {event.at})"

    def poll(self) -> Gateway:
        """Read the client's connection state now and describe the gateway."""
        self.attach()
        was_connected = self._ever_connected
        state = self._read_state()
        if state == "connected" and self._state != "connected" and was_connected:
            self._reconnects += 1
        if state != self._state or self._since_ns is None:
            self._state, self._since_ns = state, self._now_ns()
        return Gateway(
            host=self._host,
            port=self._port,
            client_id=self._client_id,
            state=self._state,
            since=iso(self._since_ns),
            server_version=self._server_version if self._state == "connected" else None,
            connection_time=self._connection_time if self._state == "connected" else None,
            market_data_farm=self._farm_condition("md"),
            historical_data_farm=self._farm_condition("hmds"),
            codes=list(self._codes),
            security_definition_farm=self._farm_condition("secdef"),
            reconnects=self._reconnects,
        )

    def _farm_condition(self, farm: str) -> FarmCondition | None:
        entry = self._farms.get(farm)
        return entry[0] if entry else None

    def _read_state(self) -> GatewayState:
        client = self._client
        if client is None:
            return "disconnected"
        session = ib_api_session(client)
        if session is not None:
            self._ever_connected = True
            self._server_version, self._connection_time = session
            return "connected"
        if self._ever_connected and client.state not in _STOPPED:
            return "reconnecting"
        return "disconnected"
