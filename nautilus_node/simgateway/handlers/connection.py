"""Connection-level requests: startApi, ids, time, managed accounts, market data type."""

from __future__ import annotations

import logging

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.faults import CONNECTIVITY_LOST, SEC_DEF_OK
from nautilus_node.simgateway.handlers.reply import CloseConnection, Reply
from nautilus_node.simgateway.state import GatewayState, SessionState

log = logging.getLogger(__name__)

CLIENT_ID_IN_USE = "Unable to connect as the client id is already in use. Retry with a unique client id."


def start_api(req: rq.StartApi, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    if s.client_id is not None:
        out.error(-1, 501, "Already connected.")
        return out
    holder = gw.client_ids.get(req.client_id)
    if holder is not None and holder is not s:
        out.error(-1, 326, CLIENT_ID_IN_USE)
        out.effects.append(CloseConnection())
        return out
    gw.client_ids[req.client_id] = s
    s.client_id = req.client_id
    log.info("started API as client id %d", req.client_id)
    out.send(m.managed_accounts(gw.broker.account), m.next_valid_id(gw.broker.next_valid_id()))
    faults = gw.faults
    if not faults.connected_to_ib:
        out.error(-1, *CONNECTIVITY_LOST)
        return out
    if faults.awaiting_farms:
        return out  # the farm notices come when the farms connect (see FaultController.restart)
    if faults.market_farm_ok:
        out.error(-1, 2104, "Market data farm connection is OK:usfarm")
    if faults.hmds_farm_ok:
        out.error(-1, 2106, "HMDS data farm connection is OK:ushmds")
    out.error(-1, *SEC_DEF_OK)
    return out


def req_ids(req: int, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    out.send(m.next_valid_id(gw.broker.next_valid_id()))
    return out


def req_current_time(req: None, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    out.send(m.current_time(int(out.now)))
    return out


def req_current_time_millis(req: None, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    out.send(m.current_time_in_millis(int(out.now * 1000)))
    return out


def req_managed_accounts(req: None, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    out.send(m.managed_accounts(gw.broker.account))
    return out


def req_market_data_type(data_type: int, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    if data_type not in (1, 2, 3, 4):
        out.error(-1, 321, f"Error validating request.-'59' : cause - Invalid market data type {data_type}")
        return out
    s.market_data_type = data_type  # for this session only, as at IB
    return out
