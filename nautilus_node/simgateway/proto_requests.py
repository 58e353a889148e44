"""Reading protobuf client requests (server versions 201..226) into the same typed requests as the text ones.

Each parser takes a request's serialized body, parses it with the class IB publishes in ``ibapi.protobuf``
and returns what the text parser in :mod:`requests` returns for the same request, so the handlers never
learn which stack a request came on. A body that does not parse, or lacks a field the request needs,
raises :class:`~.requests.MalformedRequest` (IB's error 320). IB's protobuf form leaves a field absent
where the text form would send an empty or unset value; absent reads as that value here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.message import DecodeError
from google.protobuf.message import Message as Proto
from ibapi.protobuf.AccountDataRequest_pb2 import AccountDataRequest
from ibapi.protobuf.AccountSummaryRequest_pb2 import AccountSummaryRequest
from ibapi.protobuf.AllOpenOrdersRequest_pb2 import AllOpenOrdersRequest
from ibapi.protobuf.AutoOpenOrdersRequest_pb2 import AutoOpenOrdersRequest
from ibapi.protobuf.CancelAccountSummary_pb2 import CancelAccountSummary
from ibapi.protobuf.CancelHistoricalData_pb2 import CancelHistoricalData
from ibapi.protobuf.CancelMarketData_pb2 import CancelMarketData
from ibapi.protobuf.CancelOrderRequest_pb2 import CancelOrderRequest
from ibapi.protobuf.CancelPnL_pb2 import CancelPnL
from ibapi.protobuf.CancelPnLSingle_pb2 import CancelPnLSingle
from ibapi.protobuf.CancelPositions_pb2 import CancelPositions
from ibapi.protobuf.CancelRealTimeBars_pb2 import CancelRealTimeBars
from ibapi.protobuf.CancelTickByTick_pb2 import CancelTickByTick
from ibapi.protobuf.Contract_pb2 import Contract
from ibapi.protobuf.ContractDataRequest_pb2 import ContractDataRequest
from ibapi.protobuf.CurrentTimeInMillisRequest_pb2 import CurrentTimeInMillisRequest
from ibapi.protobuf.CurrentTimeRequest_pb2 import CurrentTimeRequest
from ibapi.protobuf.ExecutionRequest_pb2 import ExecutionRequest
from ibapi.protobuf.GlobalCancelRequest_pb2 import GlobalCancelRequest
from ibapi.protobuf.HistoricalDataRequest_pb2 import HistoricalDataRequest
from ibapi.protobuf.HistoricalTicksRequest_pb2 import HistoricalTicksRequest
from ibapi.protobuf.IdsRequest_pb2 import IdsRequest
from ibapi.protobuf.ManagedAccountsRequest_pb2 import ManagedAccountsRequest
from ibapi.protobuf.MarketDataRequest_pb2 import MarketDataRequest
from ibapi.protobuf.MarketDataTypeRequest_pb2 import MarketDataTypeRequest
from ibapi.protobuf.OpenOrdersRequest_pb2 import OpenOrdersRequest
from ibapi.protobuf.PlaceOrderRequest_pb2 import PlaceOrderRequest
from ibapi.protobuf.PnLRequest_pb2 import PnLRequest
from ibapi.protobuf.PnLSingleRequest_pb2 import PnLSingleRequest
from ibapi.protobuf.PositionsRequest_pb2 import PositionsRequest
from ibapi.protobuf.RealTimeBarsRequest_pb2 import RealTimeBarsRequest
from ibapi.protobuf.SecDefOptParamsRequest_pb2 import SecDefOptParamsRequest
from ibapi.protobuf.StartApiRequest_pb2 import StartApiRequest
from ibapi.protobuf.TickByTickRequest_pb2 import TickByTickRequest

from nautilus_node.simgateway import place_order as po
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.codec import UNSET_DOUBLE, encode_field
from nautilus_node.simgateway.contracts import ContractQuery
from nautilus_node.simgateway.messages import In


def _parse[M: Proto](kind: type[M], body: bytes) -> M:
    msg = kind()
    try:
        msg.ParseFromString(body)
    except DecodeError as exc:
        raise rq.MalformedRequest(f"{kind.__name__} does not parse: {exc}") from None
    return msg


def _require(msg: Proto, *names: str) -> None:
    missing = [n for n in names if not msg.HasField(n)]
    if missing:
        raise rq.MalformedRequest(f"{type(msg).__name__} lacks {', '.join(missing)}")


def _contract(c: Contract) -> ContractQuery:
    return ContractQuery(
        con_id=c.conId,
        symbol=c.symbol,
        sec_type=c.secType,
        last_trade_date=c.lastTradeDateOrContractMonth,
        strike=encode_field(c.strike) if c.HasField("strike") else "",
        right=c.right,
        multiplier=encode_field(c.multiplier) if c.HasField("multiplier") else "",
        exchange=c.exchange,
        primary_exchange=c.primaryExch,
        currency=c.currency,
        local_symbol=c.localSymbol,
        trading_class=c.tradingClass,
        sec_id_type=c.secIdType,
        sec_id=c.secId,
    )


def _price(msg: Proto, name: str) -> float | None:
    if not msg.HasField(name):
        return None
    value = getattr(msg, name)
    if not math.isfinite(value):
        raise rq.MalformedRequest(f"{name} is not a finite number: {value}")
    return None if value >= UNSET_DOUBLE else value


def _decimal(text: str, name: str) -> Decimal:
    try:
        value = Decimal(text) if text else Decimal(0)
    except InvalidOperation:
        raise rq.MalformedRequest(f"{name} is not a decimal: {text[:20]!r}") from None
    if not value.is_finite():
        raise rq.MalformedRequest(f"{name} is not a finite decimal: {text[:20]!r}")
    return value


def parse_start_api(body: bytes) -> rq.StartApi:
    msg = _parse(StartApiRequest, body)
    _require(msg, "clientId")
    return rq.StartApi(msg.clientId, msg.optionalCapabilities)


def parse_ids(body: bytes) -> int:
    return _parse(IdsRequest, body).numIds


def parse_market_data_type(body: bytes) -> int:
    return _parse(MarketDataTypeRequest, body).marketDataType


def parse_contract_details(body: bytes) -> rq.ContractDetailsRequest:
    msg = _parse(ContractDataRequest, body)
    _require(msg, "reqId")
    return rq.ContractDetailsRequest(msg.reqId, _contract(msg.contract))


def parse_market_data(body: bytes) -> rq.MarketDataRequest:
    msg = _parse(MarketDataRequest, body)
    _require(msg, "reqId", "contract")
    legs = tuple(rq.ComboLeg(leg.conId, leg.ratio, leg.action, leg.exchange) for leg in msg.contract.comboLegs)
    return rq.MarketDataRequest(msg.reqId, _contract(msg.contract), msg.genericTickList, msg.snapshot, legs)


def parse_tick_by_tick(body: bytes) -> rq.TickByTickRequest:
    msg = _parse(TickByTickRequest, body)
    _require(msg, "reqId", "contract")
    return rq.TickByTickRequest(msg.reqId, _contract(msg.contract), msg.tickType, msg.numberOfTicks, msg.ignoreSize)


def parse_real_time_bars(body: bytes) -> rq.RealTimeBarsRequest:
    msg = _parse(RealTimeBarsRequest, body)
    _require(msg, "reqId", "contract")
    return rq.RealTimeBarsRequest(msg.reqId, _contract(msg.contract), msg.barSize, msg.whatToShow, msg.useRTH)


def parse_historical_data(body: bytes) -> rq.HistoricalDataRequest:
    msg = _parse(HistoricalDataRequest, body)
    _require(msg, "reqId", "contract")
    return rq.HistoricalDataRequest(
        msg.reqId,
        _contract(msg.contract),
        msg.endDateTime,
        msg.barSizeSetting,
        msg.duration,
        msg.useRTH,
        msg.whatToShow,
        msg.formatDate,
        msg.keepUpToDate,
    )


def parse_historical_ticks(body: bytes) -> rq.HistoricalTicksRequest:
    msg = _parse(HistoricalTicksRequest, body)
    _require(msg, "reqId", "contract")
    return rq.HistoricalTicksRequest(
        msg.reqId,
        _contract(msg.contract),
        msg.startDateTime,
        msg.endDateTime,
        msg.numberOfTicks,
        msg.whatToShow,
        msg.useRTH,
        msg.ignoreSize,
    )


# Order fields the gateway acts on (or, like the ids, sets itself). Any other field present and set (IB's client
# sends zeros for numbers left unset, and these two unset values) is one the gateway does not serve.
_ORDER_FIELDS_READ = frozenset(
    {
        "clientId", "orderId", "permId", "parentId", "action", "totalQuantity", "orderType", "lmtPrice", "auxPrice",
        "tif", "account", "clearingAccount", "outsideRth", "goodTillDate", "ocaGroup", "orderRef", "ocaType",
        "triggerMethod", "trailingPercent", "trailStopPrice", "lmtPriceOffset", "smartComboRoutingParams", "whatIf",
        "transmit", "conditions", "conditionsCancelOrder", "conditionsIgnoreRth",
    }
)  # fmt: skip
_ORDER_UNSET_VALUES: dict[str, object] = {"exemptCode": -1, "clearingIntent": "IB"}


def _unserved_order_fields(o: Proto) -> list[str]:
    unserved = []
    for field, value in o.ListFields():
        if field.name in _ORDER_FIELDS_READ or value == _ORDER_UNSET_VALUES.get(field.name):
            continue
        if not (value.ListFields() if field.name == "softDollarTier" else value):
            continue
        unserved.append(field.name)
    return unserved


def _condition(c: Proto) -> po.Condition:
    if c.type not in po.CONDITION_NAMES:
        raise rq.MalformedRequest(f"unknown order condition type {c.type}")
    value = {
        po.PRICE: encode_field(c.price) if c.HasField("price") else "",
        po.TIME: c.time,
        po.MARGIN: str(c.percent) if c.HasField("percent") else "",
        po.VOLUME: str(c.volume) if c.HasField("volume") else "",
        po.PERCENT_CHANGE: str(c.changePercent) if c.HasField("changePercent") else "",
    }.get(c.type, "")
    return po.Condition(
        kind=c.type,
        conjunction_and=c.isConjunctionConnection if c.HasField("isConjunctionConnection") else True,
        is_more=c.isMore,
        value=value,
        con_id=c.conId,
        exchange=c.exchange,
        trigger_method=c.triggerMethod,
        sec_type=c.secType,
        symbol=c.symbol,
    )


def parse_place_order(body: bytes) -> po.PlaceOrderRequest:
    """placeOrder: the order id, its contract and every order field, as :func:`place_order.parse_place_order`
    reads the text form. ``transmit`` is absent when false, as IB's client writes it."""
    msg = _parse(PlaceOrderRequest, body)
    _require(msg, "orderId", "contract", "order")
    if msg.attachedOrders.ListFields():  # IB's client always sends the message, empty unless orders are attached
        raise rq.UnsupportedRequest("attached stop-loss / profit-taker orders (server version 218) are not supported")
    o, c = msg.order, msg.contract
    unserved = _unserved_order_fields(o)
    if c.HasField("deltaNeutralContract"):
        unserved.append("deltaNeutralContract")
    legs = []
    for leg in c.comboLegs:
        legs.append(rq.ComboLeg(leg.conId, leg.ratio, leg.action, leg.exchange))
        for name in ("openClose", "shortSalesSlot", "designatedLocation", "perLegPrice"):
            if leg.HasField(name) and getattr(leg, name):
                unserved.append(f"comboLeg.{name}")
        if leg.HasField("exemptCode") and leg.exemptCode != -1:
            unserved.append("comboLeg.exemptCode")
    return po.PlaceOrderRequest(
        order_id=msg.orderId,
        contract=_contract(c),
        action=o.action,
        quantity=_decimal(o.totalQuantity, "totalQuantity"),
        order_type=o.orderType,
        lmt_price=_price(o, "lmtPrice"),
        aux_price=_price(o, "auxPrice"),
        tif=o.tif,
        oca_group=o.ocaGroup,
        account=o.account,
        order_ref=o.orderRef,
        transmit=o.transmit,
        parent_id=o.parentId,
        outside_rth=o.outsideRth,
        good_till_date=o.goodTillDate,
        oca_type=o.ocaType,
        trigger_method=o.triggerMethod,
        trailing_percent=_price(o, "trailingPercent"),
        trail_stop_price=_price(o, "trailStopPrice"),
        lmt_price_offset=_price(o, "lmtPriceOffset"),
        what_if=o.whatIf,
        conditions=tuple(_condition(cond) for cond in o.conditions),
        conditions_ignore_rth=o.conditionsIgnoreRth,
        conditions_cancel_order=o.conditionsCancelOrder,
        combo_legs=tuple(legs),
        combo_params=tuple(o.smartComboRoutingParams.items()),
        clearing_account=o.clearingAccount,
        unserved=tuple(unserved),
    )


