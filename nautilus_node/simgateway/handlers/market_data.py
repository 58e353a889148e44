"""Streaming market data: quotes, tick-by-tick, 5-second real-time bars, and what each new price pushes."""

from __future__ import annotations

from collections.abc import Callable

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.bars import Bar, BarBuilder
from nautilus_node.simgateway.combos import ComboError, ComboFeed, build_combo
from nautilus_node.simgateway.contracts import ContractSpec
from nautilus_node.simgateway.handlers.reply import Reply, resolve
from nautilus_node.simgateway.market import Quote, Trade
from nautilus_node.simgateway.option_pricing import Greeks
from nautilus_node.simgateway.options import OptionTicks
from nautilus_node.simgateway.state import GatewayState, LiveBars, SessionState

TICK_BY_TICK_TYPES = ("Last", "AllLast", "BidAsk", "MidPoint")
REALTIME_BAR_TYPES = ("TRADES", "MIDPOINT", "BID", "ASK")


# IB's delayed tick types for the real-time ones (TickTypeEnum: DELAYED_BID 66 .. DELAYED_LAST_SIZE 71).
DELAYED_TICKS = {m.BID: 66, m.ASK: 67, m.LAST: 68, m.BID_SIZE: 69, m.ASK_SIZE: 70, m.LAST_SIZE: 71}
# Option computations: bid, ask, last, model (10..13) and their delayed types (80..83).
OPTION_TICKS = (m.BID_OPTION_COMPUTATION, m.ASK_OPTION_COMPUTATION, m.LAST_OPTION_COMPUTATION, m.MODEL_OPTION)
DELAYED_OPTION_TICKS = dict(zip(OPTION_TICKS, (80, 81, 82, 83), strict=True))
NOT_SUBSCRIBED = "Requested market data is not subscribed."
DELAYED_INSTEAD = "Requested market data is not subscribed. Displaying delayed market data."


def quote_ticks(req_id: int, quote: Quote, delayed: bool = False) -> list[m.Fields]:
    t = DELAYED_TICKS.get if delayed else (lambda tick_type: tick_type)
    return [
        m.tick_price(req_id, t(m.BID), quote.bid, quote.bid_size, 1),
        m.tick_price(req_id, t(m.ASK), quote.ask, quote.ask_size, 1),
        m.tick_size(req_id, t(m.BID_SIZE), quote.bid_size),
        m.tick_size(req_id, t(m.ASK_SIZE), quote.ask_size),
    ]


def option_computation(req_id: int, tick_type: int, g: Greeks | None) -> m.Fields:
    """One tickOptionComputation; "not computed" markers where no volatility gives the price."""
    if g is None:
        no, ng = m.NOT_COMPUTED_VALUE, m.NOT_COMPUTED_GREEK
        return m.tick_option_computation(req_id, tick_type, 1, no, ng, no, no, ng, ng, ng, no)
    attrib = 0 if tick_type in (m.MODEL_OPTION, DELAYED_OPTION_TICKS[m.MODEL_OPTION]) else 1
    greeks = (g.gamma, g.vega, g.theta)
    return m.tick_option_computation(
        req_id, tick_type, attrib, g.implied_vol, g.delta, g.price, g.pv_dividend, *greeks, g.underlying
    )


def option_computations(req_id: int, ticks: OptionTicks, delayed: bool = False) -> list[m.Fields]:
    """The bid, ask, (last, when there was a trade) and model computations of an option's new quote."""
    t = DELAYED_OPTION_TICKS.get if delayed else (lambda tick_type: tick_type)
    out = [
        option_computation(req_id, t(m.BID_OPTION_COMPUTATION), ticks.bid),
        option_computation(req_id, t(m.ASK_OPTION_COMPUTATION), ticks.ask),
    ]
    if ticks.last is not None:
        out.append(option_computation(req_id, t(m.LAST_OPTION_COMPUTATION), ticks.last))
    out.append(option_computation(req_id, t(m.MODEL_OPTION), ticks.model))
    return out


def duplicate_id(out: Reply, s: SessionState, req_id: int, request: str) -> bool:
    """IB's error 322 for a request id still live in this session; True if refused."""
    if not s.subs.is_live(req_id):
        return False
    out.error(req_id, 322, f"Error processing request.-'{request}' : cause - Duplicate ticker id {req_id}")
    return True


