"""The node's own risk limits, beside NautilusTrader's `RiskEngineConfig` ones (rates, notional per order).

Before the risk engine: each new order is checked against the maximum open orders and the maximum position per
instrument (what it would make the position if it and every working order on its side filled); a refused order
is denied by the risk engine's own mechanism, an `OrderDenied` naming the limit. After the fact, in event
handlers (a position event, a quote for an instrument held), the position per instrument and the day's loss (realized
plus unrealized PnL against where it stood when the day began, the day in `day_time_zone`) are checked; a
breach halts or reduces through the kill switch, once, and is reported to `on_breach`. No polling: the checks
run on the events that change what they measure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec
from nautilus_trader.execution.messages import SubmitOrder
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.orders import Order
from nautilus_trader.system.kernel import NautilusKernel

from nautilus_node.nautilus_internals import deny_order, gate_risk_engine
from nautilus_node.status.kill_switch import KillSwitch
from nautilus_node.status.snapshot import LimitUse

BreachAction = Literal["halt", "reduce", "flatten"]


class Breach(msgspec.Struct, frozen=True, kw_only=True):
    """A limit crossed: which, by how much, and what the node did."""

    name: str
    instrument_id: str | None
    limit: float
    value: float
    action: BreachAction
    message: str


class NodeLimits(msgspec.Struct, frozen=True, kw_only=True):
    """The node's limits (`None`/empty: not set)."""

    max_position: dict[str, float] = {}
    max_daily_loss: float | None = None
    max_open_orders: int | None = None
    on_breach: BreachAction = "halt"
    day_time_zone: str = "America/New_York"

    @property
    def any(self) -> bool:
        return bool(self.max_position) or self.max_daily_loss is not None or self.max_open_orders is not None


