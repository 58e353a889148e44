"""Matching working orders against the quote: market, limit, stop and trailing stop orders, IOC and FOK, fills
whole or against the displayed size, and what each fill books. Part of `broker.Broker`, which holds the lock.

A stop triggers when the touch (the ask for a buy, the bid for a sell; the midpoint with trigger method 8)
reaches its stop price. A trailing stop's stop follows that same price at its trailing amount (or percent of
the price) and never moves back; once triggered a TRAIL works as a market order, a TRAIL LIMIT as a limit
order priced its limit offset beyond the stop."""

from __future__ import annotations

import copy
import dataclasses
import threading
from decimal import Decimal

from nautilus_node.ib import fees
from nautilus_node.ib.orders import (
    IMMEDIATE,
    LIMIT_PRICED,
    MARKET,
    STOP,
    STOP_LIMIT,
    STOP_TRIGGERED,
    TRAIL,
    TRAIL_LIMIT,
    TRAILING,
)
from nautilus_node.simgateway.account import Execution, _Book, commission_value
from nautilus_node.simgateway.contracts import ContractSpec
from nautilus_node.simgateway.market import Quote
from nautilus_node.simgateway.order_book import MIDPOINT_TRIGGER, Event, Fill, Order

_LIMITED = LIMIT_PRICED | {TRAIL_LIMIT}  # fill at a limit price or better once working (or triggered)
_TRIGGERED_AT_TOUCH = frozenset({STOP, TRAIL})  # market orders once triggered
_LIMIT_ONCE_TRIGGERED = frozenset({STOP_LIMIT, TRAIL_LIMIT})


