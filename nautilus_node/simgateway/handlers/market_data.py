"""Streaming market data: quotes, tick-by-tick, 5-second real-time bars, and what each new price pushes."""

from __future__ import annotations

from collections.abc import Callable

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.bars import Bar, BarBuilder
from nautilus_node.simgateway.contracts import ContractSpec
from nautilus_node.simgateway.handlers.reply import Reply, resolve
from nautilus_node.simgateway.market import Quote, Trade
from nautilus_node.simgateway.state import GatewayState, LiveBars, SessionState

TICK_BY_TICK_TYPES = ("Last", "AllLast", "BidAsk", "MidPoint")
REALTIME_BAR_TYPES = ("TRADES", "MIDPOINT", "BID", "ASK")


def quote_ticks(req_id: int, quote: Quote) -> list[m.Fields]:
    return [
        m.tick_price(req_id, m.BID, quote.bid, quote.bid_size, 1),
        m.tick_price(req_id, m.ASK, quote.ask, quote.ask_size, 1),
        m.tick_size(req_id, m.BID_SIZE, quote.bid_size),
        m.tick_size(req_id, m.ASK_SIZE, quote.ask_size),
    ]


def req_mkt_data(req: rq.MarketDataRequest, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    if req.req_id in s.subs.market_data:
        out.error(req.req_id, 322, f"Error processing request.-'bW' : cause - Duplicate ticker id {req.req_id}")
        return out
    spec = resolve(out, gw, req.req_id, req.contract)
    if spec is None:
        return out
    out.send(m.market_data_type(req.req_id, 1), m.tick_req_params(req.req_id, spec.min_tick, "9c0001", 3))
    if gw.feed_alive(spec):
        out.send(*quote_ticks(req.req_id, gw.market.quote(spec, out.now)))
    if req.snapshot:
        out.send(m.tick_snapshot_end(req.req_id))
        return out
    s.subs.market_data[req.req_id] = spec
    gw.activate(spec)
    return out


def cancel_mkt_data(req_id: int, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    if s.subs.market_data.pop(req_id, None) is None:
        out.error(req_id, 300, f"Can't find EId with tickerId:{req_id}")
    return out


def req_tick_by_tick(req: rq.TickByTickRequest, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    if req.tick_type not in TICK_BY_TICK_TYPES:
        out.error(req.req_id, 321, f"Error validating request.-'cP' : cause - Invalid tick type '{req.tick_type}'")
        return out
    spec = resolve(out, gw, req.req_id, req.contract)
    if spec is None:
        return out
    s.subs.tick_by_tick[req.req_id] = (spec, req.tick_type)
    gw.activate(spec)
    return out


def cancel_tick_by_tick(req_id: int, s: SessionState, gw: GatewayState) -> Reply:
    s.subs.tick_by_tick.pop(req_id, None)
    return Reply(s.wire, gw.clock())


def req_real_time_bars(req: rq.RealTimeBarsRequest, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    if req.bar_size != 5:
        out.error(req.req_id, 321, "Error validating request.-'bN' : cause - Only 5 seconds bars are supported")
        return out
    if req.what_to_show not in REALTIME_BAR_TYPES:
        out.error(req.req_id, 321, f"Error validating request.-'bN' : cause - Invalid whatToShow {req.what_to_show}")
        return out
    spec = resolve(out, gw, req.req_id, req.contract)
    if spec is None:
        return out
    if req.what_to_show == "TRADES" and not spec.has_trades:
        out.error(req.req_id, 420, f"Invalid Real-time Query:No data of type TRADES for {spec.local_symbol}")
        return out
    s.subs.realtime_bars[req.req_id] = LiveBars(BarBuilder(spec, 5, req.what_to_show))
    gw.activate(spec)
    return out


def cancel_real_time_bars(req_id: int, s: SessionState, gw: GatewayState) -> Reply:
    s.subs.realtime_bars.pop(req_id, None)
    return Reply(s.wire, gw.clock())


# --- what a new price pushes to one session's subscriptions ------------------------------------------------
def on_market(s: SessionState, spec: ContractSpec, quote: Quote, trade: Trade | None) -> list[m.Fields]:
    """The messages a new quote (and trade) on ``spec`` sends to this session's subscriptions."""
    out: list[m.Fields] = []
    for req_id, sub in s.subs.market_data.items():
        if sub.con_id == spec.con_id:
            out += quote_ticks(req_id, quote)
            if trade is not None:
                out += [
                    m.tick_price(req_id, m.LAST, trade.price, trade.size, 0),
                    m.tick_size(req_id, m.LAST_SIZE, trade.size),
                ]
    ts = int(quote.ts)
    for req_id, (sub, kind) in s.subs.tick_by_tick.items():
        if sub.con_id != spec.con_id:
            continue
        if kind == "BidAsk":
            out.append(m.tick_by_tick_bid_ask(req_id, ts, quote.bid, quote.ask, quote.bid_size, quote.ask_size))
        elif kind == "MidPoint":
            out.append(m.tick_by_tick_midpoint(req_id, ts, spec.round_price(quote.mid)))
        elif trade is not None:
            tick_type = 1 if kind == "Last" else 2
            exchange = spec.primary_exchange or spec.exchange
            out.append(m.tick_by_tick_last(req_id, tick_type, ts, trade.price, trade.size, exchange))
    for req_id, live in s.subs.realtime_bars.items():
        if live.builder.spec.con_id == spec.con_id:
            _feed(live, quote, trade, lambda bar, r=req_id: out.append(m.realtime_bar(r, bar)))
    for req_id, live in s.subs.historical.items():
        if live.builder.spec.con_id == spec.con_id:
            out += _feed_historical(req_id, live, quote, trade)
    return out


def roll_bars(s: SessionState, now: float) -> list[m.Fields]:
    """Close real-time bars whose 5 seconds are over even if no newer quote came."""
    out: list[m.Fields] = []
    for req_id, live in s.subs.realtime_bars.items():
        bar = live.builder.roll(now)
        if bar is not None:
            out.append(m.realtime_bar(req_id, bar))
    return out


def _feed(live: LiveBars, quote: Quote, trade: Trade | None, emit: Callable[[Bar], None]) -> None:
    done = live.builder.on_quote(quote.bid, quote.ask, quote.ts)
    if trade is not None:
        done = live.builder.on_trade(trade.price, trade.size, trade.ts) or done
    if done is not None:
        emit(done)


def _feed_historical(req_id: int, live: LiveBars, quote: Quote, trade: Trade | None) -> list[m.Fields]:
    size, fmt = live.builder.bar_seconds, live.format_date
    out: list[m.Fields] = []
    _feed(live, quote, trade, lambda bar: out.append(m.historical_data_update(req_id, bar, size, fmt)))
    current = live.builder.current()
    if current is not None and quote.ts - live.last_sent >= 1.0:
        live.last_sent = quote.ts
        out.append(m.historical_data_update(req_id, current, size, fmt))
    return out
