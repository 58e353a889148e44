"""Why orders did not fill: the reason of each order's rejection or denial, for `orders.csv` and for the line a
backtest that filled nothing fails with."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from nautilus_trader.model.orders import Order

FIRST_REASONS_SHOWN = 3
NO_MARKET_HINT = " (bar execution needs both BID and ASK bars, or quotes, to price both sides)"


def order_reasons(orders: Iterable[Order]) -> dict[str, str]:
    """Client order id → the reason its last rejection, denial or refused modify/cancel gave ("" when none)."""
    reasons = {}
    for order in orders:
        reason = ""
        for event in order.events:
            given = getattr(event, "reason", None)
            if given:
                reason = str(given)
        reasons[order.client_order_id.value] = reason
    return reasons


def nothing_filled(orders: list[Order], events: int) -> str:
    """What a run that filled no order did instead, in one line: no order at all, or its orders' fates and the
    first reasons given."""
    if not orders:
        return f"the strategies saw {events:,} data points and placed no order"
    statuses = Counter(order.status_string().lower() for order in orders)
    fates = ", ".join(f"{count} {status}" for status, count in statuses.most_common())
    reasons = Counter(reason for reason in order_reasons(orders).values() if reason)
    shown = "; ".join(f"{reason!r} ({count}x)" for reason, count in list(reasons.items())[:FIRST_REASONS_SHOWN])
    hint = NO_MARKET_HINT if any(reason.startswith("no market") for reason in reasons) else ""
    return f"no order filled: {len(orders)} orders ({fates})" + (
        f"; first reasons: {shown}{hint}" if shown else "; no reason given"
    )