class MatchingMixin:
    """Fills for the orders of `Broker` as quotes arrive."""

    account: str
    partial_fills: bool
    time_zone: str
    _book: _Book
    _lock: threading.RLock
    _marks: dict[int, float]
    _quotes: dict[int, Quote]
    _commissions: fees.OrderCommissions
    _exec_prefix: str
    _exec_seq: int

    def on_quote(self, spec: ContractSpec, quote: Quote, now: float) -> list[Event]:
        """Expire due GTD orders, then check working orders in ``spec`` against a new quote."""
        with self._lock:
            self._marks[spec.con_id] = quote.mid
            self._quotes[spec.con_id] = quote
            events = self.expire(now) + self.check_conditions(now)
            for order in list(self._book.orders.values()):
                if order.status != "Submitted":
                    continue
                combo = order.request.combo
                if combo is None and order.request.spec.con_id == spec.con_id:
                    events += self._try_fill(order, quote, now, incoming=False)
                elif combo is not None and spec.con_id in combo.con_ids:
                    combo_quote = combo.quote(self._quotes)
                    if combo_quote is not None:
                        events += self._try_fill(order, combo_quote, now, incoming=False)
            return events

    def _try_fill(self, order: Order, quote: Quote, now: float, *, incoming: bool) -> list[Event]:
        req = order.request
        hours = self._hours(req)
        if hours is not None and not hours.is_open(now):
            # outside its hours an order does not fill: IOC/FOK are cancelled, the others wait for the session
            return self._cancel(order) if req.tif in IMMEDIATE and incoming else []
        if req.combo is None:
            self._marks[req.spec.con_id] = quote.mid
        if req.order_type in STOP_TRIGGERED and not order.triggered:
            assert req.aux_price is not None
            order.triggered = _touched(order, quote, req.aux_price)
        elif req.order_type in TRAILING and not order.triggered:
            stop = _trail(order, quote)
            order.triggered = _touched(order, quote, stop)
        price = self._fill_price(order, quote, incoming=incoming)
        if price is None:
            if req.tif in IMMEDIATE and incoming:
                return self._cancel(order)
            return []
        if not self.partial_fills or req.combo is not None:  # a combo fills whole, every leg at once
            quantity = order.remaining
            return [self._fill(order, quantity, price, now), *self._after_fill(order, quantity, now)]
        return self._fill_in_parts(order, quote, price, now, incoming=incoming)

    def _fill_in_parts(self, order: Order, quote: Quote, price: float, now: float, *, incoming: bool) -> list[Event]:
        """Fill against the displayed size: a marketable order walks the book one tick a level (each level
        showing the touch's size) within its limit; a resting limit takes what the touch shows; FOK fills
        whole or not at all, IOC cancels what is left."""
        req = order.request
        buy = req.action == "BUY"
        shown = Decimal(quote.ask_size if buy else quote.bid_size)
        tick = req.spec.min_tick
        walks = incoming and req.tif != "FOK"
        levels = []
        left = order.remaining
        level_price = price
        limit = order.limit_price if req.order_type in _LIMITED else None
        slack = tick * 1e-6
        while left > 0 and shown > 0:
            if limit is not None and (level_price > limit + slack if buy else level_price < limit - slack):
                break
            part = min(left, shown)
            levels.append((part, level_price))
            left -= part
            if not walks:
                break
            level_price = req.spec.round_price(level_price + (tick if buy else -tick))
        if req.tif == "FOK" and incoming and left > 0:
            return self._cancel(order)
        events: list[Event] = []
        for part, level_price in levels:
            events += [self._fill(order, part, level_price, now), *self._after_fill(order, part, now)]
        if req.tif == "IOC" and incoming and order.remaining > 0:
            events += self._cancel(order)
        return events

    @staticmethod
    def _fill_price(order: Order, quote: Quote, *, incoming: bool) -> float | None:
        req = order.request
        buy = req.action == "BUY"
        touch = quote.ask if buy else quote.bid
        if req.order_type == MARKET or (req.order_type in _TRIGGERED_AT_TOUCH and order.triggered):
            return touch
        if req.order_type in _TRIGGERED_AT_TOUCH or (req.order_type in _LIMIT_ONCE_TRIGGERED and not order.triggered):
            return None
        limit = order.limit_price
        assert limit is not None
        crossed = touch <= limit if buy else touch >= limit
        if not crossed:
            return None
        # A marketable order takes the quote; a resting limit fills at its own price when crossed.
        return touch if incoming else limit

    def _fill(self, order: Order, quantity: Decimal, price: float, now: float) -> Fill:
        req = order.request
        if req.combo is not None:
            return self._fill_combo(order, quantity, now)
        key = (order.client_id, order.order_id)
        last = quantity >= order.remaining
        commission, realized = self._book_trade(order, req.spec, req.action == "BUY", quantity, price, key, last)
        self._progress(order, quantity, price)
        execution = self._execution(order, req.spec, req.action == "BUY", quantity, price, now, commission, realized)
        execution = dataclasses.replace(execution, cum_qty=order.filled, avg_price=order.avg_fill_price)
        self._book.executions.append(execution)
        return Fill(copy.copy(order), execution)

    def _fill_combo(self, order: Order, quantity: Decimal, now: float) -> Fill:
        """Every leg trades at its touch, ``ratio`` times the combo quantity, with its own execution and
        commission; the combo's own execution carries the net price per combo unit."""
        req = order.request
        combo = req.combo
        assert combo is not None
        buying = req.action == "BUY"
        legs: list[Execution] = []
        net = 0.0
        last = quantity >= order.remaining
        for leg in combo.legs:
            price = combo.leg_price(leg, self._quotes[leg.spec.con_id], buying)
            buys_leg = (leg.sign > 0) == buying
            size = quantity * leg.ratio
            key = (order.client_id, order.order_id, leg.spec.con_id)
            commission, realized = self._book_trade(order, leg.spec, buys_leg, size, price, key, last)
            leg_filled = (order.filled + quantity) * leg.ratio
            execution = self._execution(order, leg.spec, buys_leg, size, price, now, commission, realized)
            legs.append(dataclasses.replace(execution, cum_qty=leg_filled, avg_price=price))
            net += leg.sign * leg.ratio * price
        net = combo.spec.round_price(net)
        self._progress(order, quantity, net)
        own = self._execution(order, combo.spec, buying, quantity, net, now, 0.0, 0.0)
        own = dataclasses.replace(own, cum_qty=order.filled, avg_price=order.avg_fill_price)
        self._book.executions += [*legs, own]
        return Fill(copy.copy(order), own, tuple(legs))

    def _book_trade(
        self, order: Order, spec: ContractSpec, buy: bool, quantity: Decimal, price: float, key: object, last: bool
    ) -> tuple[float, float]:
        """Book a trade of ``quantity`` of ``spec`` in the account: its commission (charged per order and
        contract, under ``key``; ``last`` completes the order), position and cash. Returns the commission and
        the realised P&L."""
        signed = quantity if buy else -quantity
        commission = float(
            self._commissions.charge(
                key,
                fees.schedule_for(spec.sec_type, Decimal(str(price))),
                quantity,
                commission_value(spec, quantity, price),
                first=order.filled == 0,
                last=last,
            )
        )
        realized = self._apply_to_position(spec, signed, price)
        mult = float(spec.multiplier or 1)
        if spec.sec_type != "FUT":
            self._book.cash -= float(signed) * price * mult
        self._book.cash += realized if spec.sec_type == "FUT" else 0.0
        self._book.cash -= commission
        self._book.commissions += commission
        self._book.realized_today += realized - commission
        return commission, realized

    @staticmethod
    def _progress(order: Order, quantity: Decimal, price: float) -> None:
        total = order.filled + quantity
        order.avg_fill_price = (order.avg_fill_price * float(order.filled) + price * float(quantity)) / float(total)
        order.filled = total
        order.last_fill_price = price
        order.status = "Filled" if order.remaining == 0 else order.status

    def _execution(
        self,
        order: Order,
        spec: ContractSpec,
        buy: bool,
        quantity: Decimal,
        price: float,
        now: float,
        commission: float,
        realized: float,
    ) -> Execution:
        self._exec_seq += 1
        return Execution(
            exec_id=f"{self._exec_prefix}.{order.perm_id:08x}.{self._exec_seq:02d}.01",
            order_id=order.order_id,
            client_id=order.client_id,
            perm_id=order.perm_id,
            spec=spec,
            side="BOT" if buy else "SLD",
            shares=quantity,
            price=price,
            ts=now,
            account=self.account,
            cum_qty=quantity,
            avg_price=price,
            order_ref=order.request.order_ref,
            commission=commission,
            realized_pnl=realized - commission if realized else 0.0,
            time_zone=self.time_zone,
        )


