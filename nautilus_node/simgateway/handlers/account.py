"""The account: positions, account summary, account updates, P&L, and their refresh after fills."""

from __future__ import annotations

import datetime as dt

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.handlers.reply import Reply
from nautilus_node.simgateway.state import GatewayState, SessionState


def req_positions(req: None, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    s.subs.positions = True
    out.send(*(m.position(gw.broker.account, pos) for pos in gw.broker.positions()), m.position_end())
    return out


def cancel_positions(req: None, s: SessionState, gw: GatewayState) -> Reply:
    s.subs.positions = False
    return Reply(s.wire, gw.clock())


def req_account_summary(req: rq.AccountSummaryRequest, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    if req.req_id in s.subs.account_summary:
        out.error(req.req_id, 322, f"Error processing request.-'bY' : cause - Duplicate ticker id {req.req_id}")
        return out
    s.subs.account_summary[req.req_id] = req.tags
    out.send(*_account_summary(gw, req.req_id, req.tags), m.account_summary_end(req.req_id))
    return out


def _account_summary(gw: GatewayState, req_id: int, tags: tuple[str, ...]) -> list[m.Fields]:
    values = gw.broker.account_values()
    account = gw.broker.account
    return [m.account_summary(req_id, account, tag, *values[tag]) for tag in tags if tag in values]


def cancel_account_summary(req_id: int, s: SessionState, gw: GatewayState) -> Reply:
    s.subs.account_summary.pop(req_id, None)
    return Reply(s.wire, gw.clock())


def req_account_updates(req: tuple[bool, str], s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    subscribe, account = req
    if account and account != gw.broker.account:
        out.error(-1, 321, f"Error validating request.-'bB' : cause - Unknown account {account}")
        return out
    s.subs.account_updates = subscribe
    if subscribe:
        out.send(*_account_updates(gw), m.account_download_end(gw.broker.account))
    return out


def _account_updates(gw: GatewayState) -> list[m.Fields]:
    broker = gw.broker
    out = [m.account_value(key, value, cur, broker.account) for key, (value, cur) in broker.account_values().items()]
    for pos in broker.positions():
        price = broker.market_price(pos.spec) or pos.avg_price
        out.append(m.portfolio_value(pos, price, broker.unrealized_pnl(pos), broker.account))
    out.append(m.account_update_time(dt.datetime.fromtimestamp(gw.clock(), dt.UTC).strftime("%H:%M")))
    return out


def req_pnl(req: tuple[int, str, int], s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    req_id, account, con_id = req
    if account != gw.broker.account:
        out.error(req_id, 321, f"Error validating request.-'bZ' : cause - Unknown account {account}")
        return out
    s.subs.pnl[req_id] = con_id
    out.send(_pnl(gw, req_id, con_id))
    return out


def _pnl(gw: GatewayState, req_id: int, con_id: int) -> m.Fields:
    broker = gw.broker
    if con_id == 0:
        return m.pnl(req_id, *broker.pnl())
    pos = broker.position(con_id)
    if pos is None:
        return m.pnl_single(req_id, 0, 0.0, 0.0, 0.0, 0.0)
    unrealized = broker.unrealized_pnl(pos)
    value = float(pos.quantity) * (broker.market_price(pos.spec) or pos.avg_price) * pos.multiplier
    realized = pos.realized_pnl
    return m.pnl_single(req_id, pos.quantity, unrealized + realized, unrealized, realized, value)


def cancel_pnl(req_id: int, s: SessionState, gw: GatewayState) -> Reply:
    s.subs.pnl.pop(req_id, None)
    return Reply(s.wire, gw.clock())


def account_change(s: SessionState, gw: GatewayState, changed: set[int]) -> list[m.Fields]:
    """Fills moved positions and account values: what refreshes this session's account subscriptions."""
    broker = gw.broker
    out: list[m.Fields] = []
    if s.subs.positions:
        for con_id in changed:
            pos = broker.position(con_id)
            if pos is not None:
                out.append(m.position(broker.account, pos))
    for req_id, tags in s.subs.account_summary.items():
        out += _account_summary(gw, req_id, tags)
    if s.subs.account_updates:
        out += _account_updates(gw)
    for req_id, con_id in s.subs.pnl.items():
        out.append(_pnl(gw, req_id, con_id))
    return out