def req_mkt_data(req: rq.MarketDataRequest, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    if duplicate_id(out, s, req.req_id, "bW"):
        return out
    feed = None
    if req.contract.sec_type == "BAG":
        try:
            feed = ComboFeed(build_combo(gw.universe, req.contract, req.combo_legs))
        except ComboError as exc:
            out.error(req.req_id, exc.code, exc.message)
            return out
        spec = feed.combo.spec
    else:
        spec = resolve(out, gw, req.req_id, req.contract)
        if spec is None:
            return out
    delayed = s.market_data_type in (3, 4) and not gw.realtime_entitled
    if not gw.realtime_entitled and not delayed:
        out.error(req.req_id, 354, NOT_SUBSCRIBED)  # real-time asked for without the subscription
        return out
    if delayed:
        out.error(req.req_id, 10167, DELAYED_INSTEAD)
    out.send(m.market_data_type(req.req_id, 3 if delayed else 1))
    out.send(m.tick_req_params(req.req_id, spec.min_tick, "9c0001", 3))
    legs = [leg.spec for leg in feed.combo.legs] if feed is not None else [spec]
    if all(gw.feed_alive(leg) for leg in legs):
        if feed is None:
            quote = gw.market.quote(spec, out.now)
        else:
            for leg in legs:
                combo_quote = feed.on_leg_quote(leg.con_id, gw.market.quote(leg, out.now))
            assert combo_quote is not None
            quote = combo_quote
        out.send(*quote_ticks(req.req_id, quote, delayed))
        if spec.sec_type == "OPT":
            out.send(*option_computations(req.req_id, gw.market.option_ticks(spec, quote, None, out.now), delayed))
    if req.snapshot:
        out.send(m.tick_snapshot_end(req.req_id))
        return out
    s.subs.market_data[req.req_id] = spec
    if feed is not None:
        s.subs.combo_feeds[req.req_id] = feed
    if delayed:
        s.delayed.add(req.req_id)
    for leg in legs:
        gw.activate(leg)
    return out


def cancel_mkt_data(req_id: int, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    s.delayed.discard(req_id)
    s.subs.combo_feeds.pop(req_id, None)
    if s.subs.market_data.pop(req_id, None) is None:
        out.error(req_id, 300, f"Can't find EId with tickerId:{req_id}")
    return out


def req_tick_by_tick(req: rq.TickByTickRequest, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    if req.tick_type not in TICK_BY_TICK_TYPES:
        out.error(req.req_id, 321, f"Error validating request.-'cP' : cause - Invalid tick type '{req.tick_type}'")
        return out
    if duplicate_id(out, s, req.req_id, "cP"):
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
    if duplicate_id(out, s, req.req_id, "bN"):
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
def on_market(
    s: SessionState, spec: ContractSpec, quote: Quote, trade: Trade | None, option: OptionTicks | None = None
) -> list[m.Fields]:
    """The messages a new quote (and trade) on ``spec`` sends to this session's subscriptions (with an
    option's computations, when given)."""
    out: list[m.Fields] = []
    for req_id, feed in s.subs.combo_feeds.items():
        if spec.con_id in feed.combo.con_ids:
            combo_quote = feed.on_leg_quote(spec.con_id, quote)
            if combo_quote is not None:
                out += quote_ticks(req_id, combo_quote, req_id in s.delayed)
    for req_id, sub in s.subs.market_data.items():
        if sub.con_id == spec.con_id:
            delayed = req_id in s.delayed
            out += quote_ticks(req_id, quote, delayed)
            if option is not None:
                out += option_computations(req_id, option, delayed)
            if trade is not None:
                last, last_size = (
                    (DELAYED_TICKS[m.LAST], DELAYED_TICKS[m.LAST_SIZE]) if delayed else (m.LAST, m.LAST_SIZE)
                )
                out += [
                    m.tick_price(req_id, last, trade.price, trade.size, 0),
                    m.tick_size(req_id, last_size, trade.size),
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


# --- subscriptions ended by a disruption --------------------------------------------------------------------
def spec_of(sub: object) -> ContractSpec:
    """The contract of a live subscription, whichever kind it is."""
    if isinstance(sub, ContractSpec):
        return sub
    if isinstance(sub, tuple):
        return sub[0]
    assert isinstance(sub, LiveBars)
    return sub.builder.spec


def live_subscriptions(s: SessionState, kinds: tuple[str, ...], name: str | None) -> list[tuple[str, int]]:
    """(kind, request id) of this session's live subscriptions of ``kinds``, on contract ``name`` if given."""
    return [
        (kind, req_id)
        for kind in kinds
        for req_id, sub in s.subs.live(kind).items()
        if name is None or spec_of(sub).names(name)
    ]


def end_subscription(s: SessionState, kind: str, req_id: int, error: int | None, text: str, now: float) -> Reply:
    """The subscription stops (a later request may reuse its id); the client is told ``error`` or nothing."""
    out = Reply(s.wire, now)
    del s.subs.live(kind)[req_id]
    s.delayed.discard(req_id)
    if error is not None:
        out.error(req_id, error, text)
    return out
