"""Message ids and the field layouts the gateway sends (text encoding, server versions 157..200).

Each encoder returns the message's fields, message id first, ready for ``codec.encode_frame``: a
:class:`Message`, which also remembers the encoder call that made it, so that a protobuf session
(:mod:`proto_messages`) builds the same message's protobuf form from the same values.
Encoders whose layout depends on the negotiated server version take a :class:`Wire` (default: 200) and
state each conditional field with the :class:`Feature` that governs it; the others (tickPrice, tickSize,
orderStatus, realtimeBar, position, accountSummary, PnL, ...) are the same across 157..200.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from decimal import Decimal

from nautilus_node.ib.orders import TRAILING
from nautilus_node.simgateway.account import MarginImpact
from nautilus_node.simgateway.bars import Bar, format_bar_time
from nautilus_node.simgateway.broker import DEFAULT_OCA_TYPE, Execution, Order, Position
from nautilus_node.simgateway.codec import UNSET_DOUBLE
from nautilus_node.simgateway.combos import Combo
from nautilus_node.simgateway.contracts import ContractSpec
from nautilus_node.simgateway.place_order import CONTRACT_CONDITIONS, EXECUTION, PRICE, Condition
from nautilus_node.simgateway.ticks import MidTick, QuoteTick, Tick, TradeTick
from nautilus_node.simgateway.versions import LATEST, Feature, Wire

Fields = tuple[object, ...]


class Message(tuple):
    """A message's text fields (message id first) and ``call``: the encoder's name and arguments."""

    call: tuple[str, tuple[object, ...], dict[str, object]]


def _message[**P](encode: Callable[P, Fields]) -> Callable[P, Message]:
    """Make ``encode`` return a :class:`Message` that remembers the call."""
    name = encode.__name__

    @functools.wraps(encode)
    def build(*args: P.args, **kwargs: P.kwargs) -> Message:
        msg = Message(encode(*args, **kwargs))
        msg.call = (name, args, kwargs)
        return msg

    return build


class Out(enum.IntEnum):
    """Messages the gateway sends."""

    TICK_PRICE = 1
    TICK_SIZE = 2
    ORDER_STATUS = 3
    ERROR = 4
    OPEN_ORDER = 5
    ACCT_VALUE = 6
    PORTFOLIO_VALUE = 7
    ACCT_UPDATE_TIME = 8
    NEXT_VALID_ID = 9
    CONTRACT_DATA = 10
    EXECUTION_DATA = 11
    MANAGED_ACCTS = 15
    TICK_OPTION_COMPUTATION = 21
    HISTORICAL_DATA = 17
    CURRENT_TIME = 49
    REAL_TIME_BARS = 50
    CONTRACT_DATA_END = 52
    OPEN_ORDER_END = 53
    ACCT_DOWNLOAD_END = 54
    EXECUTION_DATA_END = 55
    TICK_SNAPSHOT_END = 57
    MARKET_DATA_TYPE = 58
    COMMISSION_REPORT = 59
    POSITION_DATA = 61
    POSITION_END = 62
    ACCOUNT_SUMMARY = 63
    ACCOUNT_SUMMARY_END = 64
    SECURITY_DEFINITION_OPTION_PARAMETER = 75
    SECURITY_DEFINITION_OPTION_PARAMETER_END = 76
    TICK_REQ_PARAMS = 81
    HISTORICAL_DATA_UPDATE = 90
    PNL = 94
    PNL_SINGLE = 95
    HISTORICAL_TICKS = 96
    HISTORICAL_TICKS_BID_ASK = 97
    HISTORICAL_TICKS_LAST = 98
    TICK_BY_TICK = 99
    HISTORICAL_DATA_END = 108
    CURRENT_TIME_IN_MILLIS = 109


class In(enum.IntEnum):
    """Requests a client sends that the gateway serves."""

    REQ_MKT_DATA = 1
    CANCEL_MKT_DATA = 2
    PLACE_ORDER = 3
    CANCEL_ORDER = 4
    REQ_OPEN_ORDERS = 5
    REQ_ACCT_DATA = 6
    REQ_EXECUTIONS = 7
    REQ_IDS = 8
    REQ_CONTRACT_DATA = 9
    REQ_AUTO_OPEN_ORDERS = 15
    REQ_ALL_OPEN_ORDERS = 16
    REQ_MANAGED_ACCTS = 17
    REQ_HISTORICAL_DATA = 20
    CANCEL_HISTORICAL_DATA = 25
    REQ_CURRENT_TIME = 49
    REQ_REAL_TIME_BARS = 50
    CANCEL_REAL_TIME_BARS = 51
    REQ_GLOBAL_CANCEL = 58
    REQ_MARKET_DATA_TYPE = 59
    REQ_POSITIONS = 61
    REQ_ACCOUNT_SUMMARY = 62
    CANCEL_ACCOUNT_SUMMARY = 63
    CANCEL_POSITIONS = 64
    START_API = 71
    REQ_SEC_DEF_OPT_PARAMS = 78
    REQ_PNL = 92
    CANCEL_PNL = 93
    REQ_PNL_SINGLE = 94
    CANCEL_PNL_SINGLE = 95
    REQ_HISTORICAL_TICKS = 96
    REQ_TICK_BY_TICK_DATA = 97
    CANCEL_TICK_BY_TICK_DATA = 98
    REQ_CURRENT_TIME_IN_MILLIS = 105


# Tick types (IB's TickTypeEnum values used here).
BID_SIZE, BID, ASK, ASK_SIZE, LAST, LAST_SIZE = 0, 1, 2, 3, 4, 5
BID_OPTION_COMPUTATION, ASK_OPTION_COMPUTATION, LAST_OPTION_COMPUTATION, MODEL_OPTION = 10, 11, 12, 13
# tickOptionComputation's "not computed" markers: -1 for volatility, prices and dividends, -2 for the greeks.
NOT_COMPUTED_VALUE, NOT_COMPUTED_GREEK = -1.0, -2.0


def _contract_head(spec: ContractSpec) -> Fields:
    """conId .. tradingClass as execDetails, openOrder and position carry them."""
    return (
        spec.con_id,
        spec.symbol,
        spec.sec_type,
        spec.last_trade_date,
        spec.strike,
        spec.right,
        spec.multiplier,
        spec.exchange,
        spec.currency,
        spec.local_symbol,
        spec.trading_class,
    )


@_message
def error(req_id: int, code: int, message: str, time_ms: int, advanced_json: str = "", v: Wire = LATEST) -> Fields:
    return (
        Out.ERROR,
        *v.before(Feature.ERROR_TIME, 2),  # version
        req_id,
        code,
        message,
        *v.since(Feature.ADVANCED_ORDER_REJECT, advanced_json),
        *v.since(Feature.ERROR_TIME, time_ms),
    )


@_message
def managed_accounts(accounts: str) -> Fields:
    return (Out.MANAGED_ACCTS, 1, accounts)


@_message
def next_valid_id(order_id: int) -> Fields:
    return (Out.NEXT_VALID_ID, 1, order_id)


@_message
def current_time(seconds: int) -> Fields:
    return (Out.CURRENT_TIME, 1, seconds)


@_message
def current_time_in_millis(millis: int) -> Fields:
    return (Out.CURRENT_TIME_IN_MILLIS, millis)


@_message
def market_data_type(req_id: int, data_type: int) -> Fields:
    return (Out.MARKET_DATA_TYPE, 1, req_id, data_type)


@_message
def contract_data(req_id: int, spec: ContractSpec, exchange: str, v: Wire = LATEST) -> Fields:
    sec_ids: list[object] = [len(spec.sec_ids)]
    for tag, value in spec.sec_ids.items():
        sec_ids += [tag, value]
    return (
        Out.CONTRACT_DATA,
        *v.before(Feature.SIZE_RULES, 8),  # version
        req_id,
        spec.symbol,
        spec.sec_type,
        spec.last_trade_date,  # lastTradeDateOrContractMonth
        *v.since(Feature.LAST_TRADE_DATE, spec.last_trade_date),
        spec.strike,
        spec.right,
        exchange,
        spec.currency,
        spec.local_symbol,
        spec.market_name,
        spec.trading_class,
        spec.con_id,
        spec.min_tick,
        *v.before(Feature.SIZE_RULES, 1),  # mdSizeMultiplier
        spec.multiplier,
        spec.order_types,
        spec.valid_exchanges,
        1,  # priceMagnifier
        spec.under_con_id,
        spec.long_name,
        spec.primary_exchange,
        spec.contract_month or spec.last_trade_date[:6],  # contractMonth
        spec.industry,
        spec.category,
        spec.subcategory,
        spec.time_zone_id,
        spec.trading_hours,
        spec.liquid_hours,
        "",  # evRule
        0,  # evMultiplier
        *sec_ids,
        0,  # aggGroup
        spec.under_symbol,
        spec.under_sec_type,
        spec.market_rule_ids,
        spec.last_trade_date,  # realExpirationDate
        spec.stock_type,
        *v.between(Feature.FRACTIONAL_SIZE_SUPPORT, Feature.SIZE_RULES, spec.size_increment),  # sizeMinTick
        *v.since(Feature.SIZE_RULES, spec.min_size, spec.size_increment, spec.size_increment),  # + suggested
        *v.since(Feature.INELIGIBILITY_REASONS, 0),  # ineligibility reasons
    )


@_message
def contract_data_end(req_id: int) -> Fields:
    return (Out.CONTRACT_DATA_END, 1, req_id)


@_message
def tick_price(req_id: int, tick_type: int, price: float, size: int | Decimal, attr_mask: int = 0) -> Fields:
    return (Out.TICK_PRICE, 6, req_id, tick_type, price, size, attr_mask)


@_message
def tick_size(req_id: int, tick_type: int, size: int | Decimal) -> Fields:
    return (Out.TICK_SIZE, 6, req_id, tick_type, size)


@_message
def tick_option_computation(
    req_id: int,
    tick_type: int,
    tick_attrib: int,
    implied_vol: float,
    delta: float,
    opt_price: float,
    pv_dividend: float,
    gamma: float,
    vega: float,
    theta: float,
    und_price: float,
) -> Fields:
    """From server version 156 on: no version field, tickAttrib (0 return-based, 1 price-based) after the type."""
    return (
        Out.TICK_OPTION_COMPUTATION,
        req_id,
        tick_type,
        tick_attrib,
        implied_vol,
        delta,
        opt_price,
        pv_dividend,
        gamma,
        vega,
        theta,
        und_price,
    )


@_message
def security_definition_option_parameter(
    req_id: int,
    exchange: str,
    underlying_con_id: int,
    trading_class: str,
    multiplier: str,
    expirations: tuple[str, ...],
    strikes: tuple[float, ...],
) -> Fields:
    return (
        Out.SECURITY_DEFINITION_OPTION_PARAMETER,
        req_id,
        exchange,
        underlying_con_id,
        trading_class,
        multiplier,
        len(expirations),
        *expirations,
        len(strikes),
        *strikes,
    )


@_message
def security_definition_option_parameter_end(req_id: int) -> Fields:
    return (Out.SECURITY_DEFINITION_OPTION_PARAMETER_END, req_id)


@_message
def tick_req_params(req_id: int, min_tick: float, bbo_exchange: str, snapshot_permissions: int) -> Fields:
    return (Out.TICK_REQ_PARAMS, req_id, min_tick, bbo_exchange, snapshot_permissions)


@_message
def tick_snapshot_end(req_id: int) -> Fields:
    return (Out.TICK_SNAPSHOT_END, 1, req_id)


@_message
def tick_by_tick_bid_ask(
    req_id: int, ts: int, bid: float, ask: float, bid_size: int, ask_size: int, mask: int = 0
) -> Fields:
    return (Out.TICK_BY_TICK, req_id, 3, ts, bid, ask, bid_size, ask_size, mask)


@_message
def tick_by_tick_last(req_id: int, tick_type: int, ts: int, price: float, size: int, exchange: str) -> Fields:
    return (Out.TICK_BY_TICK, req_id, tick_type, ts, price, size, 0, exchange, "")


@_message
def tick_by_tick_midpoint(req_id: int, ts: int, mid: float) -> Fields:
    return (Out.TICK_BY_TICK, req_id, 4, ts, mid)


def _bar_values(bar: Bar) -> Fields:
    """A bar's values in the order both bar messages carry them, after the bar's time."""
    return (bar.open, bar.high, bar.low, bar.close, bar.volume, bar.wap, bar.count)


@_message
def realtime_bar(req_id: int, bar: Bar) -> Fields:
    return (Out.REAL_TIME_BARS, 3, req_id, bar.start, *_bar_values(bar))


def historical_data(
    req_id: int, bars: list[Bar], bar_seconds: int, format_date: int, start: str, end: str, v: Wire = LATEST
) -> list[Fields]:
    """The bars and the end-of-data marker: its own historicalDataEnd message from HISTORICAL_DATA_END on,
    before that the start/end texts inside historicalData."""
    data = historical_bars(req_id, bars, bar_seconds, format_date, start, end, v)
    return [data, historical_data_end(req_id, start, end)] if v.has(Feature.HISTORICAL_DATA_END) else [data]


@_message
def historical_bars(
    req_id: int, bars: list[Bar], bar_seconds: int, format_date: int, start: str, end: str, v: Wire = LATEST
) -> Fields:
    """historicalData itself: the bars, and before HISTORICAL_DATA_END the start/end texts."""
    rows: list[object] = []
    for bar in bars:
        rows += [format_bar_time(bar.start, bar_seconds, format_date), *_bar_values(bar)]
    return (Out.HISTORICAL_DATA, req_id, *v.before(Feature.HISTORICAL_DATA_END, start, end), len(bars), *rows)


@_message
def historical_data_end(req_id: int, start: str, end: str) -> Fields:
    return (Out.HISTORICAL_DATA_END, req_id, start, end)


@_message
def historical_data_update(req_id: int, bar: Bar, bar_seconds: int, format_date: int) -> Fields:
    return (
        Out.HISTORICAL_DATA_UPDATE,
        req_id,
        bar.count,
        format_bar_time(bar.start, bar_seconds, format_date),
        bar.open,
        bar.close,
        bar.high,
        bar.low,
        bar.wap,
        bar.volume,
    )


@_message
def historical_ticks(req_id: int, what: str, ticks: list[Tick], done: bool = True) -> Fields:
    """historicalTicks (MIDPOINT), historicalTicksBidAsk (BID_ASK) or historicalTicksLast (TRADES): the
    same layout at every server version 157..200. Attribute masks are 0 (no past-high/low, no unreported)."""
    rows: list[object] = []
    if what == "BID_ASK":
        msg_id = Out.HISTORICAL_TICKS_BID_ASK
        for t in ticks:
            assert isinstance(t, QuoteTick)
            rows += [t.time, 0, t.bid, t.ask, t.bid_size, t.ask_size]
    elif what == "TRADES":
        msg_id = Out.HISTORICAL_TICKS_LAST
        for t in ticks:
            assert isinstance(t, TradeTick)
            rows += [t.time, 0, t.price, t.size, t.exchange, ""]
    else:
        msg_id = Out.HISTORICAL_TICKS
        for t in ticks:
            assert isinstance(t, MidTick)
            rows += [t.time, 0, t.price, 0]
    return (msg_id, req_id, len(ticks), *rows, done)


@_message
def order_status(order: Order) -> Fields:
    return (
        Out.ORDER_STATUS,
        order.order_id,
        order.status,
        order.filled,
        order.remaining if order.is_open or order.status == "Filled" else Decimal(0),
        order.avg_fill_price,
        order.perm_id,
        order.request.parent_id,
        order.last_fill_price,
        order.client_id,
        "",  # whyHeld
        0.0,  # mktCapPrice
    )


@_message
def open_order(order: Order, account: str, v: Wire = LATEST, impact: MarginImpact | None = None) -> Fields:
    """openOrder: ~150 fields at server version 200, most of them defaults, in ibapi's OrderDecoder order. A
    what-if order's carries its ``impact`` on the account's margin and its commission."""
    req = order.request
    u = ""  # an unset numeric field
    trail_stop = order_trail_stop(order)
    return (
        Out.OPEN_ORDER,
        req.order_id,
        *_contract_head(req.spec),
        req.action,
        req.quantity,
        req.order_type,
        order.limit_price or 0.0,  # IB: 0.0 where the order type has no limit price (a market order)
        _aux_price(order, u),
        req.tif,
        req.oca_group,
        req.account or account,
        "",  # openClose
        0,  # origin: customer
        req.order_ref,
        req.client_id,
        order.perm_id,
        req.outside_rth,
        False,  # hidden
        0.0,  # discretionaryAmt
        "",  # goodAfterTime
        "",  # sharesAllocation (deprecated)
        "",  # faGroup
        "",  # faMethod
        "",  # faPercentage
        *v.before(Feature.FA_PROFILE_DESUPPORT, ""),  # faProfile
        "",  # modelCode
        req.good_till_date,
        "",  # rule80A
        u,  # percentOffset
        "",  # settlingFirm
        0,  # shortSaleSlot
        "",  # designatedLocation
        -1,  # exemptCode
        0,  # auctionStrategy
        u,  # startingPrice
        u,  # stockRefPrice
        u,  # delta
        u,  # stockRangeLower
        u,  # stockRangeUpper
        u,  # displaySize
        False,  # blockOrder
        False,  # sweepToFill
        False,  # allOrNone
        u,  # minQty
        req.oca_type or DEFAULT_OCA_TYPE,
        False,  # eTradeOnly (deprecated)
        False,  # firmQuoteOnly (deprecated)
        u,  # nbboPriceCap (deprecated)
        req.parent_id,
        req.trigger_method,
        u,  # volatility
        0,  # volatilityType
        "",  # deltaNeutralOrderType
        u,  # deltaNeutralAuxPrice
        False,  # continuousUpdate
        0,  # referencePriceType
        u if trail_stop is None else trail_stop,
        u if req.trailing_percent is None else req.trailing_percent,
        u,  # basisPoints
        u,  # basisPointsType
        *_combo_legs(order),
        0,  # orderComboLegs count
        0,  # smartComboRoutingParams count
        u,  # scaleInitLevelSize
        u,  # scaleSubsLevelSize
        u,  # scalePriceIncrement
        "",  # hedgeType
        False,  # optOutSmartRouting
        "",  # clearingAccount
        "",  # clearingIntent
        False,  # notHeld
        False,  # deltaNeutralContract present
        "",  # algoStrategy
        False,  # solicited
        impact is not None,  # whatIf
        order.status,
        *_margins(impact),
        u if impact is None else impact.commission,
        u,  # minCommissionAndFees
        u,  # maxCommissionAndFees
        "" if impact is None else "USD",  # commissionAndFeesCurrency
        *v.since(
            Feature.FULL_ORDER_PREVIEW_FIELDS,
            "" if impact is None else "USD",  # marginCurrency
            *(u,) * 9,  # init/maint/equityWithLoan before, change and after, outside regular hours
            "",  # suggestedSize
            "",  # rejectReason
            0,  # orderAllocations count
        ),
        "",  # warningText
        False,  # randomizeSize
        False,  # randomizePrice
        *_conditions(req.conditions, req.conditions_ignore_rth, req.conditions_cancel_order),
        "",  # adjustedOrderType
        UNSET_DOUBLE,  # triggerPrice
        UNSET_DOUBLE if trail_stop is None else trail_stop,
        UNSET_DOUBLE if req.lmt_price_offset is None else req.lmt_price_offset,
        UNSET_DOUBLE,  # adjustedStopPrice
        UNSET_DOUBLE,  # adjustedStopLimitPrice
        UNSET_DOUBLE,  # adjustedTrailingAmount
        0,  # adjustableTrailingUnit
        "",  # softDollarTier name
        "",  # softDollarTier value
        "",  # softDollarTier displayName
        0.0,  # cashQty
        False,  # dontUseAutoPriceForHedge
        False,  # isOmsContainer
        False,  # discretionaryUpToLimitPrice
        False,  # usePriceMgmtAlgo
        *v.since(Feature.DURATION, u),
        *v.since(Feature.POST_TO_ATS, u),
        *v.since(Feature.AUTO_CANCEL_PARENT, False),
        *v.since(Feature.PEGBEST_PEGMID_OFFSETS, u, u, u, u, u),  # minTradeQty .. midOffsetAtHalf
        *v.since(Feature.CUSTOMER_ACCOUNT, ""),
        *v.since(Feature.PROFESSIONAL_CUSTOMER, False),
        *v.since(Feature.BOND_ACCRUED_INTEREST, ""),
        *v.since(Feature.INCLUDE_OVERNIGHT, False),
        *v.since(Feature.CME_TAGGING_FIELDS_IN_OPEN_ORDER, "", u),  # extOperator, manualOrderIndicator
        *v.since(Feature.SUBMITTER, ""),
        *v.since(Feature.IMBALANCE_ONLY, False),
    )


def combo_legs_descrip(combo: Combo) -> str:
    """IB's comboLegsDescrip: ``conId|ratio`` per leg, the ratio negative for a SELL leg."""
    return ",".join(f"{leg.spec.con_id}|{leg.sign * leg.ratio}" for leg in combo.legs)


