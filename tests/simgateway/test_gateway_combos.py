"""A combo's price from its legs' quotes, exactly, and what the broker books when one fills."""

from __future__ import annotations

from decimal import Decimal

from nautilus_node.simgateway.broker import Broker, Fill, OrderRequest
from nautilus_node.simgateway.combos import COMBO_CON_ID, build_combo
from nautilus_node.simgateway.contracts import ContractQuery, Universe, build_universe
from nautilus_node.simgateway.market import Quote
from nautilus_node.simgateway.requests import ComboLeg

UNIVERSE = Universe(build_universe())
FRONT, BACK = sorted((s for s in UNIVERSE if s.symbol == "ES"), key=lambda s: s.last_trade_date)[:2]
QUERY = ContractQuery(symbol="ES", sec_type="BAG", exchange="CME", currency="USD")
CALENDAR = build_combo(
    UNIVERSE, QUERY, [ComboLeg(FRONT.con_id, 1, "BUY", "CME"), ComboLeg(BACK.con_id, 2, "SELL", "CME")]
)
QUOTES = {FRONT.con_id: Quote(5800.00, 5800.25, 10, 12, 1.0), BACK.con_id: Quote(5830.00, 5830.50, 8, 6, 2.0)}


def test_the_combo_bid_and_ask_are_the_legs_touches_signed_and_weighted() -> None:
    quote = CALENDAR.quote(QUOTES)
    assert quote is not None
    assert (quote.bid, quote.ask) == (5800.00 - 2 * 5830.50, 5800.25 - 2 * 5830.00)
    assert (quote.bid_size, quote.ask_size) == (3, 4)  # back's 6 ask / 2 and 8 bid / 2 bound the combo units
    assert CALENDAR.quote({FRONT.con_id: QUOTES[FRONT.con_id]}) is None


def test_a_combo_fill_books_each_leg_and_reports_the_net_price() -> None:
    broker = Broker("DU1")
    for spec in (FRONT, BACK):
        broker.record_quote(spec, QUOTES[spec.con_id])
    request = OrderRequest(1, 1, CALENDAR.spec, "SELL", Decimal(3), "MKT", combo=CALENDAR)
    [fill] = [e for e in broker.place(request, CALENDAR.quote(QUOTES), 0.0) if isinstance(e, Fill)]
    sold_front, bought_back = fill.legs
    assert (sold_front.side, sold_front.shares, sold_front.price) == ("SLD", Decimal(3), 5800.00)
    assert (bought_back.side, bought_back.shares, bought_back.price) == ("BOT", Decimal(6), 5830.50)
    assert (fill.execution.spec.con_id, fill.execution.price) == (COMBO_CON_ID, 5800.00 - 2 * 5830.50)
    assert fill.execution.commission == 0 and sold_front.commission > 0 and bought_back.commission > 0
    positions = {p.spec.con_id: p.quantity for p in broker.positions()}
    assert positions == {FRONT.con_id: Decimal(-3), BACK.con_id: Decimal(6)}
    assert fill.order.status == "Filled" and fill.order.avg_fill_price == fill.execution.price
