"""The protobuf form of the messages the gateway sends (server versions 201..226).

Each encoder takes the same arguments as its text twin in :mod:`messages` and returns the message built
with the classes IB publishes in ``ibapi.protobuf``. Where the forms differ in meaning this follows IB's
protobuf form: an unset double is absent rather than max-double, quantities are decimal strings, the
commission report is a ``CommissionAndFeesReport``, and an error always carries its time. The protobuf
layouts do not change with the server version, so the ``v`` argument of some text encoders is taken and unused.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from google.protobuf.message import Message as Proto
from ibapi.protobuf.AccountDataEnd_pb2 import AccountDataEnd
from ibapi.protobuf.AccountSummary_pb2 import AccountSummary
from ibapi.protobuf.AccountSummaryEnd_pb2 import AccountSummaryEnd
from ibapi.protobuf.AccountUpdateTime_pb2 import AccountUpdateTime
from ibapi.protobuf.AccountValue_pb2 import AccountValue
from ibapi.protobuf.CommissionAndFeesReport_pb2 import CommissionAndFeesReport
from ibapi.protobuf.Contract_pb2 import Contract
from ibapi.protobuf.ContractData_pb2 import ContractData
from ibapi.protobuf.ContractDataEnd_pb2 import ContractDataEnd
from ibapi.protobuf.CurrentTime_pb2 import CurrentTime
from ibapi.protobuf.CurrentTimeInMillis_pb2 import CurrentTimeInMillis
from ibapi.protobuf.ErrorMessage_pb2 import ErrorMessage
from ibapi.protobuf.ExecutionDetails_pb2 import ExecutionDetails
from ibapi.protobuf.ExecutionDetailsEnd_pb2 import ExecutionDetailsEnd
from ibapi.protobuf.HistoricalData_pb2 import HistoricalData
from ibapi.protobuf.HistoricalDataBar_pb2 import HistoricalDataBar
from ibapi.protobuf.HistoricalDataEnd_pb2 import HistoricalDataEnd
from ibapi.protobuf.HistoricalDataUpdate_pb2 import HistoricalDataUpdate
from ibapi.protobuf.HistoricalTicks_pb2 import HistoricalTicks
from ibapi.protobuf.HistoricalTicksBidAsk_pb2 import HistoricalTicksBidAsk
from ibapi.protobuf.HistoricalTicksLast_pb2 import HistoricalTicksLast
from ibapi.protobuf.ManagedAccounts_pb2 import ManagedAccounts
from ibapi.protobuf.MarketDataType_pb2 import MarketDataType
from ibapi.protobuf.NextValidId_pb2 import NextValidId
from ibapi.protobuf.OpenOrder_pb2 import OpenOrder
from ibapi.protobuf.OpenOrdersEnd_pb2 import OpenOrdersEnd
from ibapi.protobuf.OrderStatus_pb2 import OrderStatus
from ibapi.protobuf.PnL_pb2 import PnL
from ibapi.protobuf.PnLSingle_pb2 import PnLSingle
from ibapi.protobuf.PortfolioValue_pb2 import PortfolioValue
from ibapi.protobuf.Position_pb2 import Position as PositionProto
from ibapi.protobuf.PositionEnd_pb2 import PositionEnd
from ibapi.protobuf.RealTimeBarTick_pb2 import RealTimeBarTick
from ibapi.protobuf.SecDefOptParameter_pb2 import SecDefOptParameter
from ibapi.protobuf.SecDefOptParameterEnd_pb2 import SecDefOptParameterEnd
from ibapi.protobuf.TickByTickData_pb2 import TickByTickData
from ibapi.protobuf.TickOptionComputation_pb2 import TickOptionComputation
from ibapi.protobuf.TickPrice_pb2 import TickPrice
from ibapi.protobuf.TickReqParams_pb2 import TickReqParams
from ibapi.protobuf.TickSize_pb2 import TickSize
from ibapi.protobuf.TickSnapshotEnd_pb2 import TickSnapshotEnd

from nautilus_node.ib.orders import TRAILING
from nautilus_node.simgateway.account import MarginImpact
from nautilus_node.simgateway.bars import Bar, format_bar_time
from nautilus_node.simgateway.broker import DEFAULT_OCA_TYPE, Execution, Order, Position
from nautilus_node.simgateway.codec import encode_field
from nautilus_node.simgateway.contracts import ContractSpec
from nautilus_node.simgateway.messages import combo_legs_descrip
from nautilus_node.simgateway.place_order import (
    CONTRACT_CONDITIONS,
    EXECUTION,
    MARGIN,
    PRICE,
    TIME,
    VOLUME,
    Condition,
)
from nautilus_node.simgateway.ticks import MidTick, QuoteTick, Tick, TradeTick


def _text(value: object) -> str:
    """A decimal (a quantity, a size) or number as IB writes it in a protobuf string field."""
    return encode_field(value)


def _contract(spec: ContractSpec, exchange: str | None = None) -> Contract:
    """conId .. tradingClass, as execDetails, openOrder, position and portfolio carry them."""
    c = Contract(
        conId=spec.con_id,
        symbol=spec.symbol,
        secType=spec.sec_type,
        lastTradeDateOrContractMonth=spec.last_trade_date,
        strike=spec.strike,
        right=spec.right,
        exchange=spec.exchange if exchange is None else exchange,
        currency=spec.currency,
        localSymbol=spec.local_symbol,
        tradingClass=spec.trading_class,
    )
    if spec.multiplier:
        c.multiplier = float(spec.multiplier)
    return c


def error(req_id: int, code: int, message: str, time_ms: int, advanced_json: str = "", v: object = None) -> Proto:
    return ErrorMessage(
        id=req_id, errorCode=code, errorMsg=message, advancedOrderRejectJson=advanced_json, errorTime=time_ms
    )


def managed_accounts(accounts: str) -> Proto:
    return ManagedAccounts(accountsList=accounts)


def next_valid_id(order_id: int) -> Proto:
    return NextValidId(orderId=order_id)


def current_time(seconds: int) -> Proto:
    return CurrentTime(currentTime=seconds)


def current_time_in_millis(millis: int) -> Proto:
    return CurrentTimeInMillis(currentTimeInMillis=millis)


def market_data_type(req_id: int, data_type: int) -> Proto:
    return MarketDataType(reqId=req_id, marketDataType=data_type)


def contract_data(req_id: int, spec: ContractSpec, exchange: str, v: object = None) -> Proto:
    contract = _contract(spec, exchange)
    contract.primaryExch = spec.primary_exchange
    contract.lastTradeDate = spec.last_trade_date
    msg = ContractData(reqId=req_id, contract=contract)
    d = msg.contractDetails
    d.marketName = spec.market_name
    d.minTick = _text(spec.min_tick)
    d.orderTypes = spec.order_types
    d.validExchanges = spec.valid_exchanges
    d.priceMagnifier = 1
    d.underConId = spec.under_con_id
    d.longName = spec.long_name
    d.contractMonth = spec.contract_month or spec.last_trade_date[:6]
    d.industry, d.category, d.subcategory = spec.industry, spec.category, spec.subcategory
    d.timeZoneId = spec.time_zone_id
    d.tradingHours, d.liquidHours = spec.trading_hours, spec.liquid_hours
    d.evRule = ""
    d.secIdList.update(spec.sec_ids)
    d.aggGroup = 0
    d.underSymbol, d.underSecType = spec.under_symbol, spec.under_sec_type
    d.marketRuleIds = spec.market_rule_ids
    d.realExpirationDate = spec.last_trade_date
    d.stockType = spec.stock_type
    d.minSize = _text(spec.min_size)
    d.sizeIncrement = d.suggestedSizeIncrement = _text(spec.size_increment)
    return msg


def contract_data_end(req_id: int) -> Proto:
    return ContractDataEnd(reqId=req_id)


def tick_price(req_id: int, tick_type: int, price: float, size: int | Decimal, attr_mask: int = 0) -> Proto:
    return TickPrice(reqId=req_id, tickType=tick_type, price=price, size=_text(size), attrMask=attr_mask)


def tick_size(req_id: int, tick_type: int, size: int | Decimal) -> Proto:
    return TickSize(reqId=req_id, tickType=tick_type, size=_text(size))


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
) -> Proto:
    return TickOptionComputation(
        reqId=req_id,
        tickType=tick_type,
        tickAttrib=tick_attrib,
        impliedVol=implied_vol,
        delta=delta,
        optPrice=opt_price,
        pvDividend=pv_dividend,
        gamma=gamma,
        vega=vega,
        theta=theta,
        undPrice=und_price,
    )


def security_definition_option_parameter(
    req_id: int,
    exchange: str,
    underlying_con_id: int,
    trading_class: str,
    multiplier: str,
    expirations: tuple[str, ...],
    strikes: tuple[float, ...],
) -> Proto:
    return SecDefOptParameter(
        reqId=req_id,
        exchange=exchange,
        underlyingConId=underlying_con_id,
        tradingClass=trading_class,
        multiplier=multiplier,
        expirations=expirations,
        strikes=strikes,
    )


def security_definition_option_parameter_end(req_id: int) -> Proto:
    return SecDefOptParameterEnd(reqId=req_id)


def tick_req_params(req_id: int, min_tick: float, bbo_exchange: str, snapshot_permissions: int) -> Proto:
    return TickReqParams(
        reqId=req_id, minTick=_text(min_tick), bboExchange=bbo_exchange, snapshotPermissions=snapshot_permissions
    )


def tick_snapshot_end(req_id: int) -> Proto:
    return TickSnapshotEnd(reqId=req_id)


def tick_by_tick_bid_ask(
    req_id: int, ts: int, bid: float, ask: float, bid_size: int, ask_size: int, mask: int = 0
) -> Proto:
    msg = TickByTickData(reqId=req_id, tickType=3)
    t = msg.historicalTickBidAsk
    t.time, t.priceBid, t.priceAsk, t.sizeBid, t.sizeAsk = ts, bid, ask, _text(bid_size), _text(ask_size)
    t.tickAttribBidAsk.bidPastLow, t.tickAttribBidAsk.askPastHigh = bool(mask & 1), bool(mask & 2)
    return msg


def tick_by_tick_last(req_id: int, tick_type: int, ts: int, price: float, size: int, exchange: str) -> Proto:
    msg = TickByTickData(reqId=req_id, tickType=tick_type)
    t = msg.historicalTickLast
    t.time, t.price, t.size, t.exchange, t.specialConditions = ts, price, _text(size), exchange, ""
    t.tickAttribLast.pastLimit = t.tickAttribLast.unreported = False
    return msg


def tick_by_tick_midpoint(req_id: int, ts: int, mid: float) -> Proto:
    msg = TickByTickData(reqId=req_id, tickType=4)
    msg.historicalTickMidPoint.time, msg.historicalTickMidPoint.price = ts, mid
    return msg


def _bar(bar: Bar, date: str) -> HistoricalDataBar:
    return HistoricalDataBar(
        date=date,
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=_text(bar.volume),
        WAP=_text(bar.wap),
        barCount=bar.count,
    )


def realtime_bar(req_id: int, bar: Bar) -> Proto:
    return RealTimeBarTick(
        reqId=req_id,
        time=bar.start,
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=_text(bar.volume),
        WAP=_text(bar.wap),
        count=bar.count,
    )


def historical_bars(
    req_id: int, bars: list[Bar], bar_seconds: int, format_date: int, start: str, end: str, v: object = None
) -> Proto:
    rows = [_bar(bar, format_bar_time(bar.start, bar_seconds, format_date)) for bar in bars]
    return HistoricalData(reqId=req_id, historicalDataBars=rows)


def historical_data_end(req_id: int, start: str, end: str) -> Proto:
    return HistoricalDataEnd(reqId=req_id, startDateStr=start, endDateStr=end)


def historical_data_update(req_id: int, bar: Bar, bar_seconds: int, format_date: int) -> Proto:
    row = _bar(bar, format_bar_time(bar.start, bar_seconds, format_date))
    return HistoricalDataUpdate(reqId=req_id, historicalDataBar=row)


def historical_ticks(req_id: int, what: str, ticks: list[Tick], done: bool = True) -> Proto:
    if what == "BID_ASK":
        msg = HistoricalTicksBidAsk(reqId=req_id, isDone=done)
        for t in ticks:
            assert isinstance(t, QuoteTick)
            row = msg.historicalTicksBidAsk.add(
                time=t.time, priceBid=t.bid, priceAsk=t.ask, sizeBid=_text(t.bid_size), sizeAsk=_text(t.ask_size)
            )
            row.tickAttribBidAsk.bidPastLow = row.tickAttribBidAsk.askPastHigh = False
        return msg
    if what == "TRADES":
        msg_last = HistoricalTicksLast(reqId=req_id, isDone=done)
        for t in ticks:
            assert isinstance(t, TradeTick)
            row = msg_last.historicalTicksLast.add(
                time=t.time, price=t.price, size=_text(t.size), exchange=t.exchange, specialConditions=""
            )
            row.tickAttribLast.pastLimit = row.tickAttribLast.unreported = False
        return msg_last
    msg_mid = HistoricalTicks(reqId=req_id, isDone=done)
    for t in ticks:
        assert isinstance(t, MidTick)
        msg_mid.historicalTicks.add(time=t.time, price=t.price, size="0")
    return msg_mid


def order_status(order: Order) -> Proto:
    return OrderStatus(
        orderId=order.order_id,
        status=order.status,
        filled=_text(order.filled),
        remaining=_text(order.remaining if order.is_open or order.status == "Filled" else Decimal(0)),
        avgFillPrice=order.avg_fill_price,
        permId=order.perm_id,
        parentId=order.request.parent_id,
        lastFillPrice=order.last_fill_price,
        clientId=order.client_id,
        whyHeld="",
        mktCapPrice=0.0,
    )


def open_order(order: Order, account: str, v: object = None, impact: MarginImpact | None = None) -> Proto:
    """The order's contract, its fields that are set, and its state; unset prices and margins are absent. A
    what-if order's state carries its ``impact`` on the account's margin and its commission."""
    req = order.request
    msg = OpenOrder(orderId=req.order_id, contract=_contract(req.spec))
    if req.combo is not None:
        msg.contract.comboLegsDescrip = combo_legs_descrip(req.combo)
        for leg in req.combo.legs:
            msg.contract.comboLegs.add(
                conId=leg.spec.con_id, ratio=leg.ratio, action=leg.action, exchange=leg.spec.exchange, exemptCode=-1
            )
    o = msg.order
    o.orderId, o.clientId, o.permId, o.parentId = req.order_id, req.client_id, order.perm_id, req.parent_id
    o.action, o.totalQuantity, o.orderType = req.action, _text(req.quantity), req.order_type
    o.lmtPrice = order.limit_price or 0.0  # IB: 0.0 where the order type has no limit price (a market order)
    if req.aux_price is not None or req.order_type not in TRAILING:  # a trailing percent order has no amount
        o.auxPrice = req.aux_price or 0.0
    _trailing_fields(o, order)
    o.tif, o.ocaGroup, o.account = req.tif, req.oca_group, req.account or account
    o.openClose, o.origin, o.orderRef = "", 0, req.order_ref
    o.outsideRth, o.hidden, o.discretionaryAmt = req.outside_rth, False, 0.0
    o.goodAfterTime, o.goodTillDate = "", req.good_till_date
    o.faGroup = o.faMethod = o.faPercentage = o.modelCode = o.rule80A = o.settlingFirm = ""
    o.shortSaleSlot, o.designatedLocation, o.exemptCode = 0, "", -1
    o.blockOrder = o.sweepToFill = o.allOrNone = False
    o.ocaType = req.oca_type or DEFAULT_OCA_TYPE
    o.triggerMethod, o.volatilityType, o.referencePriceType = req.trigger_method, 0, 0
    o.deltaNeutralOrderType, o.continuousUpdate = "", False
    o.hedgeType, o.optOutSmartRouting, o.clearingAccount, o.clearingIntent, o.notHeld = "", False, "", "", False
    o.algoStrategy, o.solicited, o.whatIf = "", False, impact is not None
    o.randomizeSize = o.randomizePrice = False
    o.adjustedOrderType, o.adjustableTrailingUnit, o.cashQty = "", 0, 0.0
    o.dontUseAutoPriceForHedge = o.isOmsContainer = o.discretionaryUpToLimitPrice = o.usePriceMgmtAlgo = False
    o.autoCancelParent, o.customerAccount, o.professionalCustomer = False, "", False
    o.bondAccruedInterest, o.includeOvernight, o.extOperator, o.submitter, o.imbalanceOnly = "", False, "", "", False
    for condition in req.conditions:
        _condition(o.conditions.add(), condition)
    if req.conditions:
        o.conditionsIgnoreRth, o.conditionsCancelOrder = req.conditions_ignore_rth, req.conditions_cancel_order
    state = msg.orderState
    state.status = order.status
    state.commissionAndFeesCurrency = state.marginCurrency = state.rejectReason = ""
    state.warningText = ""
    if impact is not None:
        _impact(state, impact)
    return msg


def _trailing_fields(o: Proto, order: Order) -> None:
    req = order.request
    stop = order.trail_stop if order.trail_stop is not None else req.trail_stop_price
    if stop is not None:
        o.trailStopPrice = stop
    if req.trailing_percent is not None:
        o.trailingPercent = req.trailing_percent
    if req.lmt_price_offset is not None:
        o.lmtPriceOffset = req.lmt_price_offset


def _condition(proto: Proto, c: Condition) -> None:
    """One condition as IB's protobuf carries it: only the fields of its type."""
    proto.type, proto.isConjunctionConnection = c.kind, c.conjunction_and
    if c.kind == EXECUTION:
        proto.secType, proto.exchange, proto.symbol = c.sec_type, c.exchange, c.symbol
        return
    proto.isMore = c.is_more
    if c.kind in CONTRACT_CONDITIONS:
        proto.conId, proto.exchange = c.con_id, c.exchange
    if c.kind == PRICE:
        proto.price, proto.triggerMethod = float(c.value), c.trigger_method
    elif c.kind == TIME:
        proto.time = c.value
    elif c.kind == MARGIN:
        proto.percent = int(float(c.value))
    elif c.kind == VOLUME:
        proto.volume = int(c.value)
    else:
        proto.changePercent = float(c.value)


