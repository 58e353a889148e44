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
from nautilus_trader.common.component import Clock
from nautilus_trader.execution.messages import SubmitOrder, SubmitOrderList
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.orders import Order
from nautilus_trader.system.kernel import NautilusKernel

from nautilus_node.nautilus_internals import deny_order, gate_risk_engine
from nautilus_node.status.kill_switch import KillSwitch
from nautilus_node.status.snapshot import LimitUse

BreachAction = Literal["halt", "reduce", "flatten"]
DAY_TIMER = "risk-limits-day"
LIMIT_HALT_PREFIX = "limit "  # who halted, when a limit did: "limit max_daily_loss"


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


class _Held:
    """A position as of its last event (NautilusTrader's total PnL then, at which mark price) and its PnL at
    the latest quote; its own quote handler, subscribed while the position is open."""

    __slots__ = ("exposure", "guard", "long", "mark", "now", "pnl")

    def __init__(self, guard: LimitGuard, long: bool, exposure: float, pnl: float, mark: float) -> None:
        self.guard = guard
        self.long = long
        self.exposure = exposure  # signed quantity x multiplier: PnL per unit of price
        self.pnl = pnl
        self.mark = mark
        self.now = pnl

    def on_quote(self, quote: QuoteTick) -> None:
        """The day's loss from the move since the position's last event: a few float operations per quote,
        the full check only on a breach."""
        price = quote.bid_price if self.long else quote.ask_price
        pnl = self.pnl + self.exposure * (price.as_double() - self.mark)
        guard = self.guard
        guard.total_pnl += pnl - self.now
        self.now = pnl
        if guard.day_start_pnl - guard.total_pnl > guard.max_loss:
            guard.check_loss()


class LimitGuard:
    """Checks the node's limits before orders reach the risk engine and on the events that move them."""

    def __init__(
        self,
        kernel: NautilusKernel,
        clock: Clock,
        limits: NodeLimits,
        switch: KillSwitch,
        on_breach: Callable[[Breach], None] | None = None,
    ) -> None:
        self._kernel = kernel
        self._clock = clock
        self._limits = limits
        self._switch = switch
        self._on_breach = on_breach
        self._max_position = {InstrumentId.from_str(k): Decimal(str(v)) for k, v in limits.max_position.items()}
        self._zone = ZoneInfo(limits.day_time_zone)
        self.day_start_pnl = 0.0
        self._pnl: dict[InstrumentId, float] = {}  # total PnL (realized + unrealized) per instrument, last seen
        self._held: dict[InstrumentId, _Held] = {}
        self.total_pnl = 0.0
        self.max_loss = limits.max_daily_loss if limits.max_daily_loss is not None else float("inf")
        self._ungate: Callable[[], None] | None = None
        self._breached: set[tuple[str, str | None]] = set()

    # -- before the risk engine ------------------------------------------------------------------------------

    def attach(self) -> None:
        """Gate new orders (when an order limit is set) and start the day."""
        if self._limits.max_daily_loss is not None:
            self._start_day()
        if self._limits.max_open_orders is not None or self._max_position:
            kernel = self._kernel
            self._ungate = gate_risk_engine(kernel.msgbus, kernel.risk_engine, self._gate)

    def detach(self) -> None:
        for instrument_id, held in self._held.items():
            topic = f"data.quotes.{instrument_id.venue}.{instrument_id.symbol}"
            self._kernel.msgbus.unsubscribe(topic=topic, handler=held.on_quote)
        self._held.clear()
        if DAY_TIMER in self._clock.timer_names:
            self._clock.cancel_timer(DAY_TIMER)
        if self._ungate is not None:
            self._ungate()
            self._ungate = None

    def _gate(self, command: object) -> None:
        engine = self._kernel.risk_engine
        if isinstance(command, SubmitOrder) and (reason := self.refusal(command.order)) is not None:
            deny_order(engine, command.order, reason)
            return
        if isinstance(command, SubmitOrderList):
            # The list's entries (no parent) are checked; its contingent orders (a bracket's exits) are not.
            entries = [order for order in command.order_list.orders if order.parent_order_id is None]
            reason = next((r for order in entries if (r := self.refusal(order)) is not None), None)
            if reason is not None:
                for order in command.order_list.orders:
                    deny_order(engine, order, reason)
                return
        engine.execute(command)

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

    def on_position(self, instrument_id: InstrumentId) -> None:
        """After a position opened, changed or closed: the position limit and the day's loss."""
        limit = self._max_position.get(instrument_id)
        if limit is not None:
            net = self._net(instrument_id)
            if abs(net) > limit:
                self._breach("max_position", str(instrument_id), float(limit), float(abs(net)))
        if self._limits.max_daily_loss is not None:
            self._mark_position(instrument_id)
            self.check_loss()

    def _mark_position(self, instrument_id: InstrumentId) -> None:
        """NautilusTrader's total PnL for the instrument now, and what each tick moves it by from here."""
        portfolio, cache = self._kernel.portfolio, self._kernel.cache
        money = portfolio.total_pnl(instrument_id)
        pnl = money.as_double() if money is not None else 0.0
        self._pnl[instrument_id] = pnl
        self.total_pnl = sum(self._pnl.values())
        net = float(portfolio.net_position(instrument_id))
        quote = cache.quote_tick(instrument_id)
        instrument = cache.instrument(instrument_id)
        topic = f"data.quotes.{instrument_id.venue}.{instrument_id.symbol}"
        previous = self._held.pop(instrument_id, None)
        if previous is not None:
            self._kernel.msgbus.unsubscribe(topic=topic, handler=previous.on_quote)
        if net == 0 or quote is None or instrument is None:
            return
        mark = quote.bid_price.as_double() if net > 0 else quote.ask_price.as_double()
        held = _Held(self, long=net > 0, exposure=net * instrument.multiplier.as_double(), pnl=pnl, mark=mark)
        self._held[instrument_id] = held
        self._kernel.msgbus.subscribe(topic=topic, handler=held.on_quote)

    def check_loss(self) -> None:
        """Breach when the day's loss is past the limit."""
        loss = self.day_start_pnl - self.total_pnl
        if loss > self.max_loss:
            self._breach("max_daily_loss", None, self.max_loss, round(loss, 2))

    def _start_day(self, _event: object = None) -> None:
        """The day's loss counts from here; the next day starts at midnight in `day_time_zone` (a time alert)."""
        moment = datetime.fromtimestamp(self._clock.timestamp_ns() / 1e9, tz=self._zone)
        midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), tzinfo=self._zone)
        self._clock.set_time_alert_ns(DAY_TIMER, int(midnight.timestamp() * 1e9), self._start_day)
        self.day_start_pnl = self.total_pnl
        self._breached.discard(("max_daily_loss", None))

    def daily_loss(self) -> float:
        """The day's loss so far (positive: lost), realized plus unrealized."""
        for instrument_id, held in self._held.items():
            self._pnl[instrument_id] = held.now
        return round(self.day_start_pnl - self.total_pnl, 2)

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
                by=f"{LIMIT_HALT_PREFIX}{name}",
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