def parse_cancel_order(body: bytes) -> int:
    msg = _parse(CancelOrderRequest, body)
    _require(msg, "orderId")
    return msg.orderId


def parse_executions(body: bytes) -> rq.ExecutionFilter:
    msg = _parse(ExecutionRequest, body)
    _require(msg, "reqId")
    f = msg.executionFilter
    return rq.ExecutionFilter(msg.reqId, f.clientId, f.acctCode, f.time, f.symbol, f.secType, f.exchange, f.side)


def parse_account_summary(body: bytes) -> rq.AccountSummaryRequest:
    msg = _parse(AccountSummaryRequest, body)
    _require(msg, "reqId")
    tags = tuple(t.strip() for t in msg.tags.split(",") if t.strip())
    return rq.AccountSummaryRequest(msg.reqId, msg.group, tags)


def parse_account_updates(body: bytes) -> tuple[bool, str]:
    msg = _parse(AccountDataRequest, body)
    return msg.subscribe, msg.acctCode


def parse_pnl(body: bytes) -> tuple[int, str, int]:
    msg = _parse(PnLRequest, body)
    _require(msg, "reqId")
    return msg.reqId, msg.account, 0


def parse_pnl_single(body: bytes) -> tuple[int, str, int]:
    msg = _parse(PnLSingleRequest, body)
    _require(msg, "reqId")
    return msg.reqId, msg.account, msg.conId


