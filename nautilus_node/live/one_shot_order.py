"""One order, then stop: the strategy behind the `order` command.

On start it submits a single market or limit order and waits for the order to reach an outcome:

- FILLED, REJECTED (by the venue), DENIED (by NautilusTrader's risk checks, or an off-tick limit price that IB
  would refuse), CANCELED (e.g. an IOC/FOK that did not fill), EXPIRED: as the order's events report them;
- ACCEPTED (or PARTIALLY_FILLED): a DAY/GTC limit order the venue accepted that is still working
  `working_wait_secs` after its acceptance. It is left working at the venue, as an order placed by hand would;
- TIMEOUT: none of the above within `timeout_secs` of submission; a still-open order is then canceled.

The outcome is logged, written as JSON to `result_path` (when set) and the node is shut down
(`shutdown_system`). FILLED, ACCEPTED and PARTIALLY_FILLED count as success (`OrderOutcome.succeeded`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import msgspec
from nautilus_trader.config import PositiveFloat, StrategyConfig
from nautilus_trader.core.datetime import secs_to_nanos
from nautilus_trader.model.enums import OrderSide, OrderType, TimeInForce
from nautilus_trader.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.model.orders import Order
from nautilus_trader.trading.strategy import Strategy

from nautilus_node.ib.orders import DEFAULT_TIME_IN_FORCE
from nautilus_node.ib.orders import TimeInForce as TimeInForceName

SUCCESS = frozenset({"FILLED", "ACCEPTED", "PARTIALLY_FILLED"})
RESTING_TIFS = frozenset({TimeInForce.DAY, TimeInForce.GTC})
TIMEOUT_TIMER = "one-shot-timeout"
WORKING_TIMER = "one-shot-working"


class OneShotOrderConfig(StrategyConfig, frozen=True):
    """Parameters of `OneShotOrder`.

    instrument_id: what to trade, e.g. "SPY.ARCA" (it must be loaded by the node).
    side: "BUY" or "SELL".
    quantity: order quantity as text, e.g. "100"; its decimals must fit the instrument.
    limit_price: limit price as text for a limit order; none for a market order.
    time_in_force: DAY, GTC, IOC or FOK.
    working_wait_secs: how long an accepted DAY/GTC limit order may rest before it is reported as working.
    timeout_secs: how long to wait for any outcome after submission.
    result_path: where to write the outcome as JSON.
    """

    instrument_id: InstrumentId
    side: Literal["BUY", "SELL"]
    quantity: str
    limit_price: str | None = None
    time_in_force: TimeInForceName = DEFAULT_TIME_IN_FORCE
    working_wait_secs: PositiveFloat = 2.0
    timeout_secs: PositiveFloat = 30.0
    result_path: str | None = None


class OrderOutcome(msgspec.Struct, frozen=True):
    """How the one order ended; `line()` is the one-line report."""

    status: str
    order: str
    filled_qty: str = "0"
    avg_price: str | None = None
    commission: str | None = None
    venue_order_id: str | None = None
    reason: str | None = None
    working: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCESS

    def line(self) -> str:
        fill = f"filled {self.filled_qty}" + (f" @ {self.avg_price}" if self.avg_price else "")
        parts = [
            f"{self.status}  {self.order}",
            *(["working at the venue"] if self.working else []),
            fill,
            f"commission {self.commission or '0'}",
            f"venue order id {self.venue_order_id or '-'}",
        ]
        if self.reason:
            parts.append(f"reason: {self.reason}")
        return " | ".join(parts)


def describe_order(config: OneShotOrderConfig) -> str:
    """`BUY 100 SPY.ARCA LMT 580.00 DAY`: the order as a person would say it."""
    kind = f"LMT {config.limit_price}" if config.limit_price is not None else "MKT"
    return f"{config.side} {config.quantity} {config.instrument_id} {kind} {config.time_in_force}"


class OneShotOrder(Strategy):
    """Submits one order, reports its outcome and shuts the node down; see the module docstring."""

    def __init__(self, config: OneShotOrderConfig) -> None:
        super().__init__(config)
        self.order: Order | None = None
        self.outcome: OrderOutcome | None = None

    def on_start(self) -> None:
        """Check the order against the instrument, submit it and start the timeout."""
        config = self.config
        instrument = self.cache.instrument(config.instrument_id)
        if instrument is None:
            self._finish("DENIED", f"instrument {config.instrument_id} is not loaded")
            return
        price = Price.from_str(config.limit_price) if config.limit_price is not None else None
        if price is not None and price.as_decimal() % instrument.price_increment.as_decimal() != 0:
            tick = instrument.price_increment
            self._finish("DENIED", f"limit price {price} is not a multiple of the tick size {tick}")
            return
        side = OrderSide.BUY if config.side == "BUY" else OrderSide.SELL
        quantity = Quantity.from_str(config.quantity)
        tif = TimeInForce[config.time_in_force]
        if price is None:
            self.order = self.order_factory.market(config.instrument_id, side, quantity, tif)
        else:
            self.order = self.order_factory.limit(config.instrument_id, side, quantity, price, time_in_force=tif)
        self.clock.set_time_alert_ns(TIMEOUT_TIMER, self._in(config.timeout_secs), self._on_timeout)
        self.submit_order(self.order)

    def on_stop(self) -> None:
        """Leave the order as it is: a working DAY/GTC order stays at the venue (a timed-out one was canceled)."""

    def on_order_accepted(self, event: OrderAccepted) -> None:
        """A resting limit order gets `working_wait_secs` to fill before it is reported as working."""
        order = self.order
        if order.order_type == OrderType.LIMIT and order.time_in_force in RESTING_TIFS:
            self.clock.set_time_alert_ns(WORKING_TIMER, self._in(self.config.working_wait_secs), self._on_working)

    def on_order_filled(self, event: OrderFilled) -> None:
        """Done once the whole quantity has filled (partial fills keep waiting)."""
        if self.order.is_closed:
            self._finish("FILLED")

    def on_order_rejected(self, event: OrderRejected) -> None:
        self._finish("REJECTED", event.reason)

    def on_order_denied(self, event: OrderDenied) -> None:
        self._finish("DENIED", event.reason)

    def on_order_canceled(self, event: OrderCanceled) -> None:
        self._finish("CANCELED")

    def on_order_expired(self, event: OrderExpired) -> None:
        self._finish("EXPIRED")

    def _on_working(self, _event: object) -> None:
        if self.order.is_open:
            self._finish("PARTIALLY_FILLED" if self.order.filled_qty > 0 else "ACCEPTED", working=True)

    def _on_timeout(self, _event: object) -> None:
        status = self.order.status_string() if self.order is not None else "not submitted"
        if self.order is not None and self.order.is_open:
            self.cancel_order(self.order)
        self._finish("TIMEOUT", f"no outcome within {self.config.timeout_secs:g} s (order status {status})")

    def _in(self, seconds: float) -> int:
        return self.clock.timestamp_ns() + secs_to_nanos(seconds)

    def _finish(self, status: str, reason: str | None = None, working: bool = False) -> None:
        """Record the outcome once, report it and shut the node down."""
        if self.outcome is not None:
            return
        order = self.order
        filled = order is not None and order.filled_qty > 0
        commissions = order.commissions() if order is not None else []
        self.outcome = OrderOutcome(
            status=status,
            order=describe_order(self.config),
            filled_qty=str(order.filled_qty) if order is not None else "0",
            avg_price=format(order.avg_px, ".10g") if filled else None,
            commission=", ".join(str(c) for c in commissions) or None,
            venue_order_id=str(order.venue_order_id) if order is not None and order.venue_order_id else None,
            reason=reason,
            working=working,
        )
        self.log.info(self.outcome.line())
        if self.config.result_path is not None:
            Path(self.config.result_path).write_bytes(msgspec.json.encode(self.outcome))
        for name in (TIMEOUT_TIMER, WORKING_TIMER):
            if name in self.clock.timer_names:
                self.clock.cancel_timer(name)
        self.shutdown_system(f"one-shot order {status}")