def _combo_legs(order: Order) -> Fields:
    """comboLegsDescrip, then the legs as ``OrderDecoder.decodeComboLegs`` reads them."""
    combo = order.request.combo
    if combo is None:
        return ("", 0)
    fields: list[object] = [combo_legs_descrip(combo), len(combo.legs)]
    for leg in combo.legs:
        fields += [leg.spec.con_id, leg.ratio, leg.action, leg.spec.exchange, 0, 0, "", -1]
    return tuple(fields)


def order_trail_stop(order: Order) -> float | None:
    """A trailing order's stop price as openOrder shows it: the current one once it works, else the initial one."""
    return order.trail_stop if order.trail_stop is not None else order.request.trail_stop_price


def _aux_price(order: Order, unset: object) -> object:
    """auxPrice: a stop's price, a trailing order's amount (unset when it trails by a percent), else 0.0."""
    req = order.request
    if req.aux_price is not None:
        return req.aux_price
    return unset if req.order_type in TRAILING else 0.0


def _margins(impact: MarginImpact | None) -> Fields:
    """Init/maint margin and equity with loan before, change and after; IB's max-double text when not a what-if."""
    if impact is None:
        return (UNSET_DOUBLE,) * 9
    i = impact
    before = (i.init_before, i.maint_before, i.equity_before)
    after = (i.init_after, i.maint_after, i.equity_after)
    change = tuple(a - b for a, b in zip(after, before, strict=True))
    return tuple(f"{value:.2f}" for value in (*before, *change, *after))


