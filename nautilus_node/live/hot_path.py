"""The resilient IB client's hot path: its reader on the event loop, fault isolation and session liveness.

A mixin of `ResilientInteractiveBrokersClient` (before NautilusTrader's `InteractiveBrokersClient` in its
bases), overriding the members of NautilusTrader 1.231's client that read, decode and dispatch messages:

- `_start_tws_incoming_msg_reader` / `_run_internal_msg_queue_processor`: with `inline_reader` on (the
  default) the socket is read on the loop (`wire_reader.py`) and frames are decoded in wire order, the hot ones
  inline (`inline_decoder.py`), instead of a worker thread per read and per decode. Off, NautilusTrader's own
  reader and queue run, with the fault isolation below.
- `_process_message` (NautilusTrader's reader): a message that fails to decode is skipped, not the end of its
  task. `_run_msg_handler_processor`: a handler that raises is logged in one line and counted.
- `submit_to_msg_handler_queue`: from the loop a wrapper callback's handler is queued at once (NautilusTrader
  schedules a task on the loop for each), from a worker thread with one `call_soon_threadsafe`; wire order kept.
- `sendMsg`: the request framed and written, without building NautilusTrader's debug line for each;
  `logRequest` and the wrapper's `logAnswer` likewise (NautilusTrader formats every request, a placeOrder's
  contract and order included, and every message handled into a debug line, logged or not), unless the node
  logs at DEBUG; `next_order_id`: the `reqIds` NautilusTrader sends with every order goes
  after the order, not before it.

Session liveness (`_check_session`, every watchdog tick): a session whose reader or message pump ended, or
that processes nothing in answer to a `reqCurrentTime` sent when subscriptions stay silent after their
re-requests, is ended: the connected flag is cleared, NautilusTrader's connection watchdog reconnects, and
status stops saying connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from dataclasses import dataclass
from typing import Any

from ibapi import comm

from nautilus_node.live.inline_decoder import MessagePump
from nautilus_node.live.message_guard import FrameError, MessageGuard, split_message_id
from nautilus_node.live.wire_reader import WireReader

# NautilusTrader's members the mixin overrides or uses; tests/resilience/test_nautilus_hooks.py checks them.
HOT_PATH_OVERRIDES = (
    "_start_tws_incoming_msg_reader",
    "_run_internal_msg_queue_processor",
    "_run_msg_handler_processor",
    "_process_message",
    "submit_to_msg_handler_queue",
    "next_order_id",
    "sendMsg",
    "logRequest",
)
HOT_PATH_ATTRIBUTES = (
    "_tws_incoming_msg_reader_task",
    "_internal_msg_queue_processor_task",
    "_msg_handler_processor_task",
    "_msg_handler_task_queue",
    "_internal_msg_queue",
)
HOT_PATH_METHODS = ("_use_raw_int_msg_id", "_is_executor_shutdown_error")
WRAPPER_OVERRIDES = ("logAnswer",)  # of NautilusTrader's InteractiveBrokersEWrapper


def _no_answer_log(fn_name: str, fn_params: dict[str, Any]) -> None:
    """NautilusTrader's wrapper would format `fn_params` into a debug line the node does not log."""


@dataclass(frozen=True, slots=True)
class HotPathStatus:
    """What status shows of the hot path: the reader in use, skipped messages, sessions ended for a fault."""

    reader: str  # "inline" (ours, on the loop) or "nautilus" (NautilusTrader's own)
    skipped_messages: int
    skipped_by_id: dict[int, int]
    handler_failures: int
    reconciliations: int
    last_skipped: str | None
    sessions_ended: int
    last_session_ended: str | None
    backlog: int


