"""The sans-IO request handlers, one module per concern, and the table that dispatches a request to them.

A handler takes a decoded request, the session's state and the gateway's state, and returns a
:class:`~.reply.Reply`: the messages for its client and the effects (order events, closing) the server
applies. No handler touches a socket, so each is tested as a plain function call. A request arrives as
text fields (:func:`handle`) or, from server version 201 on, as a protobuf body (:func:`handle_protobuf`);
each form is read by its own parser into the same typed request, so the handlers do not know the stack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NamedTuple

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import place_order as po
from nautilus_node.simgateway import proto_requests
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.handlers import account, connection, history, market_data, options, orders
from nautilus_node.simgateway.handlers.reply import Reply
from nautilus_node.simgateway.state import GatewayState, SessionState
from nautilus_node.simgateway.versions import Feature, Wire

log = logging.getLogger(__name__)

Parse = Callable[[tuple[str, ...], Wire], Any]
Handle = Callable[[Any, SessionState, GatewayState], Reply]


class Route(NamedTuple):
    parse: Parse
    handle: Handle


def _fields(parse: Callable[[tuple[str, ...]], Any]) -> Parse:
    return lambda fields, _wire: parse(fields)


def _nothing(fields: tuple[str, ...], wire: Wire) -> None:
    return None


ROUTES: dict[int, Route] = {
    m.In.START_API: Route(_fields(rq.parse_start_api), connection.start_api),
    m.In.REQ_IDS: Route(_fields(rq.parse_versioned_id), connection.req_ids),
    m.In.REQ_CURRENT_TIME: Route(_nothing, connection.req_current_time),
    m.In.REQ_CURRENT_TIME_IN_MILLIS: Route(_nothing, connection.req_current_time_millis),
    m.In.REQ_MANAGED_ACCTS: Route(_nothing, connection.req_managed_accounts),
    m.In.REQ_MARKET_DATA_TYPE: Route(_fields(rq.parse_versioned_id), connection.req_market_data_type),
    m.In.REQ_CONTRACT_DATA: Route(_fields(rq.parse_contract_details), history.req_contract_data),
    m.In.REQ_SEC_DEF_OPT_PARAMS: Route(_fields(rq.parse_sec_def_opt_params), options.req_sec_def_opt_params),
    m.In.REQ_MKT_DATA: Route(_fields(rq.parse_market_data), market_data.req_mkt_data),
    m.In.CANCEL_MKT_DATA: Route(_fields(rq.parse_versioned_id), market_data.cancel_mkt_data),
    m.In.REQ_TICK_BY_TICK_DATA: Route(_fields(rq.parse_tick_by_tick), market_data.req_tick_by_tick),
    m.In.CANCEL_TICK_BY_TICK_DATA: Route(_fields(rq.parse_plain_id), market_data.cancel_tick_by_tick),
    m.In.REQ_REAL_TIME_BARS: Route(_fields(rq.parse_real_time_bars), market_data.req_real_time_bars),
    m.In.CANCEL_REAL_TIME_BARS: Route(_fields(rq.parse_versioned_id), market_data.cancel_real_time_bars),
    m.In.REQ_HISTORICAL_DATA: Route(_fields(rq.parse_historical_data), history.req_historical_data),
    m.In.CANCEL_HISTORICAL_DATA: Route(_fields(rq.parse_versioned_id), history.cancel_historical_data),
    m.In.REQ_HISTORICAL_TICKS: Route(_fields(rq.parse_historical_ticks), history.req_historical_ticks),
    m.In.PLACE_ORDER: Route(po.parse_place_order, orders.place_order),
    m.In.CANCEL_ORDER: Route(rq.parse_cancel_order, orders.cancel_order),
    m.In.REQ_GLOBAL_CANCEL: Route(_nothing, orders.global_cancel),
    m.In.REQ_OPEN_ORDERS: Route(_nothing, orders.req_open_orders),
    m.In.REQ_ALL_OPEN_ORDERS: Route(_nothing, orders.req_all_open_orders),
    m.In.REQ_AUTO_OPEN_ORDERS: Route(_nothing, orders.req_auto_open_orders),
    m.In.REQ_EXECUTIONS: Route(_fields(rq.parse_executions), orders.req_executions),
    m.In.REQ_POSITIONS: Route(_nothing, account.req_positions),
    m.In.CANCEL_POSITIONS: Route(_nothing, account.cancel_positions),
    m.In.REQ_ACCOUNT_SUMMARY: Route(_fields(rq.parse_account_summary), account.req_account_summary),
    m.In.CANCEL_ACCOUNT_SUMMARY: Route(_fields(rq.parse_versioned_id), account.cancel_account_summary),
    m.In.REQ_ACCT_DATA: Route(_fields(rq.parse_account_updates), account.req_account_updates),
    m.In.REQ_PNL: Route(_fields(rq.parse_pnl), account.req_pnl),
    m.In.CANCEL_PNL: Route(_fields(rq.parse_plain_id), account.cancel_pnl),
    m.In.REQ_PNL_SINGLE: Route(_fields(rq.parse_pnl), account.req_pnl),
    m.In.CANCEL_PNL_SINGLE: Route(_fields(rq.parse_plain_id), account.cancel_pnl),
}
# Known IB requests this gateway does not serve, with the position of their request id (if any).
UNSERVED_REQ_ID_POS = {10: 1, 52: 1, 81: 0, 86: 0, 87: 0, 88: 0, 22: 1, 54: 1, 55: 1}
KNOWN_IB_REQUESTS = set(range(1, 26)) | set(range(49, 111))
# Requests clients send only as protobuf (cancelContractData, cancelHistoricalTicks at 215, reqConfig at 219,
# updateConfig at 221), all with their reqId as field 1; this gateway refuses them as not supported.
UNSERVED_PROTOBUF_ONLY = {106, 107, 108, 109}
# Data requests a session sends before the farms connect (after a restart), which IB leaves unanswered.
FARM_REQUESTS = {
    m.In.REQ_CONTRACT_DATA,
    m.In.REQ_SEC_DEF_OPT_PARAMS,
    m.In.REQ_MKT_DATA,
    m.In.REQ_TICK_BY_TICK_DATA,
    m.In.REQ_REAL_TIME_BARS,
    m.In.REQ_HISTORICAL_DATA,
    m.In.REQ_HISTORICAL_TICKS,
}
# Requests that only exist from a server version on; below it they are treated as unsupported.
REQUESTS_SINCE = {m.In.REQ_CURRENT_TIME_IN_MILLIS: Feature.CURRENT_TIME_IN_MILLIS}


def handle(msg_id: int, fields: tuple[str, ...], s: SessionState, gw: GatewayState) -> Reply:
    """Answer one text request of a handshaken session, as IB would (its 320/321 errors included)."""
    route = ROUTES.get(msg_id)
    since = REQUESTS_SINCE.get(msg_id)
    if route is None or (since is not None and not s.wire.has(since)):
        return _unserved(msg_id, fields, s, gw)
    if s.wire.protobuf_request(msg_id):
        return _wrong_form(msg_id, "text", s, gw)
    return _answer(msg_id, lambda: route.parse(fields, s.wire), route.handle, s, gw)


def handle_protobuf(msg_id: int, body: bytes, s: SessionState, gw: GatewayState) -> Reply:
    """Answer one protobuf request (message id without IB's +200) of a handshaken session."""
    route = ROUTES.get(msg_id)
    parse = proto_requests.PARSERS.get(msg_id)
    if route is None or parse is None:
        with_req_id = msg_id in UNSERVED_REQ_ID_POS or msg_id in UNSERVED_PROTOBUF_ONLY
        req_id = proto_requests.leading_req_id(body) if with_req_id else -1
        return _unserved(msg_id, (), s, gw, req_id)
    if not s.wire.protobuf_request(msg_id):
        return _wrong_form(msg_id, "protobuf", s, gw)
    return _answer(msg_id, lambda: parse(body), route.handle, s, gw)


def _wrong_form(msg_id: int, form: str, s: SessionState, gw: GatewayState) -> Reply:
    """A request in the form a client at this version does not send (text where it sends protobuf, or the
    reverse): IB cannot read it."""
    log.warning("client id %s sent message %d as %s at server version %d", s.client_id, msg_id, form, s.wire.version)
    out = Reply(s.wire, gw.clock())
    out.error(-1, 320, f"Error reading request.-'{msg_id}' : cause - Unsupported message format")
    return out


def _answer(msg_id: int, parse: Callable[[], Any], handler: Handle, s: SessionState, gw: GatewayState) -> Reply:
    if s.client_id is None and msg_id != m.In.START_API:
        out = Reply(s.wire, gw.clock())
        out.error(-1, 321, f"Error validating request.-'{msg_id}' : cause - startApi has not been called")
        return out
    if gw.faults.awaiting_farms and msg_id in FARM_REQUESTS:
        log.info("client id %s: request %d before the farms connected, left unanswered", s.client_id, msg_id)
        return Reply(s.wire, gw.clock())
    try:
        return handler(parse(), s, gw)
    except rq.UnsupportedRequest as exc:
        log.info("client id %s: unsupported request %d: %s", s.client_id, msg_id, exc)
        out = Reply(s.wire, gw.clock())
        out.error(-1, 321, f"Error validating request.-'{msg_id}' : cause - {exc}")
        return out
    except rq.MalformedRequest as exc:
        log.warning("client id %s sent malformed message %d: %s", s.client_id, msg_id, exc)
        cause = exc
    except Exception:
        log.exception("client id %s: failure handling message %d", s.client_id, msg_id)
        cause = "internal error"
    out = Reply(s.wire, gw.clock())
    out.error(-1, 320, f"Error reading request.-'{msg_id}' : cause - {cause}")
    return out


def _unserved(msg_id: int, fields: tuple[str, ...], s: SessionState, gw: GatewayState, req_id: int = -1) -> Reply:
    out = Reply(s.wire, gw.clock())
    if msg_id not in KNOWN_IB_REQUESTS:
        log.warning("client id %s sent unknown message id %d", s.client_id, msg_id)
        out.error(-1, 320, f"Error reading request.-'{msg_id}' : cause - Unknown message id")
        return out
    pos = UNSERVED_REQ_ID_POS.get(msg_id)
    if pos is not None and len(fields) > pos and fields[pos].lstrip("-").isdigit():
        req_id = int(fields[pos])
    log.info("client id %s: unsupported request %d", s.client_id, msg_id)
    out.error(req_id, 321, f"Error validating request.-'{msg_id}' : cause - This request is not supported")
    return out
