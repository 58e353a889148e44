"""IB's order vocabulary: order types and times in force as the TWS API names them.

The node places the types and times in force NautilusTrader's IB adapter maps to these names; the simulated
gateway accepts IB's own names (and GTD, which only IB's own clients send here).
"""

from __future__ import annotations

from typing import Literal, get_args

MARKET, LIMIT, STOP, STOP_LIMIT = "MKT", "LMT", "STP", "STP LMT"
TRAIL, TRAIL_LIMIT = "TRAIL", "TRAIL LIMIT"
ORDER_TYPES = (MARKET, LIMIT, STOP, STOP_LIMIT, TRAIL, TRAIL_LIMIT)
LIMIT_PRICED = frozenset({LIMIT, STOP_LIMIT})  # orders with a limit price
STOP_TRIGGERED = frozenset({STOP, STOP_LIMIT})  # orders with a trigger (aux) price
TRAILING = frozenset({TRAIL, TRAIL_LIMIT})  # stops that follow the market by an amount or a percent

TimeInForce = Literal["DAY", "GTC", "IOC", "FOK"]
"""The times in force a person can give an order of the node (`order --tif`, the status page)."""
TIMES_IN_FORCE: tuple[str, ...] = get_args(TimeInForce)
GOOD_TILL_DATE = "GTD"
IB_TIMES_IN_FORCE = (*TIMES_IN_FORCE, GOOD_TILL_DATE)
IMMEDIATE = frozenset({"IOC", "FOK"})  # what is not filled at once is canceled
DEFAULT_TIME_IN_FORCE = "DAY"
