"""Stop signals during start-up: SIGINT/SIGTERM (and a deadline) become an exception in the main thread.

NautilusTrader's `build()` blocks in the main thread and ignores SIGTERM while the gateway never answers;
creating a `TradingNode` swaps the process's signal handlers, and importing NautilusTrader starts threads.
`StartupInterrupts` keeps a stop signal from being lost or killing the process at any point of that sequence:
stop signals are held while NautilusTrader is imported and the node created (threads started then inherit the
hold, so no other thread can take a signal), then delivered to the main thread once our handlers are back.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A stop signal or the start-up deadline arrived while start-up was blocking.

    A `KeyboardInterrupt` because the event loop NautilusTrader blocks in (uvloop) lets only that and
    `SystemExit` out of its callbacks: any other exception raised by a signal handler would be logged and lost.
    """


class StartupInterrupts:
    """While active, a stop signal or the armed deadline raises `Interrupted` wherever the main thread is."""

    def __init__(self) -> None:
        self._deadline_secs = 0.0
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StartupInterrupts:
        self._previous = {sig: signal.getsignal(sig) for sig in (*STOP_SIGNALS, signal.SIGALRM)}
        self._install()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    def arm_deadline(self, secs: float) -> None:
        """Raise `Interrupted` if start-up has not finished `secs` from now."""
        self._deadline_secs = secs
        signal.setitimer(signal.ITIMER_REAL, secs)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold stop signals while other code starts threads or swaps handlers; then take the handlers back and
        deliver what came meanwhile."""
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            yield
        finally:
            self._install()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def _install(self) -> None:
        for sig in (*STOP_SIGNALS, signal.SIGALRM):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGALRM:
            raise Interrupted(f"start-up did not finish within {self._deadline_secs:g} s")
        raise Interrupted(f"received {signal.Signals(signum).name}")