def _conditions(conditions: tuple[Condition, ...], ignore_rth: bool, cancel_order: bool) -> Fields:
    """The conditions as ``OrderCondition.decode`` reads them, then conditionsIgnoreRth and conditionsCancelOrder."""
    if not conditions:
        return (0,)
    fields: list[object] = [len(conditions)]
    for c in conditions:
        fields += [c.kind, "a" if c.conjunction_and else "o"]
        if c.kind == EXECUTION:
            fields += [c.sec_type, c.exchange, c.symbol]
            continue
        fields += [c.is_more, c.value]
        if c.kind in CONTRACT_CONDITIONS:
            fields += [c.con_id, c.exchange]
        if c.kind == PRICE:
            fields.append(c.trigger_method)
    return (*fields, ignore_rth, cancel_order)


@_message
def open_order_end() -> Fields:
    return (Out.OPEN_ORDER_END, 1)


@_message
def exec_details(req_id: int, ex: Execution, v: Wire = LATEST) -> Fields:
    return (
        Out.EXECUTION_DATA,
        req_id,
        ex.order_id,
        *_contract_head(ex.spec),
        ex.exec_id,
        ex.time_text,
        ex.account,
        ex.spec.primary_exchange or ex.spec.exchange,
        ex.side,
        ex.shares,
        ex.price,
        ex.perm_id,
        ex.client_id,
        0,  # liquidation
        ex.cum_qty,
        ex.avg_price,
        ex.order_ref,
        "",  # evRule
        "",  # evMultiplier
        "",  # modelCode
        2,  # lastLiquidity: removed liquidity
        *v.since(Feature.PENDING_PRICE_REVISION, False),
        *v.since(Feature.SUBMITTER, ""),
    )


