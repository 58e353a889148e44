"""Combos (IB's BAG contracts): legs named by con id, ratio and action, priced from the legs' quotes.

A combo is generic over its legs: any contract of the universe (a future, a stock, an option) can be a leg.
Buying one combo unit buys ``ratio`` of each BUY leg at its ask and sells ``ratio`` of each SELL leg at its
bid, so the combo's ask is the sum of those prices signed by the leg's action, and its bid the reverse; its
price (and its fills) are those net amounts per unit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nautilus_node.simgateway.contracts import ContractQuery, ContractSpec, Universe
from nautilus_node.simgateway.market import Quote
from nautilus_node.simgateway.requests import ComboLeg

COMBO_CON_ID = 28812380  # the con id IB gives a USD combo (BAG) contract
NEEDS_LEGS = "Security type 'BAG' requires combo leg details."


class ComboError(Exception):
    """A combo IB would refuse, with the IB error code and text to send."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Leg:
    spec: ContractSpec
    ratio: int
    action: str

    @property
    def sign(self) -> int:
        return 1 if self.action == "BUY" else -1


@dataclass(frozen=True, slots=True)
class Combo:
    """A BAG contract: its own spec (con id ``COMBO_CON_ID``) and its legs."""

    spec: ContractSpec
    legs: tuple[Leg, ...]

    @property
    def con_ids(self) -> set[int]:
        return {leg.spec.con_id for leg in self.legs}

    def leg_price(self, leg: Leg, quote: Quote, buying_combo: bool) -> float:
        """What one leg trades at when the combo is bought (or sold): the touch on the side it trades."""
        buys_leg = (leg.sign > 0) == buying_combo
        return quote.ask if buys_leg else quote.bid

    def quote(self, quotes: Mapping[int, Quote]) -> Quote | None:
        """The combo's bid and ask from its legs' quotes (None until every leg has one); the sizes are the
        combo units the legs' shown sizes allow."""
        if any(leg.spec.con_id not in quotes for leg in self.legs):
            return None
        bid = ask = 0.0
        bid_size = ask_size = None
        for leg in self.legs:
            q = quotes[leg.spec.con_id]
            ask += leg.sign * leg.ratio * self.leg_price(leg, q, buying_combo=True)
            bid += leg.sign * leg.ratio * self.leg_price(leg, q, buying_combo=False)
            buy_shown = q.ask_size if leg.sign > 0 else q.bid_size
            sell_shown = q.bid_size if leg.sign > 0 else q.ask_size
            ask_size = min(ask_size if ask_size is not None else buy_shown, buy_shown // leg.ratio)
            bid_size = min(bid_size if bid_size is not None else sell_shown, sell_shown // leg.ratio)
        ts = max(quotes[leg.spec.con_id].ts for leg in self.legs)
        round_ = self.spec.round_price
        return Quote(round_(bid), round_(ask), max(bid_size or 0, 1), max(ask_size or 0, 1), ts)


def build_combo(universe: Universe, query: ContractQuery, legs: Sequence[ComboLeg]) -> Combo:
    """The combo a BAG contract names: each leg by con id in the universe; IB's 321 for a BAG without legs or
    with a leg it cannot take, its 200 for a leg con id it does not know."""
    if not legs:
        raise ComboError(321, f"Error validating request.-'bN' : cause - {NEEDS_LEGS}")
    resolved = []
    for leg in legs:
        spec = universe.by_con_id(leg.con_id)
        if spec is None:
            raise ComboError(200, "No security definition has been found for the request")
        if leg.ratio <= 0 or leg.action not in ("BUY", "SELL"):
            cause = f"Invalid combo leg {leg.con_id}: ratio {leg.ratio}, action '{leg.action}'"
            raise ComboError(321, f"Error validating request.-'bN' : cause - {cause}")
        resolved.append(Leg(spec, leg.ratio, leg.action))
    first = resolved[0].spec
    if any(leg.spec.currency != first.currency for leg in resolved):
        raise ComboError(321, "Error validating request.-'bN' : cause - The legs of a combo must share a currency")
    spec = dataclasses.replace(
        first,
        con_id=COMBO_CON_ID,
        symbol=query.symbol or first.symbol,
        sec_type="BAG",
        exchange=query.exchange or first.exchange,
        local_symbol="",
        trading_class="",
        multiplier="",
        last_trade_date="",
        min_tick=min(leg.spec.min_tick for leg in resolved),
        has_trades=False,
        sec_ids={},
    )
    return Combo(spec, tuple(resolved))


@dataclass(slots=True)
class ComboFeed:
    """A combo's market data subscription: the combo and its legs' last quotes."""

    combo: Combo
    quotes: dict[int, Quote] = field(default_factory=dict)

    def on_leg_quote(self, con_id: int, quote: Quote) -> Quote | None:
        """The combo's quote after a leg's new one (None while a leg has none)."""
        self.quotes[con_id] = quote
        return self.combo.quote(self.quotes)