def parse_sec_def_opt_params(body: bytes) -> rq.SecDefOptParamsRequest:
    msg = _parse(SecDefOptParamsRequest, body)
    _require(msg, "reqId")
    return rq.SecDefOptParamsRequest(
        msg.reqId, msg.underlyingSymbol, msg.futFopExchange, msg.underlyingSecType, msg.underlyingConId
    )


def _req_id(kind: type[Proto]) -> Callable[[bytes], int]:
    """Cancels laid out as {reqId}."""

    def parse(body: bytes) -> int:
        msg = _parse(kind, body)
        _require(msg, "reqId")
        return msg.reqId  # type: ignore[attr-defined]

    return parse


def _empty(kind: type[Proto]) -> Callable[[bytes], None]:
    """Requests without fields the gateway reads: the body must still parse."""

    def parse(body: bytes) -> None:
        _parse(kind, body)

    return parse


def leading_req_id(body: bytes) -> int:
    """The reqId of a request IB lays out with it as field 1 (market depth, fundamentals, head timestamp, ...),
    read without knowing the rest of the message; -1 if the body has none or does not parse."""
    try:
        msg = CancelMarketData.FromString(body)  # {reqId = 1}; the other fields are kept as unknown
    except DecodeError:
        return -1
    return msg.reqId if msg.HasField("reqId") else -1