class LimitGuard:
    """Checks the node's limits before orders reach the risk engine and on the events that move them."""

    def __init__(
        self,
        kernel: NautilusKernel,
        limits: NodeLimits,
        switch: KillSwitch,
        on_breach: Callable[[Breach], None] | None = None,
    ) -> None:
        self._kernel = kernel
        self._limits = limits
        self._switch = switch
        self._on_breach = on_breach
        self._max_position = {InstrumentId.from_str(k): Decimal(str(v)) for k, v in limits.max_position.items()}
        self._zone = ZoneInfo(limits.day_time_zone)
        self._day_ends_ns = 0
        self._day_start_pnl = 0.0
        self._pnl: dict[InstrumentId, float] = {}  # total PnL (realized + unrealized) per instrument, last seen
        self._ungate: Callable[[], None] | None = None
        self._breached: set[tuple[str, str | None]] = set()

    # -- before the risk engine ------------------------------------------------------------------------------

    def attach(self) -> None:
        """Gate new orders (when an order limit is set) and start the day."""
        if self._limits.max_open_orders is not None or self._max_position:
            kernel = self._kernel
            self._ungate = gate_risk_engine(kernel.msgbus, kernel.risk_engine, self._gate)

    def detach(self) -> None:
        if self._ungate is not None:
            self._ungate()
            self._ungate = None

    def _gate(self, command: object) -> None:
        if isinstance(command, SubmitOrder) and (reason := self.refusal(command.order)) is not None:
            deny_order(self._kernel.risk_engine, command.order, reason)
            return
        self._kernel.risk_engine.execute(command)

    def refusal(self, order: Order) -> str | None:
        """Why the node's limits refuse this new order, or `None`."""
        if order.is_reduce_only:
            return None
        cache = self._kernel.cache
        max_open = self._limits.max_open_orders
        if max_open is not None:
            working = len(cache.orders_open()) + len(cache.orders_inflight())
            if working >= max_open:
                return f"max_open_orders {max_open} reached ({working} working)"
        limit = self._max_position.get(order.instrument_id)
        if limit is not None:
            net = self._net(order.instrument_id)
            side = order.side
            pending = sum(
                (o.leaves_qty.as_decimal() for o in cache.orders_open(instrument_id=order.instrument_id, side=side)),
                Decimal(0),
            )
            extra = pending + order.quantity.as_decimal()
            projected = net + extra if side == OrderSide.BUY else net - extra
            if abs(projected) > limit and abs(projected) > abs(net):
                return f"max_position {float(limit):g} for {order.instrument_id}: the order could make it {projected}"
        return None

    # -- on events -------------------------------------------------------------------------------------------

    def on_position(self, instrument_id: InstrumentId, ts_ns: int) -> None:
        """After a position opened, changed or closed: the position limit and the day's loss."""
        limit = self._max_position.get(instrument_id)
        if limit is not None:
            net = self._net(instrument_id)
            if abs(net) > limit:
                self._breach("max_position", str(instrument_id), float(limit), float(abs(net)))
        if self._limits.max_daily_loss is not None:
            self._check_loss(instrument_id, ts_ns)

    def on_quote(self, quote: QuoteTick) -> None:
        """After a quote for an instrument held: the day's loss."""
        if self._limits.max_daily_loss is not None and quote.instrument_id in self._pnl:
            self._check_loss(quote.instrument_id, quote.ts_init)

    def _check_loss(self, instrument_id: InstrumentId, ts_ns: int) -> None:
        if ts_ns >= self._day_ends_ns:
            self._start_day(ts_ns)
        money = self._kernel.portfolio.total_pnl(instrument_id)
        self._pnl[instrument_id] = money.as_double() if money is not None else 0.0
        loss = self.daily_loss()
        limit = self._limits.max_daily_loss
        assert limit is not None
        if loss > limit:
            self._breach("max_daily_loss", None, limit, loss)

    def _start_day(self, ts_ns: int) -> None:
        moment = datetime.fromtimestamp(ts_ns / 1e9, tz=self._zone)
        midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), tzinfo=self._zone)
        self._day_ends_ns = int(midnight.timestamp() * 1e9)
        self._day_start_pnl = sum(self._pnl.values())
        self._breached.discard(("max_daily_loss", None))

    def daily_loss(self) -> float:
        """The day's loss so far (positive: lost), realized plus unrealized."""
        return round(self._day_start_pnl - sum(self._pnl.values()), 2)

    def _net(self, instrument_id: InstrumentId) -> Decimal:
        return Decimal(str(self._kernel.portfolio.net_position(instrument_id)))

    def _breach(self, name: str, instrument_id: str | None, limit: float, value: float) -> None:
        key = (name, instrument_id)
        if key in self._breached:
            return
        self._breached.add(key)
        action = self._limits.on_breach
        where = f" for {instrument_id}" if instrument_id else ""
        message = f"{name}{where} breached: {value:g} over the limit {limit:g}"
        if self._switch.halt_in_force is None:
            self._switch.halt(
                by=f"limit {name}",
                reason=message,
                flatten=action == "flatten",
                state="REDUCING" if action == "reduce" else "HALTED",
            )
        breach = Breach(
            name=name, instrument_id=instrument_id, limit=limit, value=value, action=action, message=message
        )
        if self._on_breach is not None:
            self._on_breach(breach)

    def resumed(self) -> None:
        """After a resume: a limit still crossed breaches again on its next event."""
        self._breached.clear()

    # -- for the status --------------------------------------------------------------------------------------

    def uses(self) -> list[LimitUse]:
        result = []
        for instrument_id, limit in self._max_position.items():
            used = float(abs(self._net(instrument_id)))
            result.append(_use("max_position", str(instrument_id), float(limit), used))
        if self._limits.max_daily_loss is not None:
            result.append(_use("max_daily_loss", None, self._limits.max_daily_loss, max(self.daily_loss(), 0.0)))
        if self._limits.max_open_orders is not None:
            cache = self._kernel.cache
            working = len(cache.orders_open()) + len(cache.orders_inflight())
            result.append(_use("max_open_orders", None, float(self._limits.max_open_orders), float(working)))
        return result


def _use(name: str, instrument_id: str | None, limit: float, used: float) -> LimitUse:
    percent = round(100 * used / limit, 1) if limit else 0.0
    return LimitUse(
        name=name, instrument_id=instrument_id, limit=limit, used=used, percent=percent, breached=used > limit
    )
