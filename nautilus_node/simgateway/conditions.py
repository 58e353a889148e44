"""Order conditions as the gateway evaluates them: price, time, margin cushion and execution conditions,
joined left to right by each condition's AND/OR; volume and percent-change conditions are refused.

A price condition compares the condition contract's midpoint (trigger methods Default and Midpoint) or its
bid (``>=``) / ask (``<=``) (method Bid/Ask) with its price; a time condition compares the market clock with
its time (``yyyymmdd hh:mm:ss [zone]``); a margin condition compares the account's cushion in percent; an
execution condition holds once an execution in its symbol and security type has happened since the order
was placed. Each condition's ``conjunction_and`` joins it to the next one.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nautilus_node.simgateway.account import Execution
from nautilus_node.simgateway.bars import BarRequestError, parse_end_time
from nautilus_node.simgateway.market import Quote
from nautilus_node.simgateway.place_order import CONDITION_NAMES, EXECUTION, MARGIN, PRICE, TIME, Condition

SERVED = frozenset({PRICE, TIME, MARGIN, EXECUTION})
DEFAULT_METHOD, BID_ASK_METHOD, MIDPOINT_METHOD = 0, 4, 8
PRICE_TRIGGER_METHODS = frozenset({DEFAULT_METHOD, BID_ASK_METHOD, MIDPOINT_METHOD})


@dataclass(frozen=True, slots=True)
class Facts:
    """What conditions are evaluated against at one moment."""

    now: float
    quotes: Mapping[int, Quote]
    cushion_percent: float
    executions: Sequence[Execution]  # the account's executions since the order was placed


def refusal(condition: Condition, now: float) -> str | None:
    """Why IB would refuse ``condition`` (the reason of a 201), or None when it can be evaluated."""
    name = CONDITION_NAMES[condition.kind]
    if condition.kind not in SERVED:
        return f"{name} conditions are not supported"
    if condition.kind == PRICE and condition.trigger_method not in PRICE_TRIGGER_METHODS:
        return f"Price condition trigger method {condition.trigger_method} is not supported"
    if condition.kind == TIME:
        try:
            parse_end_time(condition.value, now)
        except BarRequestError:
            return f"Invalid time condition '{condition.value}'"
    elif condition.kind in (PRICE, MARGIN) and _number(condition.value) is None:
        return f"Invalid {name.lower()} condition value '{condition.value}'"
    if condition.kind == PRICE and condition.con_id <= 0:
        return "Price condition requires a contract id"
    if condition.kind == EXECUTION and not condition.symbol:
        return "Execution condition requires a symbol"
    return None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def all_hold(conditions: Sequence[Condition], facts: Facts) -> bool:
    """The conditions joined left to right: each one's AND/OR joins it to the next."""
    result = holds(conditions[0], facts)
    for previous, condition in itertools.pairwise(conditions):
        value = holds(condition, facts)
        result = (result and value) if previous.conjunction_and else (result or value)
    return result


def holds(condition: Condition, facts: Facts) -> bool:
    if condition.kind == PRICE:
        quote = facts.quotes.get(condition.con_id)
        if quote is None:
            return False
        threshold = float(condition.value)
        if condition.trigger_method == BID_ASK_METHOD:
            return quote.bid >= threshold if condition.is_more else quote.ask <= threshold
        return _compare(quote.mid, threshold, condition.is_more)
    if condition.kind == TIME:
        return _compare(facts.now, parse_end_time(condition.value, facts.now), condition.is_more)
    if condition.kind == MARGIN:
        return _compare(facts.cushion_percent, float(condition.value), condition.is_more)
    return any(_execution_matches(condition, ex) for ex in facts.executions)


def _compare(value: float, threshold: float, is_more: bool) -> bool:
    return value >= threshold if is_more else value <= threshold


def _execution_matches(condition: Condition, ex: Execution) -> bool:
    spec = ex.spec
    if condition.symbol != spec.symbol or (condition.sec_type and condition.sec_type != spec.sec_type):
        return False
    exchange = condition.exchange
    return not exchange or exchange == "SMART" or exchange in {spec.exchange, spec.primary_exchange}


def watched_con_ids(conditions: Sequence[Condition]) -> set[int]:
    """The contracts whose quotes the conditions depend on."""
    return {c.con_id for c in conditions if c.kind == PRICE}