def _trigger_price(order: Order, quote: Quote) -> float:
    """The price a stop watches: the midpoint with trigger method 8, else the touch on the side it trades."""
    if order.request.trigger_method == MIDPOINT_TRIGGER:
        return quote.mid
    return quote.ask if order.request.action == "BUY" else quote.bid


def _touched(order: Order, quote: Quote, stop: float) -> bool:
    price = _trigger_price(order, quote)
    return price >= stop if order.request.action == "BUY" else price <= stop


def _trail(order: Order, quote: Quote) -> float:
    """Move a trailing order's stop with the market (never back) and return it; the first quote sets it (from
    trailStopPrice when given) and fixes a trailing limit's offset."""
    req = order.request
    buy = req.action == "BUY"
    price = _trigger_price(order, quote)
    amount = req.aux_price if req.aux_price is not None else price * (req.trailing_percent or 0.0) / 100
    candidate = req.spec.round_price(price + amount if buy else price - amount)
    if order.trail_stop is None:
        given = req.trail_stop_price
        order.trail_stop = req.spec.round_price(given) if given is not None else candidate
        if req.order_type == TRAIL_LIMIT:
            offset = req.lmt_price_offset
            order.trail_limit_offset = offset if offset is not None else abs(order.trail_stop - (req.lmt_price or 0.0))
    order.trail_stop = min(order.trail_stop, candidate) if buy else max(order.trail_stop, candidate)
    return order.trail_stop
