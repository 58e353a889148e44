"""placeOrder: the request as the broker reads it, and its text layout (server versions 157..202).

Every field of IB's placeOrder is read. The fields the gateway acts on land in :class:`PlaceOrderRequest`;
each other field is compared with the value IB's client sends when it is left unset, and the name of every
one that carries something else is kept in ``PlaceOrderRequest.unserved``, so the order is refused with IB's
text naming it rather than placed without it (docs/simulated-gateway-ib-fidelity.md lists the fields).
The protobuf form (from ``PROTOBUF_PLACE_ORDER``) is read into the same request by :mod:`proto_requests`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from nautilus_node.simgateway.contracts import ContractQuery
from nautilus_node.simgateway.requests import ComboLeg, FieldReader, MalformedRequest, with_sec_id
from nautilus_node.simgateway.versions import LATEST, Feature, Wire

# IB's OrderCondition types
PRICE, TIME, MARGIN, EXECUTION, VOLUME, PERCENT_CHANGE = 1, 3, 4, 5, 6, 7
CONDITION_NAMES = {
    PRICE: "Price",
    TIME: "Time",
    MARGIN: "Margin",
    EXECUTION: "Execution",
    VOLUME: "Volume",
    PERCENT_CHANGE: "PercentChange",
}
CONTRACT_CONDITIONS = frozenset({PRICE, VOLUME, PERCENT_CHANGE})
_PEG_BENCH, _PEG_BEST, _PEG_MID = ("PEG BENCH", "PEGBENCH"), ("PEG BEST", "PEGBEST"), ("PEG MID", "PEGMID")


@dataclass(frozen=True, slots=True)
class Condition:
    """One of an order's conditions. ``value`` is the condition's threshold as IB writes it (a price, a time,
    a percent or a volume); ``conjunction_and`` joins it to the next condition (IB's ``a``/``o``)."""

    kind: int
    conjunction_and: bool = True
    is_more: bool = True
    value: str = ""
    con_id: int = 0
    exchange: str = ""
    trigger_method: int = 0
    sec_type: str = ""
    symbol: str = ""


@dataclass(frozen=True, slots=True)
class PlaceOrderRequest:
    order_id: int
    contract: ContractQuery
    action: str
    quantity: Decimal
    order_type: str
    lmt_price: float | None
    aux_price: float | None
    tif: str
    oca_group: str
    account: str
    order_ref: str
    transmit: bool
    parent_id: int
    outside_rth: bool
    good_till_date: str
    oca_type: int
    trigger_method: int = 0
    trailing_percent: float | None = None
    trail_stop_price: float | None = None
    lmt_price_offset: float | None = None
    what_if: bool = False
    conditions: tuple[Condition, ...] = ()
    conditions_ignore_rth: bool = False
    conditions_cancel_order: bool = False
    combo_legs: tuple[ComboLeg, ...] = ()
    combo_params: tuple[tuple[str, str], ...] = ()  # smartComboRoutingParams
    clearing_account: str = ""
    unserved: tuple[str, ...] = ()  # fields set to something the gateway does not serve


class _Tail:
    """Reads the fields the gateway does not act on, noting each one set to other than IB's unset value."""

    def __init__(self, r: FieldReader) -> None:
        self.r = r
        self.unserved: list[str] = []

    def note(self, name: str, is_set: bool) -> None:
        if is_set:
            self.unserved.append(name)

    def text(self, name: str) -> str:
        value = self.r.text()
        self.note(name, bool(value))
        return value

    def flag(self, name: str) -> bool:
        value = self.r.bool()
        self.note(name, value)
        return value

    def number(self, name: str, unset: float = 0) -> None:
        """A numeric field that is unset when empty, IB's unset marker or ``unset``."""
        value = self.r.price()
        self.note(name, value is not None and value != unset)


def parse_place_order(fields: tuple[str, ...], v: Wire = LATEST) -> PlaceOrderRequest:
    """placeOrder as ``EClient.placeOrder`` writes it at server version ``v``. A message that ends right after
    ``hidden`` (the order's core) reads as one with every later field unset."""
    r = FieldReader(fields)
    t = _Tail(r)
    order_id = r.int()
    c = r.contract()
    c = with_sec_id(c, r.text(), r.text())
    action = r.text()
    quantity = r.decimal()
    order_type = r.text()
    lmt_price, aux_price = r.price(), r.price()
    tif, oca_group, account = r.text(), r.text(), r.text()
    t.text("openClose")
    t.number("origin")
    order_ref = r.text()
    transmit = r.bool()
    parent_id = r.int()
    t.flag("blockOrder")
    t.flag("sweepToFill")
    t.number("displaySize")
    trigger_method = r.int()
    outside_rth = r.bool()
    t.flag("hidden")
    core = PlaceOrderRequest(
        order_id, c, action, quantity, order_type, lmt_price, aux_price, tif, oca_group, account, order_ref,
        transmit, parent_id, outside_rth, "", 0, trigger_method,
    )  # fmt: skip
    if r.at_end:
        return _with(core, unserved=tuple(t.unserved))
    return _read_tail(core, t, v)


def _with(req: PlaceOrderRequest, **changes: object) -> PlaceOrderRequest:
    values = {name: getattr(req, name) for name in req.__dataclass_fields__}
    return PlaceOrderRequest(**{**values, **changes})  # type: ignore[arg-type]


def _read_tail(core: PlaceOrderRequest, t: _Tail, v: Wire) -> PlaceOrderRequest:
    """placeOrder's fields after ``hidden``, in ``EClient.placeOrder``'s order."""
    r = t.r
    legs: tuple[ComboLeg, ...] = ()
    combo_params: tuple[tuple[str, str], ...] = ()
    if core.contract.sec_type == "BAG":
        legs = tuple(_combo_leg(t) for _ in range(r.int()))
        for _ in range(r.int()):  # order combo legs: a price per leg
            t.number("orderComboLegs.price")
        combo_params = tuple((r.text(), r.text()) for _ in range(r.int()))
    t.text("sharesAllocation")
    t.number("discretionaryAmt")
    t.text("goodAfterTime")
    good_till_date = r.text()
    t.text("faGroup"), t.text("faMethod"), t.text("faPercentage")
    if not v.has(Feature.FA_PROFILE_DESUPPORT):
        t.text("faProfile")
    t.text("modelCode")
    t.number("shortSaleSlot")
    t.text("designatedLocation")
    t.number("exemptCode", unset=-1)
    oca_type = r.int()
    t.text("rule80A"), t.text("settlingFirm")
    t.flag("allOrNone")
    t.number("minQty"), t.number("percentOffset")
    t.flag("eTradeOnly"), t.flag("firmQuoteOnly")
    t.number("nbboPriceCap")
    t.number("auctionStrategy")
    for name in ("startingPrice", "stockRefPrice", "delta", "stockRangeLower", "stockRangeUpper"):
        t.number(name)
    t.flag("overridePercentageConstraints")
    t.number("volatility"), t.number("volatilityType")
    delta_neutral = t.text("deltaNeutralOrderType")
    t.number("deltaNeutralAuxPrice")
    if delta_neutral:
        t.number("deltaNeutralConId")
        for name in ("deltaNeutralSettlingFirm", "deltaNeutralClearingAccount", "deltaNeutralClearingIntent"):
            t.text(name)
        t.text("deltaNeutralOpenClose"), t.flag("deltaNeutralShortSale")
        t.number("deltaNeutralShortSaleSlot"), t.text("deltaNeutralDesignatedLocation")
    t.flag("continuousUpdate")
    t.number("referencePriceType")
    trail_stop_price = r.price()
    trailing_percent = r.price()
    t.number("scaleInitLevelSize"), t.number("scaleSubsLevelSize")
    increment = r.price()
    t.note("scalePriceIncrement", increment is not None and increment != 0)
    if increment is not None and increment > 0:
        for name in ("scalePriceAdjustValue", "scalePriceAdjustInterval", "scaleProfitOffset"):
            t.number(name)
        t.flag("scaleAutoReset"), t.number("scaleInitPosition"), t.number("scaleInitFillQty")
        t.flag("scaleRandomPercent")
    t.text("scaleTable"), t.text("activeStartTime"), t.text("activeStopTime")
    if t.text("hedgeType"):
        t.text("hedgeParam")
    t.flag("optOutSmartRouting")
    clearing_account = r.text()
    if r.text() not in ("", "IB"):  # clearingIntent: IB clears the account's own orders
        t.note("clearingIntent", True)
    t.flag("notHeld")
    if t.flag("deltaNeutralContract"):
        r.int(), r.price(), r.price()
    if t.text("algoStrategy"):
        for _ in range(r.int()):
            r.text(), r.text()
    t.text("algoId")
    what_if = r.bool()
    t.text("orderMiscOptions")
    t.flag("solicited")
    t.flag("randomizeSize"), t.flag("randomizePrice")
    if core.order_type in _PEG_BENCH:
        t.number("referenceContractId"), t.flag("isPeggedChangeAmountDecrease")
        t.number("peggedChangeAmount"), t.number("referenceChangeAmount"), t.text("referenceExchangeId")
    conditions = tuple(_condition(r) for _ in range(r.int()))
    ignore_rth = cancel_order = False
    if conditions:
        ignore_rth, cancel_order = r.bool(), r.bool()
    t.text("adjustedOrderType")
    t.number("triggerPrice")
    lmt_price_offset = r.price()
    for name in ("adjustedStopPrice", "adjustedStopLimitPrice", "adjustedTrailingAmount", "adjustableTrailingUnit"):
        t.number(name)
    t.text("extOperator")
    t.text("softDollarTier.name"), t.text("softDollarTier.value")
    t.number("cashQty")
    for name in ("mifid2DecisionMaker", "mifid2DecisionAlgo", "mifid2ExecutionTrader", "mifid2ExecutionAlgo"):
        t.text(name)
    t.flag("dontUseAutoPriceForHedge"), t.flag("isOmsContainer"), t.flag("discretionaryUpToLimitPrice")
    t.number("usePriceMgmtAlgo")
    _read_version_fields(core, t, v)
    if not r.at_end:
        raise MalformedRequest(f"placeOrder has fields after the last one of server version {v.version}")
    return _with(
        core,
        good_till_date=good_till_date,
        oca_type=oca_type,
        trailing_percent=trailing_percent,
        trail_stop_price=trail_stop_price,
        lmt_price_offset=lmt_price_offset,
        what_if=what_if,
        conditions=conditions,
        conditions_ignore_rth=ignore_rth,
        conditions_cancel_order=cancel_order,
        combo_legs=legs,
        combo_params=combo_params,
        clearing_account=clearing_account,
        unserved=tuple(t.unserved),
    )


def _read_version_fields(core: PlaceOrderRequest, t: _Tail, v: Wire) -> None:
    """The fields later server versions appended, from duration (158) to imbalanceOnly (199)."""
    if v.has(Feature.DURATION):
        t.number("duration")
    if v.has(Feature.POST_TO_ATS):
        t.number("postToAts")
    if v.has(Feature.AUTO_CANCEL_PARENT):
        t.flag("autoCancelParent")
    if v.has(Feature.ADVANCED_ORDER_REJECT):
        t.text("advancedErrorOverride")
    if v.has(Feature.MANUAL_ORDER_TIME):
        t.text("manualOrderTime")
    if v.has(Feature.PEGBEST_PEGMID_OFFSETS):
        if core.contract.exchange == "IBKRATS":
            t.number("minTradeQty")
        mid_offsets = core.order_type in _PEG_MID
        if core.order_type in _PEG_BEST:
            t.number("minCompeteSize")
            offset = t.text("competeAgainstBestOffset")
            mid_offsets = offset.lower() in ("inf", "infinity")  # IB's COMPETE_AGAINST_BEST_OFFSET_UP_TO_MID
        if mid_offsets:
            t.number("midOffsetAtWhole"), t.number("midOffsetAtHalf")
    if v.has(Feature.CUSTOMER_ACCOUNT):
        t.text("customerAccount")
    if v.has(Feature.PROFESSIONAL_CUSTOMER):
        t.flag("professionalCustomer")
    if Feature.RFQ_FIELDS <= v.version < Feature.UNDO_RFQ_FIELDS:
        t.text("rfq"), t.number("rfq")
    if v.has(Feature.INCLUDE_OVERNIGHT):
        t.flag("includeOvernight")
    if v.has(Feature.CME_TAGGING_FIELDS):
        t.number("manualOrderIndicator")
    if v.has(Feature.IMBALANCE_ONLY):
        t.flag("imbalanceOnly")


def _combo_leg(t: _Tail) -> ComboLeg:
    r = t.r
    leg = ComboLeg(con_id=r.int(), ratio=r.int(), action=r.text(), exchange=r.text())
    t.number("comboLeg.openClose")
    t.number("comboLeg.shortSaleSlot")
    t.text("comboLeg.designatedLocation")
    t.number("comboLeg.exemptCode", unset=-1)
    return leg


def _condition(r: FieldReader) -> Condition:
    """One condition: its type, then the fields ``OrderCondition.make_fields`` writes for that type."""
    kind = r.int()
    if kind not in CONDITION_NAMES:
        raise MalformedRequest(f"unknown order condition type {kind}")
    conjunction_and = r.text() == "a"
    if kind == EXECUTION:
        sec_type, exchange, symbol = r.text(), r.text(), r.text()
        return Condition(kind, conjunction_and, exchange=exchange, sec_type=sec_type, symbol=symbol)
    is_more, value = r.bool(), r.text()
    con_id, exchange = (r.int(), r.text()) if kind in CONTRACT_CONDITIONS else (0, "")
    trigger_method = r.int() if kind == PRICE else 0
    return Condition(kind, conjunction_and, is_more, value, con_id, exchange, trigger_method)
