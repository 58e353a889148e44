"""Snapshot records from NautilusTrader's own objects: accounts, positions and orders from the cache, fills
from `OrderFilled` events. Only what the node holds; nothing is filled in."""

from __future__ import annotations

import re

from nautilus_trader.cache.cache import Cache
from nautilus_trader.model.enums import PositionSide, PriceType
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.objects import Money
from nautilus_trader.model.position import Position as NautilusPosition

from nautilus_node.status.snapshot import (
    Account,
    Balance,
    Fill,
    InstrumentRules,
    Margin,
    Order,
    Pnl,
    Position,
    iso,
)

_EVENT_KINDS: dict[type, str] = {}


def accounts(cache: Cache) -> list[Account]:
    """Every account the venue reported, as its last `AccountState` event says."""
    result = []
    for account in cache.accounts():
        state = account.last_event
        if state is None:
            continue
        result.append(
            Account(
                account_id=str(state.account_id),
                reported_at=iso(state.ts_event),
                balances=[
                    Balance(
                        currency=str(b.currency),
                        total=b.total.as_double(),
                        free=b.free.as_double(),
                        locked=b.locked.as_double(),
                    )
                    for b in state.balances
                ],
                margins=[
                    Margin(
                        currency=str(m.currency),
                        initial=m.initial.as_double(),
                        maintenance=m.maintenance.as_double(),
                        instrument_id=str(m.instrument_id) if m.instrument_id is not None else None,
                    )
                    for m in state.margins
                ],
                info={str(key): str(value) for key, value in (state.info or {}).items()},
            ),
        )
    return sorted(result, key=lambda a: a.account_id)


def positions(cache: Cache) -> list[Position]:
    """Open positions, with unrealized PnL at the side of the book a close would trade (when quoted)."""
    return [
        Position(
            position_id=str(p.id),
            instrument_id=str(p.instrument_id),
            strategy_id=str(p.strategy_id),
            side=p.side.name,
            quantity=str(p.signed_decimal_qty()),
            avg_px_open=f"{p.avg_px_open:.{p.price_precision}f}",
            unrealized_pnl=_unrealized(cache, p),
            realized_pnl=p.realized_pnl.as_double() if p.realized_pnl is not None else None,
            pnl_currency=str(p.settlement_currency),
            opened_at=iso(p.ts_opened),
        )
        for p in sorted(cache.positions_open(), key=lambda p: str(p.id))
    ]


def _unrealized(cache: Cache, position: NautilusPosition) -> float | None:
    money = _unrealized_money(cache, position)
    return None if money is None else money.as_double()


def _unrealized_money(cache: Cache, position: NautilusPosition) -> Money | None:
    price_type = PriceType.BID if position.side == PositionSide.LONG else PriceType.ASK
    price = cache.price(position.instrument_id, price_type) or cache.price(position.instrument_id, PriceType.LAST)
    if price is None:
        return None
    return position.unrealized_pnl(price)


def pnl(cache: Cache) -> Pnl | None:
    """The first account's equity (its reported total) and the open positions' unrealized PnL in its
    currency; `None` before an account is reported."""
    accounts = sorted(cache.accounts(), key=lambda a: str(a.id))
    if not accounts:
        return None
    account = accounts[0]
    currency = account.base_currency or (account.currencies() or [None])[0]
    if currency is None:
        return None
    total = account.balance_total(currency)
    unrealized = 0.0
    for position in cache.positions_open():
        money = _unrealized_money(cache, position)
        if money is not None and money.currency == currency:
            unrealized += money.as_double()
    return Pnl(
        currency=str(currency),
        equity=round(total.as_double(), 2) if total is not None else None,
        unrealized=round(unrealized, 2),
    )


def instrument_rules(cache: Cache) -> list[InstrumentRules]:
    """The price and size grids of every loaded instrument, for the order ticket."""
    return [
        InstrumentRules(
            instrument_id=str(i.id),
            price_increment=str(i.price_increment),
            size_increment=str(i.size_increment),
            min_quantity=_text(i.min_quantity),
            max_quantity=_text(i.max_quantity),
            quote_currency=str(i.quote_currency),
        )
        for i in sorted(cache.instruments(), key=lambda i: str(i.id))
    ]


def order_event_kind(event: object) -> str:
    """`OrderPendingCancel` → `pending_cancel`: an order event's kind, as counted in the snapshot."""
    kind = _EVENT_KINDS.get(type(event))
    if kind is None:
        name = type(event).__name__.removeprefix("Order")
        kind = _EVENT_KINDS[type(event)] = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return kind


def orders(cache: Cache) -> list[Order]:
    """Open orders (accepted, working or partly filled)."""
    return [
        Order(
            client_order_id=str(o.client_order_id),
            venue_order_id=str(o.venue_order_id) if o.venue_order_id is not None else None,
            instrument_id=str(o.instrument_id),
            strategy_id=str(o.strategy_id),
            side=o.side_string(),
            type=o.type_string(),
            quantity=str(o.quantity),
            filled_qty=str(o.filled_qty),
            price=_text(getattr(o, "price", None)),
            trigger_price=_text(getattr(o, "trigger_price", None)),
            time_in_force=o.tif_string(),
            status=o.status_string(),
            updated_at=iso(o.ts_last),
        )
        for o in sorted(cache.orders_open(), key=lambda o: str(o.client_order_id))
    ]


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


def fill(event: OrderFilled) -> Fill:
    """An `OrderFilled` event as a fill record."""
    return Fill(
        client_order_id=str(event.client_order_id),
        venue_order_id=str(event.venue_order_id) if event.venue_order_id is not None else None,
        trade_id=str(event.trade_id),
        instrument_id=str(event.instrument_id),
        side=event.order_side.name,
        quantity=str(event.last_qty),
        price=str(event.last_px),
        commission=event.commission.as_double(),
        commission_currency=str(event.commission.currency),
        at=iso(event.ts_event),
    )