class HotPathMixin:
    """Overrides of NautilusTrader's IB client; see the module docstring. `_init_hot_path` sets it up."""

    policy: Any
    _log: Any
    _loop: asyncio.AbstractEventLoop
    _eclient: Any
    _clock: Any
    _is_ib_connected: asyncio.Event
    _next_valid_order_id: int

    def _init_hot_path(self) -> None:
        self._guard = MessageGuard(self._log, self._order_event_lost)
        self._pump: MessagePump | None = None
        self._wire_reader: WireReader | None = None
        self._messages_seen = 0  # NautilusTrader's reader: messages given to `_process_message`
        self._handled = 0
        self._handlers_idle = False
        self._handler_in_flight: asyncio.Task | None = None
        self._session_probe: tuple[int, int, int] | None = None  # (processed, handled, deadline ns)
        self._sessions_ended = 0
        self._last_session_ended: str | None = None
        self._reconcile_task: asyncio.Task | None = None
        self._reconcile_again = False
        if not self.policy.log_messages:
            self._eclient.wrapper.logAnswer = _no_answer_log

    def hot_path_status(self) -> HotPathStatus:
        counts = self._guard.counts
        return HotPathStatus(
            reader="inline" if self.policy.inline_reader else "nautilus",
            skipped_messages=counts.total,
            skipped_by_id=dict(counts.by_id),
            handler_failures=counts.handler_failures,
            reconciliations=counts.reconciliations,
            last_skipped=counts.last,
            sessions_ended=self._sessions_ended,
            last_session_ended=self._last_session_ended,
            backlog=self._pump.backlog
            if self.policy.inline_reader and self._pump
            else self._internal_msg_queue.qsize(),
        )

    # -- the reader on the loop ----------------------------------------------------------------------------

    def _start_tws_incoming_msg_reader(self) -> None:
        if not self.policy.inline_reader:
            super()._start_tws_incoming_msg_reader()
            return
        if self._tws_incoming_msg_reader_task:
            self._tws_incoming_msg_reader_task.cancel()
        if self._wire_reader is not None:
            self._wire_reader.close("replaced")
        self._pump = MessagePump(self._eclient.decoder, self._eclient.serverVersion(), self._guard)
        self._wire_reader = WireReader(self._eclient.conn.socket, self._loop, self._pump.feed)
        self._wire_reader.start()
        self._tws_incoming_msg_reader_task = self._create_task(self._run_wire_reader(self._wire_reader))

    async def _run_wire_reader(self, reader: WireReader) -> None:
        """Waits for the reader to end (its work is in its callback); cancelled, it ends quietly as
        NautilusTrader's tasks do (its done callback reads the task's exception)."""
        try:
            reason = await asyncio.shield(reader.finished)
        except asyncio.CancelledError:
            return
        finally:
            reader.close("stopped")
        if not self._is_message_processing_stopping():
            self._end_session(f"reader ended: {reason}")

    async def _run_internal_msg_queue_processor(self) -> None:
        if not self.policy.inline_reader or self._pump is None:
            await super()._run_internal_msg_queue_processor()
            return
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump.run()

    def submit_to_msg_handler_queue(self, task: Any) -> None:
        if not self.policy.inline_reader:
            super().submit_to_msg_handler_queue(task)
        elif asyncio._get_running_loop() is not self._loop:
            self._loop.call_soon_threadsafe(self._msg_handler_task_queue.put_nowait, task)
        elif self._handlers_idle and self._msg_handler_task_queue.empty() and self._handler_in_flight is None:
            self._run_handler_now(task)
        else:
            self._msg_handler_task_queue.put_nowait(task)

    def _run_handler_now(self, handler: Any) -> None:
        """Nothing queued before it: start the handler at once (an eager task: done here unless it awaits; if it
        does, the handler loop lets it finish before the next one). Tasks it creates start eagerly too, so an
        order a strategy submits in reaction is written before the next frame is decoded, not after."""
        loop = self._loop
        factory = loop.get_task_factory()
        loop.set_task_factory(asyncio.eager_task_factory)
        try:
            running = asyncio.Task(handler(), loop=loop, eager_start=True)
        finally:
            loop.set_task_factory(factory)
        if running.done():
            self._handler_finished(handler, running)
        else:
            self._handler_in_flight = running
            running.add_done_callback(functools.partial(self._in_flight_done, handler))

    def _in_flight_done(self, handler: Any, running: asyncio.Task) -> None:
        self._handler_in_flight = None
        self._handler_finished(handler, running)

    def next_order_id(self) -> int:
        """NautilusTrader's next order id. Its `reqIds` (which keeps the id in step with IB's; NautilusTrader takes
        the larger of the two) is written just after the order it numbers instead of before it."""
        if not self.policy.inline_reader:
            return super().next_order_id()
        order_id = self._next_valid_order_id
        self._next_valid_order_id += 1
        self._loop.call_soon_threadsafe(self._eclient.reqIds, -1)
        return order_id

    def sendMsg(self, msgId: int, msg: Any) -> None:
        self._eclient.conn.sendMsg(comm.make_msg(msgId, self._use_raw_int_msg_id(), msg))

    def logRequest(self, fnName: str, fnParams: dict[str, Any]) -> None:
        if self.policy.log_messages:
            super().logRequest(fnName, fnParams)

    # -- fault isolation -----------------------------------------------------------------------------------

    async def _process_message(self, msg: bytes) -> bool:
        """NautilusTrader's, with a message that fails to decode (or has an id ibapi does not know) skipped
        instead of ending the queue task, and a frame that cannot be a TWS message ending the session."""
        self._messages_seen += 1
        try:
            msg_id, body, protobuf = split_message_id(msg, self._eclient.serverVersion() or 0)
        except FrameError as exc:
            self._end_session(f"stream out of step: {exc}")
            return False
        decoder = self._eclient.decoder
        if msg_id not in (decoder.msgId2handleInfoProtoBuf if protobuf else decoder.msgId2handleInfo):
            self._guard.skipped(msg_id, body, "unknown message id")
            return True
        try:
            return await super()._process_message(msg)
        except RuntimeError as exc:
            if self._is_executor_shutdown_error(exc):
                raise
            self._guard.decode_failed(msg_id, body, exc)
        except Exception as exc:
            self._guard.decode_failed(msg_id, body, exc)
        return True

    async def _run_msg_handler_processor(self) -> None:
        """NautilusTrader's handler loop, one at a time in order, a failing handler counted and logged in one line."""
        with contextlib.suppress(asyncio.CancelledError):
            await self._handle_in_order(self._msg_handler_task_queue)

    async def _handle_in_order(self, queue: asyncio.Queue) -> None:
        while True:
            self._handlers_idle = True
            handler = await queue.get()
            self._handlers_idle = False
            if (running := self._handler_in_flight) is not None:
                await asyncio.wait([running])
            try:
                await handler()
            except Exception as exc:
                self._guard.handler_failed(handler, exc)
            self._handled += 1
            queue.task_done()

    def _handler_finished(self, handler: Any, running: asyncio.Task) -> None:
        self._handled += 1
        if not running.cancelled() and (exc := running.exception()) is not None:
            self._guard.handler_failed(handler, exc)

    def _order_event_lost(self) -> None:
        """A skipped message may have been an order's or a fill's (called from the loop or a decoder thread)."""
        self._loop.call_soon_threadsafe(self._reconcile_soon)

    def _reconcile_soon(self) -> None:
        if self._reconcile_task is not None and not self._reconcile_task.done():
            self._reconcile_again = True
            return
        self._reconcile_task = self._create_task(self._reconcile_after_skip())

    async def _reconcile_after_skip(self) -> None:
        """Executions and open orders again, at once (once more if another order message was skipped meanwhile)."""
        while self.is_ready:
            self._reconcile_again = False
            await self._reconcile(since_ns=self._clock.timestamp_ns())
            if not self._reconcile_again:
                return

    # -- session liveness ----------------------------------------------------------------------------------

    def _check_session(self, now_ns: int) -> None:
        """End a session whose reader or message pumps stopped, or that answered a probe with nothing."""
        if not self._is_ib_connected.is_set() or self._is_message_processing_stopping():
            self._session_probe = None
            return
        tasks = {
            "reader": self._tws_incoming_msg_reader_task,
            "message pump": self._internal_msg_queue_processor_task,
            "handler pump": self._msg_handler_processor_task,
        }
        for name, task in tasks.items():
            if task is not None and task.done():
                self._end_session(f"the {name} task ended")
                return
        probe = self._session_probe
        if probe is None or now_ns < probe[2]:
            return
        self._session_probe = None
        processed, handled, _ = probe
        handlers_stuck = self._msg_handler_task_queue.qsize() > 0 and self._handled == handled
        if self._messages_processed() == processed or handlers_stuck:
            self._end_session(f"nothing processed within {self.policy.session_probe_secs} s of reqCurrentTime")

    def _probe_session(self, now_ns: int) -> None:
        """Subscriptions stay silent after a re-request: ask the gateway's time; `_check_session` judges."""
        if self._session_probe is not None or not self._eclient.isConnected():
            return
        deadline = now_ns + int(self.policy.session_probe_secs * 1e9)
        self._session_probe = (self._messages_processed(), self._handled, deadline)
        self._eclient.reqCurrentTime()

    def _messages_processed(self) -> int:
        if self.policy.inline_reader and self._pump is not None:
            return self._pump.processed
        return self._messages_seen

    def _end_session(self, reason: str) -> None:
        """Clear the connected flag: NautilusTrader's connection watchdog then resets and reconnects."""
        if not self._is_ib_connected.is_set():
            return
        self._sessions_ended += 1
        self._last_session_ended = reason
        self._log.warning(f"Ending the IB session to reconnect: {reason}")
        if self._wire_reader is not None:
            self._wire_reader.close(reason)
        self._is_ib_connected.clear()