def _impact(state: Proto, i: MarginImpact) -> None:
    state.initMarginBefore, state.maintMarginBefore, state.equityWithLoanBefore = (
        i.init_before,
        i.maint_before,
        i.equity_before,
    )
    state.initMarginAfter, state.maintMarginAfter, state.equityWithLoanAfter = (
        i.init_after,
        i.maint_after,
        i.equity_after,
    )
    state.initMarginChange = i.init_after - i.init_before
    state.maintMarginChange = i.maint_after - i.maint_before
    state.equityWithLoanChange = i.equity_after - i.equity_before
    state.commissionAndFees = i.commission
    state.commissionAndFeesCurrency = state.marginCurrency = "USD"


def open_order_end() -> Proto:
    return OpenOrdersEnd()


def exec_details(req_id: int, ex: Execution, v: object = None) -> Proto:
    msg = ExecutionDetails(reqId=req_id, contract=_contract(ex.spec))
    e = msg.execution
    e.orderId, e.clientId, e.permId, e.execId = ex.order_id, ex.client_id, ex.perm_id, ex.exec_id
    e.time, e.acctNumber, e.exchange = ex.time_text, ex.account, ex.spec.primary_exchange or ex.spec.exchange
    e.side, e.shares, e.price = ex.side, _text(ex.shares), ex.price
    e.isLiquidation, e.cumQty, e.avgPrice, e.orderRef = False, _text(ex.cum_qty), ex.avg_price, ex.order_ref
    e.evRule, e.modelCode, e.lastLiquidity = "", "", 2  # lastLiquidity: removed liquidity
    e.isPriceRevisionPending, e.submitter = False, ""
    return msg


