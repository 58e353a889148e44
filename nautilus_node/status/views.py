"""Snapshot records from NautilusTrader's own objects: accounts, positions and orders from the cache, fills
from `OrderFilled` events. Only what the node holds; nothing is filled in."""

from __future__ import annotations

from nautilus_trader.cache.cache import Cache
from nautilus_trader.model.enums import PositionSide, PriceType
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.position import Position as NautilusPosition

from nautilus_node.status.snapshot import Account, Balance, Fill, Margin, Order, Position, iso


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
                        total=b.total.to_formatted_str(),
                        free=b.free.to_formatted_str(),
                        locked=b.locked.to_formatted_str(),
                    )
                    for b in state.balances
                ],
                margins=[
                    Margin(
                        currency=str(m.currency),
                        initial=m.initial.to_formatted_str(),
                        maintenance=m.maintenance.to_formatted_str(),
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
            realized_pnl=p.realized_pnl.to_formatted_str() if p.realized_pnl is not None else None,
            opened_at=iso(p.ts_opened),
        )
        for p in sorted(cache.positions_open(), key=lambda p: str(p.id))
    ]


def _unrealized(cache: Cache, position: NautilusPosition) -> str | None:
    price_type = PriceType.BID if position.side == PositionSide.LONG else PriceType.ASK
    price = cache.price(position.instrument_id, price_type) or cache.price(position.instrument_id, PriceType.LAST)
    if price is None:
        return None
    return position.unrealized_pnl(price).to_formatted_str()


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
        commission=event.commission.to_formatted_str(),
        at=iso(event.ts_event),
    )
