"""One client connection: handshake, request dispatch, and the subscriptions that client holds."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.bars import (
    BarBuilder,
    BarRequestError,
    historical_bars,
    parse_bar_size,
    parse_duration,
    parse_end_time,
)
from nautilus_node.simgateway.broker import Execution, Order, OrderError, OrderRequest
from nautilus_node.simgateway.codec import (
    Handshake,
    ProtocolError,
    Request,
    ServerProtocol,
    encode_frame,
    encode_handshake_reply,
    negotiate_version,
)
from nautilus_node.simgateway.contracts import ContractQuery, ContractSpec
from nautilus_node.simgateway.market import Quote, Trade
from nautilus_node.simgateway.pacing import MessageRateLimiter
from nautilus_node.simgateway.ticks import historical_ticks, tick_query
from nautilus_node.simgateway.versions import LATEST, MAX_VERSION, MIN_VERSION, Feature, wire

if TYPE_CHECKING:
    from nautilus_node.simgateway.server import GatewayServer

log = logging.getLogger(__name__)

NO_SECURITY = "No security definition has been found for the request"
MAX_WRITE_BUFFER = 8 * 1024 * 1024
# Known IB requests this gateway does not serve, with the position of their request id (if any).
UNSERVED_REQ_ID_POS = {10: 1, 52: 1, 78: 0, 81: 0, 86: 0, 87: 0, 88: 0, 22: 1, 54: 1, 55: 1}
KNOWN_IB_REQUESTS = set(range(1, 26)) | set(range(49, 111))
# Requests that only exist from a server version on; below it they are treated as unsupported.
REQUESTS_SINCE = {m.In.REQ_CURRENT_TIME_IN_MILLIS: Feature.CURRENT_TIME_IN_MILLIS}


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class LiveBars:
    """A keepUpToDate historical request or a 5-second real-time bar subscription."""

    builder: BarBuilder
    format_date: int = 2
    last_sent: float = 0.0


@dataclass(slots=True)
class Subscriptions:
    market_data: dict[int, ContractSpec] = field(default_factory=dict)
    tick_by_tick: dict[int, tuple[ContractSpec, str]] = field(default_factory=dict)
    realtime_bars: dict[int, LiveBars] = field(default_factory=dict)
    historical: dict[int, LiveBars] = field(default_factory=dict)
    account_summary: dict[int, tuple[str, ...]] = field(default_factory=dict)
    pnl: dict[int, int] = field(default_factory=dict)
    positions: bool = False
    account_updates: bool = False

    def contracts(self) -> set[int]:
        ids = {s.con_id for s in self.market_data.values()}
        ids |= {s.con_id for s, _ in self.tick_by_tick.values()}
        ids |= {b.builder.spec.con_id for b in (*self.realtime_bars.values(), *self.historical.values())}
        return ids


class Session:
    """Serves one client socket until it closes; all methods run on the gateway's event loop."""

    def __init__(self, server: GatewayServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self._reader = reader
        self._writer = writer
        self.peer = writer.get_extra_info("peername")
        self.protocol = ServerProtocol()
        self.client_id: int | None = None
        self.version: int | None = None
        self.wire = LATEST
        self.subs = Subscriptions()
        self._rate = MessageRateLimiter(server.max_msg_rate)
        self._closing = False
        self._handlers: dict[int, Callable[[tuple[str, ...]], None]] = {
            m.In.START_API: self._start_api,
            m.In.REQ_IDS: self._req_ids,
            m.In.REQ_CURRENT_TIME: self._req_current_time,
            m.In.REQ_CURRENT_TIME_IN_MILLIS: self._req_current_time_millis,
            m.In.REQ_MANAGED_ACCTS: self._req_managed_accounts,
            m.In.REQ_MARKET_DATA_TYPE: self._req_market_data_type,
            m.In.REQ_CONTRACT_DATA: self._req_contract_data,
            m.In.REQ_MKT_DATA: self._req_mkt_data,
            m.In.CANCEL_MKT_DATA: self._cancel_mkt_data,
            m.In.REQ_TICK_BY_TICK_DATA: self._req_tick_by_tick,
            m.In.CANCEL_TICK_BY_TICK_DATA: self._cancel_tick_by_tick,
            m.In.REQ_REAL_TIME_BARS: self._req_real_time_bars,
            m.In.CANCEL_REAL_TIME_BARS: self._cancel_real_time_bars,
            m.In.REQ_HISTORICAL_DATA: self._req_historical_data,
            m.In.CANCEL_HISTORICAL_DATA: self._cancel_historical_data,
            m.In.REQ_HISTORICAL_TICKS: self._req_historical_ticks,
            m.In.PLACE_ORDER: self._place_order,
            m.In.CANCEL_ORDER: self._cancel_order,
            m.In.REQ_GLOBAL_CANCEL: self._global_cancel,
            m.In.REQ_OPEN_ORDERS: self._req_open_orders,
            m.In.REQ_ALL_OPEN_ORDERS: self._req_all_open_orders,
            m.In.REQ_AUTO_OPEN_ORDERS: self._req_auto_open_orders,
            m.In.REQ_EXECUTIONS: self._req_executions,
            m.In.REQ_POSITIONS: self._req_positions,
            m.In.CANCEL_POSITIONS: self._cancel_positions,
            m.In.REQ_ACCOUNT_SUMMARY: self._req_account_summary,
            m.In.CANCEL_ACCOUNT_SUMMARY: self._cancel_account_summary,
            m.In.REQ_ACCT_DATA: self._req_account_updates,
            m.In.REQ_PNL: self._req_pnl,
            m.In.CANCEL_PNL: self._cancel_pnl,
            m.In.REQ_PNL_SINGLE: self._req_pnl,
            m.In.CANCEL_PNL_SINGLE: self._cancel_pnl,
        }

    # --- connection --------------------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            while not self._closing:
                data = await self._reader.read(65536)
                if not data:
                    if self.protocol.buffered:
                        log.warning("client %s vanished mid-message (%d bytes)", self.peer, self.protocol.buffered)
                    break
                try:
                    events = self.protocol.receive(data)
                except ProtocolError as exc:
                    log.warning("closing client %s: %s", self.peer, exc)
                    break
                for event in events:
                    if isinstance(event, Handshake):
                        await self._on_handshake(event)
                    else:
                        await self._on_request(event)
                    if self._closing:
                        break
                await self._drain()
        except (ConnectionError, OSError) as exc:
            log.info("client %s connection error: %s", self.peer, exc)
        finally:
            self.close()
            self.server.unregister(self)

    def close(self) -> None:
        self._closing = True
        if not self._writer.is_closing():
            self._writer.close()

    async def _drain(self) -> None:
        try:
            await self._writer.drain()
        except (ConnectionError, OSError):
            self.close()

    def send(self, fields: m.Fields) -> None:
        if self._closing or self._writer.is_closing():
            return
        self._writer.write(encode_frame(fields))
        if self._writer.transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            log.warning("client %s is not reading; closing it", self.peer)
            self.close()

    def error(self, req_id: int, code: int, text: str) -> None:
        self.send(m.error(req_id, code, text, now_ms(), v=self.wire))

    async def _on_handshake(self, hs: Handshake) -> None:
        version = negotiate_version(hs, MIN_VERSION, MAX_VERSION)
        if version is None:
            # Like IB Gateway: no handshake reply (it could only name a version outside the client's range),
            # the socket is closed and the client sees the connection drop.
            log.warning(
                "refusing client %s: it offers server versions v%d..%d, this gateway serves v%d..%d; closing",
                self.peer,
                hs.min_version,
                hs.max_version,
                MIN_VERSION,
                MAX_VERSION,
            )
            self.close()
            return
        self.version = version
        self.wire = wire(version)
        log.info(
            "client %s: server version %d (client offers v%d..%d)", self.peer, version, hs.min_version, hs.max_version
        )
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d %H:%M:%S") + " UTC"
        self._writer.write(encode_handshake_reply(version, stamp))
        await self._drain()

    async def _on_request(self, req: Request) -> None:
        if self.version is None:
            return
        rcvd = self._rate.admit(time.monotonic())
        if rcvd is not None:
            self.error(
                -1,
                100,
                f"Max rate of messages per second has been exceeded:max={self._rate.max_per_second} rcvd={rcvd}.",
            )
            return
        delay = self.server.faults.response_delay
        if delay > 0:
            await asyncio.sleep(delay)
        handler = self._handlers.get(req.msg_id)
        since = REQUESTS_SINCE.get(req.msg_id)
        if handler is None or (since is not None and not self.wire.has(since)):
            self._unserved(req)
            return
        if self.client_id is None and req.msg_id != m.In.START_API:
            self.error(-1, 321, f"Error validating request.-'{req.msg_id}' : cause - startApi has not been called")
            return
        try:
            handler(req.fields)
        except rq.MalformedRequest as exc:
            log.warning("client %s sent malformed message %d: %s", self.peer, req.msg_id, exc)
            self.error(-1, 320, f"Error reading request.-'{req.msg_id}' : cause - {exc}")
        except Exception:
            log.exception("client %s: failure handling message %d", self.peer, req.msg_id)
            self.error(-1, 320, f"Error reading request.-'{req.msg_id}' : cause - internal error")

    def _unserved(self, req: Request) -> None:
        if req.msg_id not in KNOWN_IB_REQUESTS:
            log.warning("client %s sent unknown message id %d", self.peer, req.msg_id)
            self.error(-1, 320, f"Error reading request.-'{req.msg_id}' : cause - Unknown message id")
            return
        pos = UNSERVED_REQ_ID_POS.get(req.msg_id)
        req_id = -1
        if pos is not None and len(req.fields) > pos and req.fields[pos].lstrip("-").isdigit():
            req_id = int(req.fields[pos])
        log.info("client %s: unsupported request %d", self.peer, req.msg_id)
        self.error(req_id, 321, f"Error validating request.-'{req.msg_id}' : cause - This request is not supported")

    # --- helpers -----------------------------------------------------------------------------------------
    def _resolve(self, req_id: int, query: ContractQuery) -> ContractSpec | None:
        matches = self.server.universe.match(query)
        if len(matches) != 1:
            self.error(req_id, 200, NO_SECURITY if not matches else "The contract description specified is ambiguous")
            return None
        return matches[0]

    def _quote_ticks(self, req_id: int, quote: Quote) -> None:
        self.send(m.tick_price(req_id, m.BID, quote.bid, quote.bid_size, 1))
        self.send(m.tick_price(req_id, m.ASK, quote.ask, quote.ask_size, 1))
        self.send(m.tick_size(req_id, m.BID_SIZE, quote.bid_size))
        self.send(m.tick_size(req_id, m.ASK_SIZE, quote.ask_size))

    # --- connection-level requests -----------------------------------------------------------------------
    def _start_api(self, fields: tuple[str, ...]) -> None:
        start = rq.parse_start_api(fields)
        if self.client_id is not None:
            self.error(-1, 501, "Already connected.")
            return
        if not self.server.claim_client_id(self, start.client_id):
            self.error(-1, 326, "Unable to connect as the client id is already in use. Retry with a unique client id.")
            self.close()
            return
        self.client_id = start.client_id
        log.info("client %s started API as client id %d", self.peer, start.client_id)
        self.send(m.managed_accounts(self.server.broker.account))
        self.send(m.next_valid_id(self.server.broker.next_valid_id()))
        faults = self.server.faults
        if faults.market_farm_ok:
            self.error(-1, 2104, "Market data farm connection is OK:usfarm")
        if faults.hmds_farm_ok:
            self.error(-1, 2106, "HMDS data farm connection is OK:ushmds")
        self.error(-1, 2158, "Sec-def data farm connection is OK:secdefnj")

    def _req_ids(self, fields: tuple[str, ...]) -> None:
        rq.parse_versioned_id(fields)
        self.send(m.next_valid_id(self.server.broker.next_valid_id()))

    def _req_current_time(self, fields: tuple[str, ...]) -> None:
        self.send(m.current_time(int(time.time())))

    def _req_current_time_millis(self, fields: tuple[str, ...]) -> None:
        self.send(m.current_time_in_millis(now_ms()))

    def _req_managed_accounts(self, fields: tuple[str, ...]) -> None:
        self.send(m.managed_accounts(self.server.broker.account))

    def _req_market_data_type(self, fields: tuple[str, ...]) -> None:
        data_type = rq.parse_versioned_id(fields)
        if data_type not in (1, 2, 3, 4):
            self.error(-1, 321, f"Error validating request.-'59' : cause - Invalid market data type {data_type}")

    def _req_contract_data(self, fields: tuple[str, ...]) -> None:
        req = rq.parse_contract_details(fields)
        matches = self.server.universe.match(req.contract)
        if not matches:
            self.error(req.req_id, 200, NO_SECURITY)
            return
        for spec in matches:
            exchange = req.contract.exchange if req.contract.exchange else spec.exchange
            self.send(m.contract_data(req.req_id, spec, exchange, self.wire))
        self.send(m.contract_data_end(req.req_id))

    # --- market data -------------------------------------------------------------------------------------
    def _req_mkt_data(self, fields: tuple[str, ...]) -> None:
        req = rq.parse_market_data(fields)
        if req.req_id in self.subs.market_data:
            self.error(req.req_id, 322, f"Error processing request.-'bW' : cause - Duplicate ticker id {req.req_id}")
            return
        spec = self._resolve(req.req_id, req.contract)
        if spec is None:
            return
        self.send(m.market_data_type(req.req_id, 1))
        self.send(m.tick_req_params(req.req_id, spec.min_tick, "9c0001", 3))
        now = time.time()
        if self.server.feed_alive(spec):
            self._quote_ticks(req.req_id, self.server.market.quote(spec, now))
        if req.snapshot:
            self.send(m.tick_snapshot_end(req.req_id))
            return
        self.subs.market_data[req.req_id] = spec
        self.server.activate(spec)

    def _cancel_mkt_data(self, fields: tuple[str, ...]) -> None:
        req_id = rq.parse_versioned_id(fields)
        if self.subs.market_data.pop(req_id, None) is None:
            self.error(req_id, 300, f"Can't find EId with tickerId:{req_id}")

    def _req_tick_by_tick(self, fields: tuple[str, ...]) -> None:
        req = rq.parse_tick_by_tick(fields)
        if req.tick_type not in ("Last", "AllLast", "BidAsk", "MidPoint"):
            self.error(req.req_id, 321, f"Error validating request.-'cP' : cause - Invalid tick type '{req.tick_type}'")
            return
        spec = self._resolve(req.req_id, req.contract)
        if spec is None:
            return
        self.subs.tick_by_tick[req.req_id] = (spec, req.tick_type)
        self.server.activate(spec)

    def _cancel_tick_by_tick(self, fields: tuple[str, ...]) -> None:
        self.subs.tick_by_tick.pop(rq.parse_plain_id(fields), None)

    def _req_real_time_bars(self, fields: tuple[str, ...]) -> None:
        req = rq.parse_real_time_bars(fields)
        if req.bar_size != 5:
            self.error(req.req_id, 321, "Error validating request.-'bN' : cause - Only 5 seconds bars are supported")
            return
        if req.what_to_show not in ("TRADES", "MIDPOINT", "BID", "ASK"):
            cause = f"Invalid whatToShow {req.what_to_show}"
            self.error(req.req_id, 321, f"Error validating request.-'bN' : cause - {cause}")
            return
        spec = self._resolve(req.req_id, req.contract)
        if spec is None:
            return
        if req.what_to_show == "TRADES" and not spec.has_trades:
            self.error(req.req_id, 420, f"Invalid Real-time Query:No data of type TRADES for {spec.local_symbol}")
            return
        self.subs.realtime_bars[req.req_id] = LiveBars(BarBuilder(spec, 5, req.what_to_show))
        self.server.activate(spec)

    def _cancel_real_time_bars(self, fields: tuple[str, ...]) -> None:
        self.subs.realtime_bars.pop(rq.parse_versioned_id(fields), None)

    def _hmds_refuses(self, req_id: int, pacing_violation: str | None = None) -> bool:
        """Send IB's error 162 when the historical farm is down or pacing was violated; True if refused."""
        if not self.server.faults.hmds_farm_ok:
            pacing_violation = "HMDS query returned no data"
        if pacing_violation:
            self.error(req_id, 162, f"Historical Market Data Service error message:{pacing_violation}")
        return bool(pacing_violation)

    def _req_historical_data(self, fields: tuple[str, ...]) -> None:
        req = rq.parse_historical_data(fields)
        spec = self._resolve(req.req_id, req.contract)
        if spec is None:
            return
        if self._hmds_refuses(req.req_id):
            return
        now = time.time()
        if req.keep_up_to_date and req.end.strip():
            cause = "End date not supported with live updates"
            self.error(req.req_id, 321, f"Error validating request.-'bX' : cause - {cause}")
            return
        if self._hmds_refuses(req.req_id, self.server.pacing.check(req.pacing_key, now, live=req.keep_up_to_date)):
            return
        try:
            bar_seconds = parse_bar_size(req.bar_size)
            duration = parse_duration(req.duration)
            end = parse_end_time(req.end, now)
            anchor = self.server.market.quote(spec, now).mid
            bars = historical_bars(spec, end, duration, bar_seconds, req.what_to_show, anchor, self.server.seed)
        except BarRequestError as exc:
            self.error(req.req_id, exc.code, str(exc))
            return
        fmt = "%Y%m%d %H:%M:%S"
        start_text = dt.datetime.fromtimestamp(end - duration, dt.UTC).strftime(fmt) + " UTC"
        end_text = dt.datetime.fromtimestamp(end, dt.UTC).strftime(fmt) + " UTC"
        for message in m.historical_data(
            req.req_id, bars, bar_seconds, req.format_date, start_text, end_text, self.wire
        ):
            self.send(message)
        if req.keep_up_to_date:
            builder = BarBuilder(spec, bar_seconds, req.what_to_show)
            self.subs.historical[req.req_id] = LiveBars(builder, req.format_date)
            self.server.activate(spec)

    def _cancel_historical_data(self, fields: tuple[str, ...]) -> None:
        req_id = rq.parse_versioned_id(fields)
        self.subs.historical.pop(req_id, None)

    def _req_historical_ticks(self, fields: tuple[str, ...]) -> None:
        req = rq.parse_historical_ticks(fields)
        spec = self._resolve(req.req_id, req.contract)
        if spec is None:
            return
        if self._hmds_refuses(req.req_id):
            return
        now = time.time()
        try:
            query = tick_query(
                spec, req.start, req.end, req.number_of_ticks, req.what_to_show, req.use_rth, req.ignore_size, now
            )
        except BarRequestError as exc:
            self.error(req.req_id, exc.code, str(exc))
            return
        if self._hmds_refuses(req.req_id, self.server.pacing.check(req.pacing_key, now, live=False)):
            return
        ticks = historical_ticks(spec, query, self.server.seed, now)
        self.send(m.historical_ticks(req.req_id, query.what, ticks))

    def on_market(self, spec: ContractSpec, quote: Quote, trade: Trade | None) -> None:
        """Push a new quote (and trade) to this client's subscriptions on ``spec``."""
        for req_id, sub in self.subs.market_data.items():
            if sub.con_id == spec.con_id:
                self._quote_ticks(req_id, quote)
                if trade is not None:
                    self.send(m.tick_price(req_id, m.LAST, trade.price, trade.size, 0))
                    self.send(m.tick_size(req_id, m.LAST_SIZE, trade.size))
        ts = int(quote.ts)
        for req_id, (sub, kind) in self.subs.tick_by_tick.items():
            if sub.con_id != spec.con_id:
                continue
            if kind == "BidAsk":
                self.send(m.tick_by_tick_bid_ask(req_id, ts, quote.bid, quote.ask, quote.bid_size, quote.ask_size))
            elif kind == "MidPoint":
                self.send(m.tick_by_tick_midpoint(req_id, ts, spec.round_price(quote.mid)))
            elif trade is not None:
                tick_type = 1 if kind == "Last" else 2
                exchange = spec.primary_exchange or spec.exchange
                self.send(m.tick_by_tick_last(req_id, tick_type, ts, trade.price, trade.size, exchange))
        for req_id, live in self.subs.realtime_bars.items():
            if live.builder.spec.con_id == spec.con_id:
                self._feed(live, quote, trade, lambda bar, r=req_id: self.send(m.realtime_bar(r, bar)))
        for req_id, live in self.subs.historical.items():
            if live.builder.spec.con_id == spec.con_id:
                self._feed_historical(req_id, live, quote, trade)

    @staticmethod
    def _feed(live: LiveBars, quote: Quote, trade: Trade | None, emit: Callable) -> None:
        done = live.builder.on_quote(quote.bid, quote.ask, quote.ts)
        if trade is not None:
            done = live.builder.on_trade(trade.price, trade.size, trade.ts) or done
        if done is not None:
            emit(done)

    def _feed_historical(self, req_id: int, live: LiveBars, quote: Quote, trade: Trade | None) -> None:
        size = live.builder.bar_seconds
        fmt = live.format_date
        self._feed(live, quote, trade, lambda bar: self.send(m.historical_data_update(req_id, bar, size, fmt)))
        current = live.builder.current()
        if current is not None and quote.ts - live.last_sent >= 1.0:
            live.last_sent = quote.ts
            self.send(m.historical_data_update(req_id, current, size, live.format_date))

    def roll_bars(self, now: float) -> None:
        """Close real-time bars whose 5 seconds are over even if no newer quote came."""
        for req_id, live in self.subs.realtime_bars.items():
            bar = live.builder.roll(now)
            if bar is not None:
                self.send(m.realtime_bar(req_id, bar))

    # --- orders ------------------------------------------------------------------------------------------
    def _place_order(self, fields: tuple[str, ...]) -> None:
        req = rq.parse_place_order(fields, self.wire)
        assert self.client_id is not None
        reason = self.server.faults.take_order_rejection()
        if reason is not None:
            self.error(req.order_id, 201, f"Order rejected - reason:{reason}")
            return
        spec = self._resolve(req.order_id, req.contract)
        if spec is None:
            return
        order = OrderRequest(
            order_id=req.order_id,
            client_id=self.client_id,
            spec=spec,
            action=req.action,
            quantity=req.quantity,
            order_type=req.order_type,
            lmt_price=req.lmt_price,
            aux_price=req.aux_price,
            tif=req.tif or "DAY",
            account=req.account,
            order_ref=req.order_ref,
            oca_group=req.oca_group,
            outside_rth=req.outside_rth,
            transmit=req.transmit,
            parent_id=req.parent_id,
            good_till_date=req.good_till_date,
            oca_type=req.oca_type,
        )
        now = time.time()
        try:
            events = self.server.broker.place(order, self.server.market.quote(spec, now), now)
        except OrderError as exc:
            self.error(req.order_id, exc.code, exc.message)
            return
        self.server.activate(spec)
        self.server.route(events)

    def _cancel_order(self, fields: tuple[str, ...]) -> None:
        order_id = rq.parse_cancel_order(fields, self.wire)
        assert self.client_id is not None
        try:
            events = self.server.broker.cancel(self.client_id, order_id)
        except OrderError as exc:
            self.error(order_id, exc.code, exc.message)
            return
        self.server.route(events)

    def _global_cancel(self, fields: tuple[str, ...]) -> None:
        self.server.route(self.server.broker.cancel_all())

    def _send_orders(self, client_id: int | None) -> None:
        account = self.server.broker.account
        for order in self.server.broker.open_orders(client_id):
            self.send(m.open_order(order, account, self.wire))
            self.send(m.order_status(order))
        self.send(m.open_order_end())

    def _req_open_orders(self, fields: tuple[str, ...]) -> None:
        self._send_orders(None if self.client_id == 0 else self.client_id)

    def _req_all_open_orders(self, fields: tuple[str, ...]) -> None:
        self._send_orders(None)

    def _req_auto_open_orders(self, fields: tuple[str, ...]) -> None:
        if self.client_id != 0:
            self.error(-1, 321, "Error validating request.-'bd' : cause - reqAutoOpenOrders needs client id 0")

    def _req_executions(self, fields: tuple[str, ...]) -> None:
        flt = rq.parse_executions(fields)
        for ex in self.server.broker.executions():
            if _execution_matches(ex, flt):
                self.send(m.exec_details(flt.req_id, ex, self.wire))
                self.send(m.commission_report(ex))
        self.send(m.exec_details_end(flt.req_id))

    def on_order_update(self, order: Order, cancelled: bool) -> None:
        self.send(m.open_order(order, self.server.broker.account, self.wire))
        self.send(m.order_status(order))
        if cancelled:
            self.error(order.order_id, 202, "Order Canceled - reason:")

    def on_fill(self, order: Order, execution: Execution) -> None:
        self.send(m.exec_details(-1, execution, self.wire))
        self.send(m.order_status(order))
        self.send(m.open_order(order, self.server.broker.account, self.wire))
        self.send(m.commission_report(execution))

    # --- account -----------------------------------------------------------------------------------------
    def _req_positions(self, fields: tuple[str, ...]) -> None:
        self.subs.positions = True
        for pos in self.server.broker.positions():
            self.send(m.position(self.server.broker.account, pos))
        self.send(m.position_end())

    def _cancel_positions(self, fields: tuple[str, ...]) -> None:
        self.subs.positions = False

    def _req_account_summary(self, fields: tuple[str, ...]) -> None:
        req = rq.parse_account_summary(fields)
        if req.req_id in self.subs.account_summary:
            self.error(req.req_id, 322, f"Error processing request.-'bY' : cause - Duplicate ticker id {req.req_id}")
            return
        self.subs.account_summary[req.req_id] = req.tags
        self._send_account_summary(req.req_id, req.tags)
        self.send(m.account_summary_end(req.req_id))

    def _send_account_summary(self, req_id: int, tags: tuple[str, ...]) -> None:
        values = self.server.broker.account_values()
        account = self.server.broker.account
        for tag in tags:
            if tag in values:
                value, currency = values[tag]
                self.send(m.account_summary(req_id, account, tag, value, currency))

    def _cancel_account_summary(self, fields: tuple[str, ...]) -> None:
        self.subs.account_summary.pop(rq.parse_versioned_id(fields), None)

    def _req_account_updates(self, fields: tuple[str, ...]) -> None:
        subscribe, account = rq.parse_account_updates(fields)
        if account and account != self.server.broker.account:
            self.error(-1, 321, f"Error validating request.-'bB' : cause - Unknown account {account}")
            return
        self.subs.account_updates = subscribe
        if subscribe:
            self._send_account_updates()
            self.send(m.account_download_end(self.server.broker.account))

    def _send_account_updates(self) -> None:
        broker = self.server.broker
        for key, (value, currency) in broker.account_values().items():
            self.send(m.account_value(key, value, currency, broker.account))
        for pos in broker.positions():
            price = broker.market_price(pos.spec) or pos.avg_price
            self.send(m.portfolio_value(pos, price, broker.unrealized_pnl(pos), broker.account))
        self.send(m.account_update_time(dt.datetime.now(dt.UTC).strftime("%H:%M")))

    def _req_pnl(self, fields: tuple[str, ...]) -> None:
        req_id, account, con_id = rq.parse_pnl(fields)
        if account != self.server.broker.account:
            self.error(req_id, 321, f"Error validating request.-'bZ' : cause - Unknown account {account}")
            return
        self.subs.pnl[req_id] = con_id
        self._send_pnl(req_id, con_id)

    def _send_pnl(self, req_id: int, con_id: int) -> None:
        broker = self.server.broker
        if con_id == 0:
            self.send(m.pnl(req_id, *broker.pnl()))
            return
        pos = broker.position(con_id)
        if pos is None:
            self.send(m.pnl_single(req_id, 0, 0.0, 0.0, 0.0, 0.0))
            return
        unrealized = broker.unrealized_pnl(pos)
        value = float(pos.quantity) * (broker.market_price(pos.spec) or pos.avg_price) * pos.multiplier
        realized = pos.realized_pnl
        self.send(m.pnl_single(req_id, pos.quantity, unrealized + realized, unrealized, realized, value))

    def _cancel_pnl(self, fields: tuple[str, ...]) -> None:
        self.subs.pnl.pop(rq.parse_plain_id(fields), None)

    def on_account_change(self, changed: set[int]) -> None:
        """Fills moved positions and account values: refresh every account subscription."""
        broker = self.server.broker
        if self.subs.positions:
            for con_id in changed:
                pos = broker.position(con_id)
                if pos is not None:
                    self.send(m.position(broker.account, pos))
        for req_id, tags in self.subs.account_summary.items():
            self._send_account_summary(req_id, tags)
        if self.subs.account_updates:
            self._send_account_updates()
        for req_id, con_id in self.subs.pnl.items():
            self._send_pnl(req_id, con_id)


def _execution_matches(ex: Execution, flt: rq.ExecutionFilter) -> bool:
    if flt.client_id and ex.client_id != flt.client_id:
        return False
    if flt.account and flt.account != ex.account:
        return False
    if flt.symbol and flt.symbol != ex.spec.symbol:
        return False
    if flt.sec_type and flt.sec_type != ex.spec.sec_type:
        return False
    if flt.side and flt.side.upper() not in (ex.side, "BUY" if ex.side == "BOT" else "SELL"):
        return False
    if flt.time:
        try:
            since = parse_end_time(flt.time, ex.ts)
        except BarRequestError:
            return True
        return ex.ts >= since
    return True
