"""The resilient IB client's subscriptions: a subscription IB ended (10182, 10225, 322) or one silent beyond its
expected interval is cancelled and requested again under a new request id, by a liveness watchdog with back-off
and a bounded number of tries; after a farm's OK (2104/2106) its own subscriptions are. A mixin of
`resilient_client.ResilientInteractiveBrokersClient`."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from nautilus_trader.adapters.interactive_brokers.client.common import Subscription
from nautilus_trader.model.data import BarType

from nautilus_node.live.resilient_connection import HMDS_FARM_OK
from nautilus_node.status.feeds import market_open

RESUBSCRIBE_CODES = frozenset({10182, 10225, 322})


def subscription_kind(name: str | tuple) -> str:
    """`quotes`, `ticks` (tick-by-tick), `bars` (5-second real-time), `live_bars` (keepUpToDate) or `other`."""
    if isinstance(name, tuple):
        tag = name[1] if len(name) > 1 else ""
        return {"market_data": "quotes", "BidAsk": "ticks", "AllLast": "ticks"}.get(tag, "other")
    try:
        bar_type = BarType.from_str(name)
    except ValueError:
        return "other"
    return "bars" if bar_type.spec.timedelta.total_seconds() == 5 else "live_bars"


def subscription_label(name: str | tuple) -> str:
    """A subscription name as text: `EUR/USD.IDEALPRO market_data`, or the bar type."""
    return " ".join(str(part) for part in name) if isinstance(name, tuple) else str(name)


class SubscriptionsMixin:
    """Re-requesting subscriptions and the liveness watchdog (state set up in the client's `__init__`)."""

    def _handle_data_farm_ok(self, error_code: int) -> None:
        """After a break NautilusTrader re-issues every subscription without cancelling; here the farm's own
        subscriptions are cancelled, then requested again."""
        if self._data_farm_degraded_since_ns is None:
            return
        kinds = {"live_bars"} if error_code == HMDS_FARM_OK else {"quotes", "ticks", "bars", "live_bars"}
        chosen = [s for s in self._all_subscriptions() if subscription_kind(s.name) in kinds]
        self._data_farm_resubscription_task = self._create_task(self._resubscribe_after_farm(chosen, error_code))

    async def _resubscribe_after_farm(self, subscriptions: list[Subscription], code: int) -> None:
        try:
            await self._resubscribe(subscriptions, cancel_first=True, cause=str(code))
        finally:
            self._data_farm_degraded_since_ns = None

    async def _handle_subscription_error(self, req_id: int, error_code: int, error_string: str) -> None:
        """10182/10225/322 end one subscription: cancel it and request it again (10182 during a farm outage
        waits for the farm, as NautilusTrader does)."""
        subscription = self._subscriptions.get(req_id=req_id)
        farm_down = self._data_farm_degraded_since_ns is not None
        if subscription is None or error_code not in RESUBSCRIBE_CODES or (error_code == 10182 and farm_down):
            await super()._handle_subscription_error(req_id, error_code, error_string)
            return
        self._log.warning(f"{error_code} on {subscription.name}: cancelling and requesting it again")
        await self._resubscribe([subscription], cancel_first=True, cause=str(error_code))

    def _all_subscriptions(self) -> list[Subscription]:
        return [s for s in self._subscriptions.get_all() if subscription_kind(s.name) != "other"]

    async def _resubscribe(self, subscriptions: list[Subscription], *, cancel_first: bool, cause: str) -> None:
        now = self._clock.timestamp_ns()
        for subscription in subscriptions:
            self._liveness.recovering(subscription_label(subscription.name), cause, now)
            try:
                await self._request_again(subscription, cancel_first)
            except Exception as exc:
                self._log.exception(f"Failed to request {subscription.name} again", exc)

    async def _request_again(self, subscription: Subscription, cancel_first: bool) -> None:
        """Cancel (on a live session) and request again under a new request id (IB answers 322 to a reused
        live id); keepUpToDate bars take a new id through NautilusTrader's own re-subscription."""
        if cancel_first and self._eclient.isConnected():
            subscription.cancel()
        if subscription_kind(subscription.name) == "live_bars":
            await _call(subscription.handle)
            return
        handle, cancel = subscription.handle, subscription.cancel
        if not (isinstance(handle, functools.partial) and isinstance(cancel, functools.partial)):
            await _call(handle)
            return
        self._subscriptions.remove(req_id=subscription.req_id)
        self._subscription_tick_data.pop(subscription.req_id, None)
        req_id = self._next_req_id()
        renewed = self._subscriptions.add(
            req_id=req_id,
            name=subscription.name,
            handle=functools.partial(handle.func, req_id, *handle.args[1:], **handle.keywords),
            cancel=functools.partial(cancel.func, req_id, *cancel.args[1:], **cancel.keywords),
        )
        if renewed is not None:
            await _call(renewed.handle)

    async def _subscribe(self, name: str | tuple, *args: Any, **kwargs: Any) -> Subscription:
        """NautilusTrader's subscribe, with the new subscription put under the liveness watchdog."""
        subscription = await super()._subscribe(name, *args, **kwargs)
        self._watch(name)
        return subscription

    async def _unsubscribe(self, name: str | tuple, *args: Any, **kwargs: Any) -> None:
        await super()._unsubscribe(name, *args, **kwargs)
        self._liveness.forget(subscription_label(name))

    def _watch(self, name: str | tuple) -> None:
        kind = subscription_kind(name)
        if kind == "other":
            return
        liveness = self.policy.liveness
        if kind in ("bars", "live_bars"):
            expected = BarType.from_str(str(name)).spec.timedelta.total_seconds() + liveness.bar_grace_secs
        else:
            expected = liveness.quote_silence_secs
        self._liveness.track(subscription_label(name), kind, expected, self._clock.timestamp_ns())

    def _note_data(self, now_ns: int) -> None:
        """Mark live every subscription that sent data since the last check (the request ids collected, per
        message, by one C-level set insertion in the overrides below)."""
        arrived, self._data_req_ids = self._data_req_ids, set()
        for req_id in arrived:
            name = self._req_names.get(req_id)
            if name is None:
                subscription = self._subscriptions.get(req_id=req_id)
                if subscription is None:
                    continue
                name = self._req_names[req_id] = subscription_label(subscription.name)
            self._liveness.seen(name, now_ns)

    def process_tick_price(self, **kwargs: Any) -> Coroutine[Any, Any, None]:
        self._data_req_ids.add(kwargs["req_id"])
        return super().process_tick_price(**kwargs)

    def process_tick_by_tick_bid_ask(self, **kwargs: Any) -> Coroutine[Any, Any, None]:
        self._data_req_ids.add(kwargs["req_id"])
        return super().process_tick_by_tick_bid_ask(**kwargs)

    def process_tick_by_tick_all_last(self, **kwargs: Any) -> Coroutine[Any, Any, None]:
        self._data_req_ids.add(kwargs["req_id"])
        return super().process_tick_by_tick_all_last(**kwargs)

    def process_realtime_bar(self, **kwargs: Any) -> Coroutine[Any, Any, None]:
        self._data_req_ids.add(kwargs["req_id"])
        return super().process_realtime_bar(**kwargs)

    def process_historical_data_update(self, **kwargs: Any) -> Coroutine[Any, Any, None]:
        self._data_req_ids.add(kwargs["req_id"])
        return super().process_historical_data_update(**kwargs)

    def _start(self) -> None:
        super()._start()
        self._watchdog_task = self._loop.create_task(self._run_liveness_watchdog(), name="liveness-watchdog")

    def _stop(self) -> None:
        if self._watchdog_task is not None:
            self._watchdog_task.cancel()
        super()._stop()

    async def _run_liveness_watchdog(self) -> None:
        while True:
            await asyncio.sleep(self.policy.watchdog_interval_secs)
            try:
                await self._check_liveness()
            except Exception as exc:
                self._log.exception("Liveness check failed", exc)

    async def _check_liveness(self) -> None:
        """Re-request the subscriptions silent too long, while they could flow at all."""
        now = self._clock.timestamp_ns()
        self._note_data(now)
        can_flow = (
            self.is_ready
            and self._data_farm_degraded_since_ns is None
            and market_open(self.policy.market_hours, datetime.fromtimestamp(now / 1e9, tz=UTC))
        )
        if not can_flow:
            self._liveness.pause(now)
            return
        due = set(self._liveness.due(now))
        if not due:
            return
        chosen = [s for s in self._all_subscriptions() if subscription_label(s.name) in due]
        for subscription in chosen:
            self._log.warning(f"{subscription.name} silent beyond its expected interval: requesting it again")
            try:
                await self._request_again(subscription, cancel_first=True)
            except Exception as exc:
                self._log.exception(f"Failed to request {subscription.name} again", exc)


async def _call(handle: Callable[[], Any]) -> None:
    result = handle()
    if asyncio.iscoroutine(result):
        await result
