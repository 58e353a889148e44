"""Alerts that reach a person: through `apprise` (Slack, Telegram, Discord, e-mail, ntfy … by URL) and plain
JSON webhooks, never on the node's loop.

`Alerter.raise_alert` only appends to bounded queues and returns: each destination has its own worker thread
and queue, so one that fails or hangs delays neither the node nor the other destinations (a full queue drops
its oldest alert and counts it). Before that, an alert already sent with the same key and kind within
`dedup_secs` is suppressed, and beyond `rate_per_minute` alerts a minute the rest are suppressed too (counted).
A failed delivery is retried with exponential back-off, then logged and counted; a destination's URL, which
may hold a secret, is never logged or shown: destinations are named by kind and position (`apprise#1`).
"""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

import msgspec
from nautilus_trader.common.component import Logger

from nautilus_node.status.snapshot import AlertDestination, Alerting, AlertKind, AlertRecord


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    """One alert: `key` names the condition (e.g. `gateway_disconnected`); `kind` says whether it began or ended."""

    key: str
    kind: AlertKind
    title: str
    message: str
    at: str


class Destination(Protocol):
    name: str

    def deliver(self, alert: Alert) -> None:
        """Send `alert`; raise on failure."""


class AppriseDestination:
    """One apprise URL (any of its services)."""

    def __init__(self, name: str, url: str) -> None:
        import apprise

        self.name = name
        self._apprise = apprise.Apprise()
        if not self._apprise.add(url):
            raise ValueError(f"{name}: not a URL apprise knows (see apprise's list of services)")

    def deliver(self, alert: Alert) -> None:
        import apprise

        kind = apprise.NotifyType.SUCCESS if alert.kind == "recovered" else apprise.NotifyType.FAILURE
        if not self._apprise.notify(title=alert.title, body=alert.message, notify_type=kind):
            raise OSError("apprise could not deliver")


class WebhookDestination:
    """A plain JSON webhook: the alert POSTed as a JSON object."""

    def __init__(self, name: str, url: str, timeout_secs: float) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{name}: a webhook URL starts with http:// or https://")
        self.name = name
        self._url = url
        self._timeout = timeout_secs

    def deliver(self, alert: Alert) -> None:
        body = json.dumps(msgspec.to_builtins(alert)).encode()
        request = urllib.request.Request(self._url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=self._timeout) as response:
            response.read()


class DeliveryCounts(msgspec.Struct, kw_only=True):
    """One destination's alerts: sent, failed after every retry, dropped from a full queue."""

    sent: int = 0
    failed: int = 0
    dropped: int = 0


class _Worker:
    """One destination's queue and thread."""

    def __init__(self, destination: Destination, size: int, retries: int, backoff_secs: float) -> None:
        self.destination = destination
        self.counts = DeliveryCounts()
        self._queue: queue.Queue[Alert | None] = queue.Queue(size)
        self._retries = retries
        self._backoff = backoff_secs
        self._stopping = threading.Event()
        self._log = Logger("Alerts")
        self._thread = threading.Thread(target=self._run, name=f"alerts-{destination.name}", daemon=True)
        self._thread.start()

    def put(self, alert: Alert) -> None:
        while True:
            try:
                self._queue.put_nowait(alert)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.counts.dropped += 1
                except queue.Empty:
                    pass

    def stop(self) -> None:
        self._stopping.set()
        self.put(None)  # type: ignore[arg-type]
        self._thread.join(2)

    def _run(self) -> None:
        while (alert := self._queue.get()) is not None:
            self._deliver(alert)

    def _deliver(self, alert: Alert) -> None:
        for attempt in range(self._retries + 1):
            try:
                self.destination.deliver(alert)
                self.counts.sent += 1
                return
            except Exception as exc:  # a destination's failure is reported, never raised into the node
                reason = f"{type(exc).__name__}: {exc}"
            if attempt < self._retries and self._stopping.wait(self._backoff * 2**attempt):
                break
        self.counts.failed += 1
        self._log.warning(f"alert {alert.key} ({alert.kind}) not delivered to {self.destination.name}: {reason}")


class Alerter:
    """Deduplicates and rate-limits alerts, then hands each to every destination's worker."""

    def __init__(
        self,
        destinations: Iterable[Destination],
        dedup_secs: float = 300.0,
        rate_per_minute: int = 20,
        queue_size: int = 100,
        retries: int = 3,
        backoff_secs: float = 1.0,
        keep: int = 20,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._workers = [_Worker(d, queue_size, retries, backoff_secs) for d in destinations]
        self._dedup = dedup_secs
        self._rate = rate_per_minute
        self._monotonic = monotonic
        self._last_sent: dict[tuple[str, AlertKind], float] = {}
        self._window: deque[float] = deque()
        self.recent: deque[AlertRecord] = deque(maxlen=keep)
        self.raised = 0
        self.suppressed = 0
        self._lock = threading.Lock()

    @property
    def destinations(self) -> list[str]:
        return [worker.destination.name for worker in self._workers]

    def view(self) -> Alerting:
        """For the status: each destination's counts, alerts raised and suppressed, the recent ones."""
        return Alerting(
            destinations=[
                AlertDestination(
                    name=w.destination.name, sent=w.counts.sent, failed=w.counts.failed, dropped=w.counts.dropped
                )
                for w in self._workers
            ],
            raised=self.raised,
            suppressed=self.suppressed,
            recent=list(self.recent),
        )

    def raise_alert(self, alert: Alert) -> bool:
        """Queue `alert` for every destination unless a duplicate or over the rate; whether it was queued."""
        with self._lock:
            now = self._monotonic()
            self.raised += 1
            while self._window and now - self._window[0] >= 60.0:
                self._window.popleft()
            last = self._last_sent.get((alert.key, alert.kind))
            if (last is not None and now - last < self._dedup) or len(self._window) >= self._rate:
                self.suppressed += 1
                self.recent.append(AlertRecord(**msgspec.structs.asdict(alert), outcome="suppressed"))
                return False
            self._last_sent[(alert.key, alert.kind)] = now
            self._window.append(now)
            self.recent.append(AlertRecord(**msgspec.structs.asdict(alert), outcome="queued"))
        for worker in self._workers:
            worker.put(alert)
        return True

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()


def destinations(apprise_urls: Iterable[str], webhooks: Iterable[str], timeout_secs: float) -> list[Destination]:
    """The destinations for these URLs, named `apprise#N` and `webhook#N`."""
    result: list[Destination] = []
    result += [AppriseDestination(f"apprise#{i}", url) for i, url in enumerate(apprise_urls, 1)]
    result += [WebhookDestination(f"webhook#{i}", url, timeout_secs) for i, url in enumerate(webhooks, 1)]
    return result