@_message
def exec_details_end(req_id: int) -> Fields:
    return (Out.EXECUTION_DATA_END, 1, req_id)


@_message
def commission_report(ex: Execution) -> Fields:
    realized = ex.realized_pnl if ex.realized_pnl else UNSET_DOUBLE
    return (Out.COMMISSION_REPORT, 1, ex.exec_id, ex.commission, "USD", realized, UNSET_DOUBLE, 0)


@_message
def position(account: str, pos: Position) -> Fields:
    head = list(_contract_head(pos.spec))
    head[7] = ""  # IB sends position messages with an empty exchange
    return (Out.POSITION_DATA, 3, account, *head, pos.quantity, pos.avg_cost)


@_message
def position_end() -> Fields:
    return (Out.POSITION_END, 1)


@_message
def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> Fields:
    return (Out.ACCOUNT_SUMMARY, 1, req_id, account, tag, value, currency)


@_message
def account_summary_end(req_id: int) -> Fields:
    return (Out.ACCOUNT_SUMMARY_END, 1, req_id)


@_message
def account_value(key: str, value: str, currency: str, account: str) -> Fields:
    return (Out.ACCT_VALUE, 2, key, value, currency, account)


@_message
def portfolio_value(pos: Position, market_price: float, unrealized: float, account: str) -> Fields:
    spec = pos.spec
    return (
        Out.PORTFOLIO_VALUE,
        8,
        spec.con_id,
        spec.symbol,
        spec.sec_type,
        spec.last_trade_date,
        spec.strike,
        spec.right,
        spec.multiplier,
        spec.primary_exchange or spec.exchange,
        spec.currency,
        spec.local_symbol,
        spec.trading_class,
        pos.quantity,
        market_price,
        round(float(pos.quantity) * market_price * pos.multiplier, 2),
        pos.avg_cost,
        round(unrealized, 2),
        round(pos.realized_pnl, 2),
        account,
    )


@_message
def account_update_time(hhmm: str) -> Fields:
    return (Out.ACCT_UPDATE_TIME, 1, hhmm)


@_message
def account_download_end(account: str) -> Fields:
    return (Out.ACCT_DOWNLOAD_END, 1, account)


@_message
def pnl(req_id: int, daily: float, unrealized: float, realized: float) -> Fields:
    return (Out.PNL, req_id, round(daily, 2), round(unrealized, 2), round(realized, 2))


@_message
def pnl_single(
    req_id: int, quantity: Decimal, daily: float, unrealized: float, realized: float, value: float
) -> Fields:
    return (
        Out.PNL_SINGLE,
        req_id,
        quantity,
        round(daily, 2),
        round(unrealized, 2),
        round(realized, 2),
        round(value, 2),
    )