def exec_details_end(req_id: int) -> Proto:
    return ExecutionDetailsEnd(reqId=req_id)


def commission_report(ex: Execution) -> Proto:
    msg = CommissionAndFeesReport(execId=ex.exec_id, commissionAndFees=ex.commission, currency="USD")
    if ex.realized_pnl:
        msg.realizedPNL = ex.realized_pnl
    return msg


def position(account: str, pos: Position) -> Proto:
    contract = _contract(pos.spec, exchange="")  # IB sends position messages with an empty exchange
    return PositionProto(account=account, contract=contract, position=_text(pos.quantity), avgCost=pos.avg_cost)


def position_end() -> Proto:
    return PositionEnd()


def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> Proto:
    return AccountSummary(reqId=req_id, account=account, tag=tag, value=value, currency=currency)


def account_summary_end(req_id: int) -> Proto:
    return AccountSummaryEnd(reqId=req_id)


def account_value(key: str, value: str, currency: str, account: str) -> Proto:
    return AccountValue(key=key, value=value, currency=currency, accountName=account)


def portfolio_value(pos: Position, market_price: float, unrealized: float, account: str) -> Proto:
    spec = pos.spec
    contract = _contract(spec, exchange="")  # the text form's exchange field is read as the primary exchange
    contract.primaryExch = spec.primary_exchange or spec.exchange
    return PortfolioValue(
        contract=contract,
        position=_text(pos.quantity),
        marketPrice=market_price,
        marketValue=round(float(pos.quantity) * market_price * pos.multiplier, 2),
        averageCost=pos.avg_cost,
        unrealizedPNL=round(unrealized, 2),
        realizedPNL=round(pos.realized_pnl, 2),
        accountName=account,
    )


