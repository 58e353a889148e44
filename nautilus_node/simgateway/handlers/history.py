"""Contract details and historical data: bars (with keepUpToDate) and ticks, within IB's pacing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from nautilus_node.ib.pacing import PACING_VIOLATION, HistoricalRequest
from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.bars import (
    BarBuilder,
    BarRequestError,
    continuous_bars,
    historical_bars,
    parse_bar_size,
    parse_duration,
    parse_end_time,
)
from nautilus_node.simgateway.handlers.market_data import duplicate_id
from nautilus_node.simgateway.handlers.reply import NO_SECURITY, Reply, resolve
from nautilus_node.simgateway.state import GatewayState, LiveBars, SessionState
from nautilus_node.simgateway.ticks import historical_ticks, tick_query

log = logging.getLogger(__name__)

HMDS_ERROR = "Historical Market Data Service error message:"


def req_contract_data(req: rq.ContractDetailsRequest, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    matches = gw.universe.match(req.contract, out.now)
    if not matches:
        out.error(req.req_id, 200, NO_SECURITY)
        return out
    for spec in matches:
        exchange = req.contract.exchange if req.contract.exchange else spec.exchange
        trading, liquid = spec.hours_text(out.now)
        dated = dataclasses.replace(spec, trading_hours=trading, liquid_hours=liquid)
        out.send(m.contract_data(req.req_id, dated, exchange, s.wire))
    out.send(m.contract_data_end(req.req_id))
    return out


def _hmds_down(out: Reply, gw: GatewayState, req_id: int) -> bool:
    """IB's error 162 while the historical farm is down; True if refused."""
    if gw.faults.hmds_farm_ok:
        return False
    out.error(req_id, 162, HMDS_ERROR + "HMDS query returned no data")
    return True


def _paced_out(out: Reply, gw: GatewayState, req_id: int, pacing: HistoricalRequest, live: bool) -> bool:
    """IB's error 162 with its pacing-violation text when the request breaks a limit; True if refused."""
    broken = gw.pacing.check(pacing, out.now, live=live)
    if broken is None:
        return False
    log.info("historical request %d refused for pacing: %s", req_id, broken)
    out.error(req_id, 162, f"{HMDS_ERROR}{PACING_VIOLATION}: {broken}")
    return True


def req_historical_data(req: rq.HistoricalDataRequest, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    spec = resolve(out, gw, req.req_id, req.contract, continuous=True)
    if spec is None or _hmds_down(out, gw, req.req_id):
        return out
    if req.keep_up_to_date and req.end.strip():
        out.error(req.req_id, 321, "Error validating request.-'bX' : cause - End date not supported with live updates")
        return out
    if req.keep_up_to_date and duplicate_id(out, s, req.req_id, "bX"):
        return out
    if len(s.subs.historical) >= gw.pacing.rules.max_open:
        out.error(req.req_id, 162, f"{HMDS_ERROR}Max number of simultaneous requests exceeded")
        return out
    if _paced_out(out, gw, req.req_id, req.pacing, req.keep_up_to_date):
        return out
    try:
        bar_seconds = parse_bar_size(req.bar_size)
        duration = parse_duration(req.duration)
        end = parse_end_time(req.end, out.now)
        anchor = gw.market.quote(spec, out.now).mid
        if spec.sec_type == "CONTFUT":
            months = gw.universe.continuous_months(spec.symbol, spec.exchange, end - duration, end)
            bars = continuous_bars(months, end, duration, bar_seconds, req.what_to_show, anchor, gw.seed)
            spec = months[-1][1]
        else:
            bars = historical_bars(spec, end, duration, bar_seconds, req.what_to_show, anchor, gw.seed)
    except BarRequestError as exc:
        out.error(req.req_id, exc.code, str(exc))
        return out
    fmt = "%Y%m%d %H:%M:%S"
    start_text = dt.datetime.fromtimestamp(end - duration, dt.UTC).strftime(fmt) + " UTC"
    end_text = dt.datetime.fromtimestamp(end, dt.UTC).strftime(fmt) + " UTC"
    out.send(*m.historical_data(req.req_id, bars, bar_seconds, req.format_date, start_text, end_text, s.wire))
    if req.keep_up_to_date:
        s.subs.historical[req.req_id] = LiveBars(BarBuilder(spec, bar_seconds, req.what_to_show), req.format_date)
        gw.activate(spec)
    return out


def cancel_historical_data(req_id: int, s: SessionState, gw: GatewayState) -> Reply:
    s.subs.historical.pop(req_id, None)
    return Reply(s.wire, gw.clock())


def req_historical_ticks(req: rq.HistoricalTicksRequest, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    spec = resolve(out, gw, req.req_id, req.contract)
    if spec is None or _hmds_down(out, gw, req.req_id):
        return out
    try:
        query = tick_query(
            spec, req.start, req.end, req.number_of_ticks, req.what_to_show, req.use_rth, req.ignore_size, out.now
        )
    except BarRequestError as exc:
        out.error(req.req_id, exc.code, str(exc))
        return out
    if _paced_out(out, gw, req.req_id, req.pacing, False):
        return out
    out.send(m.historical_ticks(req.req_id, query.what, historical_ticks(spec, query, gw.seed, out.now)))
    return out