PARSERS: dict[int, Callable[[bytes], Any]] = {
    In.START_API: parse_start_api,
    In.REQ_IDS: parse_ids,
    In.REQ_CURRENT_TIME: _empty(CurrentTimeRequest),
    In.REQ_CURRENT_TIME_IN_MILLIS: _empty(CurrentTimeInMillisRequest),
    In.REQ_MANAGED_ACCTS: _empty(ManagedAccountsRequest),
    In.REQ_MARKET_DATA_TYPE: parse_market_data_type,
    In.REQ_CONTRACT_DATA: parse_contract_details,
    In.REQ_SEC_DEF_OPT_PARAMS: parse_sec_def_opt_params,
    In.REQ_MKT_DATA: parse_market_data,
    In.CANCEL_MKT_DATA: _req_id(CancelMarketData),
    In.REQ_TICK_BY_TICK_DATA: parse_tick_by_tick,
    In.CANCEL_TICK_BY_TICK_DATA: _req_id(CancelTickByTick),
    In.REQ_REAL_TIME_BARS: parse_real_time_bars,
    In.CANCEL_REAL_TIME_BARS: _req_id(CancelRealTimeBars),
    In.REQ_HISTORICAL_DATA: parse_historical_data,
    In.CANCEL_HISTORICAL_DATA: _req_id(CancelHistoricalData),
    In.REQ_HISTORICAL_TICKS: parse_historical_ticks,
    In.PLACE_ORDER: parse_place_order,
    In.CANCEL_ORDER: parse_cancel_order,
    In.REQ_GLOBAL_CANCEL: _empty(GlobalCancelRequest),
    In.REQ_OPEN_ORDERS: _empty(OpenOrdersRequest),
    In.REQ_ALL_OPEN_ORDERS: _empty(AllOpenOrdersRequest),
    In.REQ_AUTO_OPEN_ORDERS: _empty(AutoOpenOrdersRequest),
    In.REQ_EXECUTIONS: parse_executions,
    In.REQ_POSITIONS: _empty(PositionsRequest),
    In.CANCEL_POSITIONS: _empty(CancelPositions),
    In.REQ_ACCOUNT_SUMMARY: parse_account_summary,
    In.CANCEL_ACCOUNT_SUMMARY: _req_id(CancelAccountSummary),
    In.REQ_ACCT_DATA: parse_account_updates,
    In.REQ_PNL: parse_pnl,
    In.CANCEL_PNL: _req_id(CancelPnL),
    In.REQ_PNL_SINGLE: parse_pnl_single,
    In.CANCEL_PNL_SINGLE: _req_id(CancelPnLSingle),
}
"""The protobuf parser of each served request, keyed like the text routes."""
