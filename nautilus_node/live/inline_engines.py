"""NautilusTrader's live engines answered on the loop at once when nothing waits in their queues.

NautilusTrader 1.231's live data, risk and execution engines put every message on an `asyncio.Queue` through a
`ThrottledEnqueuer` (itself a `call_soon_threadsafe`), and a task per queue takes it off: a quote reaches a
strategy two loop turns after the adapter produced it, and its order crosses two more engines the same way,
each turn behind whatever else the loop has ready (the rest of a burst of ticks, timers). Installed on a node's
engines, each enqueuer handles a message at once, as the engine's own queue task would, when it is called on
the engine's loop, the engine is running and nothing is ahead of it (queue empty, no put still scheduled);
otherwise it queues as NautilusTrader does, so the order of messages is kept. Handling at once is what
NautilusTrader's backtest engines do: a strategy's order is executed while its quote is being handled. An
exception goes to the engine's own queue-exception handler, as it would from the queue task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

# (engine attribute on the kernel, its enqueuer attribute, the method its queue task hands each message to)
INLINE_QUEUES = (
    ("data_engine", "_data_enqueuer", "_handle_data", "Data"),
    ("risk_engine", "_cmd_enqueuer", "_execute_command", "command"),
    ("risk_engine", "_evt_enqueuer", "_handle_event", "event"),
    ("exec_engine", "_cmd_enqueuer", "_execute_command", "command"),
    ("exec_engine", "_evt_enqueuer", "_handle_event_with_tracking", "event"),
)


class InlineEnqueue:
    """Replaces one `ThrottledEnqueuer.enqueue`: handle now when nothing is ahead, else queue in order."""

    def __init__(self, engine: Any, enqueuer: Any, handle: Callable[[Any], None], kind: str) -> None:
        self._engine = engine
        self._enqueuer = enqueuer
        self._queue: asyncio.Queue = enqueuer._queue
        self._loop: asyncio.AbstractEventLoop = enqueuer._loop
        self._queue_later = enqueuer.enqueue  # NautilusTrader's own: for calls from other threads
        self._handle = handle
        self._kind = kind
        self._scheduled = 0  # puts scheduled on the loop, not yet in the queue
        self.handled_at_once = 0

    def __call__(self, msg: Any) -> None:
        if asyncio._get_running_loop() is not self._loop:
            self._queue_later(msg)
        elif self._nothing_ahead() and self._engine.is_running:
            self.handled_at_once += 1
            try:
                self._handle(msg)
            except Exception as exc:
                self._engine._handle_queue_exception(exc, self._kind)
        else:
            self._scheduled += 1
            self._loop.call_soon(self._put, msg)

    def _nothing_ahead(self) -> bool:
        return not self._scheduled and self._queue.empty() and not self._enqueuer._pending_tasks

    def _put(self, msg: Any) -> None:
        self._scheduled -= 1
        self._enqueuer._enqueue_nowait_safely(self._queue, msg)


def install_inline_engines(kernel: Any) -> list[InlineEnqueue]:
    """Install `InlineEnqueue` on the kernel's live engines' hot queues; the installed enqueuers."""
    installed = []
    for engine_name, enqueuer_name, handler_name, kind in INLINE_QUEUES:
        engine = getattr(kernel, engine_name)
        enqueuer = getattr(engine, enqueuer_name)
        inline = InlineEnqueue(engine, enqueuer, getattr(engine, handler_name), kind)
        enqueuer.enqueue = inline
        installed.append(inline)
    return installed