def account_update_time(hhmm: str) -> Proto:
    return AccountUpdateTime(timeStamp=hhmm)


def account_download_end(account: str) -> Proto:
    return AccountDataEnd(accountName=account)


def pnl(req_id: int, daily: float, unrealized: float, realized: float) -> Proto:
    return PnL(
        reqId=req_id, dailyPnL=round(daily, 2), unrealizedPnL=round(unrealized, 2), realizedPnL=round(realized, 2)
    )


def pnl_single(req_id: int, quantity: Decimal, daily: float, unrealized: float, realized: float, value: float) -> Proto:
    return PnLSingle(
        reqId=req_id,
        position=_text(quantity),
        dailyPnL=round(daily, 2),
        unrealizedPnL=round(unrealized, 2),
        realizedPnL=round(realized, 2),
        value=round(value, 2),
    )


ENCODERS: dict[str, Callable[..., Proto]] = {
    fn.__name__: fn
    for fn in (
        error,
        managed_accounts,
        next_valid_id,
        current_time,
        current_time_in_millis,
        market_data_type,
        contract_data,
        contract_data_end,
        tick_price,
        tick_size,
        tick_req_params,
        tick_option_computation,
        tick_snapshot_end,
        tick_by_tick_bid_ask,
        tick_by_tick_last,
        tick_by_tick_midpoint,
        realtime_bar,
        historical_bars,
        historical_data_end,
        historical_data_update,
        historical_ticks,
        order_status,
        open_order,
        open_order_end,
        exec_details,
        exec_details_end,
        commission_report,
        position,
        position_end,
        account_summary,
        account_summary_end,
        account_value,
        portfolio_value,
        account_update_time,
        account_download_end,
        pnl,
        pnl_single,
        security_definition_option_parameter,
        security_definition_option_parameter_end,
    )
}
"""Each text encoder's name in :mod:`messages` and its protobuf twin here."""
