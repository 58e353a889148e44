"""IB's official client wired to record every callback, and the contracts the tests use."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ibapi.client import EClient
from ibapi.contract import Contract
from ibapi.wrapper import EWrapper

from nautilus_node.simgateway import SimulatedGateway


def _recording_wrapper() -> type[EWrapper]:
    """An EWrapper whose every callback appends ``(name, args)`` to ``self.calls``."""

    def make(name: str) -> Callable:
        def record(self, *args):
            with self.cond:
                self.calls.append((name, args))
                self.cond.notify_all()

        return record

    names = [n for n in dir(EWrapper) if not n.startswith("_") and callable(getattr(EWrapper, n))]
    namespace = {n: make(n) for n in names if n not in ("logAnswer",)}
    return type("RecordingWrapper", (EWrapper,), namespace)


RecordingWrapper = _recording_wrapper()


class IBApp:
    """IB's official ``EClient`` on a reader thread, with every callback recorded for assertions."""

    def __init__(self) -> None:
        self.wrapper = RecordingWrapper()
        self.wrapper.calls = []
        self.wrapper.cond = threading.Condition()
        self.client = EClient(self.wrapper)
        self._thread: threading.Thread | None = None

    def connect(self, port: int, client_id: int = 1, wait: bool = True) -> IBApp:
        self.client.connect("127.0.0.1", port, client_id)
        return self.connect_started(wait)

    def connect_started(self, wait: bool = False) -> IBApp:
        """Run the message loop of a client whose ``connect`` already returned."""
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if wait:
            self.wait_for("nextValidId")
        return self

    def _run(self) -> None:
        """ibapi's message loop. A message dequeued just after `disconnect()` makes it compare the server
        version that disconnecting cleared (`None >= int`): ibapi's race, ignored once disconnected."""
        try:
            self.client.run()
        except TypeError:
            if self.client.isConnected():
                raise

    def disconnect(self) -> None:
        self.client.disconnect()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def calls(self) -> list[tuple[str, tuple]]:
        with self.wrapper.cond:
            return list(self.wrapper.calls)

    def of(self, name: str) -> list[tuple]:
        return [args for n, args in self.calls if n == name]

    def errors(self, code: int | None = None) -> list[tuple]:
        return [a for a in self.of("error") if code is None or a[2] == code]

    def wait_for(
        self, name: str, predicate: Callable[[tuple], bool] = lambda a: True, timeout: float = 10.0, count: int = 1
    ) -> list[tuple]:
        """Block until ``count`` ``name`` callbacks match ``predicate``; returns them."""
        deadline = time.monotonic() + timeout
        with self.wrapper.cond:
            while True:
                found = [a for n, a in self.wrapper.calls if n == name and predicate(a)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = sorted({n for n, _ in self.wrapper.calls})
                    raise AssertionError(f"no {count} x {name} within {timeout}s; callbacks seen: {seen}")
                self.wrapper.cond.wait(remaining)

    def wait_error(self, code: int, req_id: int | None = None, timeout: float = 10.0) -> tuple:
        return self.wait_for("error", lambda a: a[2] == code and (req_id is None or a[0] == req_id), timeout=timeout)[0]


def spy() -> Contract:
    c = Contract()
    c.symbol, c.secType, c.exchange, c.primaryExchange, c.currency = "SPY", "STK", "SMART", "ARCA", "USD"
    return c


def eurusd() -> Contract:
    c = Contract()
    c.symbol, c.secType, c.exchange, c.currency = "EUR", "CASH", "IDEALPRO", "USD"
    return c


def es_front(gateway: SimulatedGateway) -> Contract:
    spec = next(s for s in gateway.universe if s.sec_type == "FUT")
    c = Contract()
    c.symbol, c.secType, c.exchange, c.currency = "ES", "FUT", "CME", "USD"
    c.lastTradeDateOrContractMonth = spec.last_trade_date
    return c
