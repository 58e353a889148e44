"""The protobuf stack (server versions 201..226) without a socket: requests as IB's own EClient writes them at
each version, through the gateway's framing and handlers, replies read back by IB's own Decoder.

- requests: the table of what travels as protobuf is IB's; each form is accepted exactly at the versions a
  client sends it, the other form gets 320; a body that does not parse gets 320 and the session lives on.
- messages: each goes as protobuf from the version of its group on, as text behind a binary id before.
- differential: one scenario (connect, contract details, an unknown contract, quotes, tick-by-tick, history
  with keepUpToDate, market/limit orders with modify and cancel, executions, positions, account summary and
  updates, current time) yields the same wrapper callbacks at 200 and at 205, 213 and 223, except the
  differences IB's two forms have (listed in docs/simulated-gateway-ib-fidelity.md and in ``_PROTOBUF_FORM``).
"""

from __future__ import annotations

import enum
from decimal import Decimal

import pytest
from ibapi.common import PROTOBUF_MSG_IDS
from ibapi.const import UNSET_DOUBLE, UNSET_INTEGER
from ibapi.contract import Contract
from ibapi.execution import ExecutionFilter
from ibapi.order import Order
from ibapi.order_cancel import OrderCancel

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway.codec import ProtoRequest, Request, encode_protobuf_frame
from nautilus_node.simgateway.handlers import market_data
from nautilus_node.simgateway.stacks import encoder_for
from nautilus_node.simgateway.versions import PROTOBUF_MESSAGES, PROTOBUF_REQUESTS, wire

from .ibapp import eurusd, spy
from .sansio import SansIOGateway
from .wire_stacks import StackSession, client_bytes, client_callbacks, server_events

PROTOBUF_VERSIONS = [201, 203, 205, 206, 207, 208, 210, 212, 213, 223]


def test_the_requests_sent_as_protobuf_and_their_versions_are_ibapis_table() -> None:
    assert {int(k): v for k, v in PROTOBUF_MSG_IDS.items()} == PROTOBUF_REQUESTS


@pytest.mark.parametrize("version", [200, *PROTOBUF_VERSIONS])
def test_each_request_arrives_in_the_form_ibapi_writes_at_that_version(version: int) -> None:
    def send(c) -> None:
        c.startApi()
        c.reqExecutions(1, ExecutionFilter())
        c.reqContractDetails(2, spy())
        c.reqMktData(3, spy(), "", False, False, [])
        c.reqHistoricalData(4, spy(), "", "600 S", "1 min", "MIDPOINT", 1, 2, False, [])
        c.reqCurrentTime()

    events = server_events(version, client_bytes(version, send))
    ids = [int(m.In.START_API), 7, 9, 1, 20, 49]
    assert [e.msg_id for e in events] == ids
    assert [isinstance(e, ProtoRequest) for e in events] == [wire(version).protobuf_request(i) for i in ids]
    assert version < 201 or any(isinstance(e, ProtoRequest) for e in events)


def _session(version: int) -> tuple[SansIOGateway, StackSession]:
    gateway = SansIOGateway()
    session = StackSession(gateway, version)
    session.call(lambda c: c.startApi())
    return gateway, session


def test_a_request_in_the_form_this_version_does_not_send_gets_320_and_the_session_lives_on() -> None:
    _, s = _session(223)
    text_at_223 = s._answer(Request(int(m.In.REQ_CONTRACT_DATA), ("8", "5", "0", "SPY", "STK")))
    assert text_at_223.errors() == [(-1, 320, "Error reading request.-'9' : cause - Unsupported message format")]
    _, old = _session(205)
    proto_at_205 = old._answer(ProtoRequest(int(m.In.REQ_CURRENT_TIME), b""))  # protobuf only from 213
    assert [code for _, code, _ in proto_at_205.errors()] == [320]
    assert s.call(lambda c: c.reqCurrentTime())[-1][0] == "currentTime"


@pytest.mark.parametrize(
    "body",
    [b"\xff\xff\xff", b"\x08", b"\x12\x05abc", b"\x08\x01\x12\xff\x01"],
    ids=["bad-varint", "truncated", "short-contract", "bad-length"],
)
def test_a_malformed_protobuf_body_gets_320_naming_the_message(body: bytes) -> None:
    _, s = _session(223)
    reply = s._answer(ProtoRequest(int(m.In.REQ_CONTRACT_DATA), body))
    [(req_id, code, text)] = reply.errors()
    assert (req_id, code) == (-1, 320) and text.startswith("Error reading request.-'9' : cause - ContractDataRequest")
    assert [n for n, _ in s.call(lambda c: c.reqContractDetails(5, spy())) if not n.endswith("ProtoBuf")] == [
        "contractDetails",
        "contractDetailsEnd",
    ]


@pytest.mark.parametrize("version", [200, *PROTOBUF_VERSIONS, 226])
def test_each_message_goes_as_protobuf_from_the_version_of_its_group(version: int) -> None:
    encode = encoder_for(wire(version))
    samples = [
        m.error(1, 200, "x", 5),
        m.next_valid_id(3),
        m.tick_price(1, 1, 1.5, 100),
        m.contract_data_end(2),
        m.position_end(),
        m.historical_data_end(4, "a", "b"),
        m.pnl(5, 1.0, 2.0, 3.0),
    ]
    for msg in samples:
        frame = encode(msg)
        msg_id = int(msg[0])
        if version < 201:
            assert frame[4:].split(b"\0")[0] == str(msg_id).encode()
        elif version >= PROTOBUF_MESSAGES[msg_id]:
            assert int.from_bytes(frame[4:8], "big") == msg_id + 200
        else:
            assert int.from_bytes(frame[4:8], "big") == msg_id and frame.endswith(b"\0")
        assert client_callbacks(version, frame), f"message {msg_id} not understood at {version}"


def test_a_protobuf_frame_is_length_binary_id_and_body() -> None:
    frame = encode_protobuf_frame(int(m.Out.NEXT_VALID_ID), b"\x08\x07")
    assert frame == b"\x00\x00\x00\x06\x00\x00\x00\xd1\x08\x07"
    assert client_callbacks(213, frame)[-1] == ("nextValidId", (7,))


# --- differential ----------------------------------------------------------------------------------------------
_PROTOBUF_FORM = {
    # IB's protobuf form leaves unset values out; ibapi then keeps its defaults, where the text form reads the
    # unset markers: OrderState margins ("" instead of max-double text), Order.displaySize (0 instead of
    # UNSET_INTEGER), algo and routing parameter lists ([] instead of None), the commission report's realized
    # P&L and yield when there are none (0.0 instead of max-double).
    "OrderState": {
        f"{k}{w}": ("1.7976931348623157E308", "")
        for k in ("initMargin", "maintMargin", "equityWithLoan")
        for w in ("Before", "Change", "After")
    },
    "Order": {"displaySize": (UNSET_INTEGER, 0), "algoParams": (None, []), "smartComboRoutingParams": (None, [])},
    "CommissionAndFeesReport": {"yield_": (UNSET_DOUBLE, 0.0), "realizedPNL": (UNSET_DOUBLE, 0.0)},
}


def _values(value: object, protobuf: bool) -> object:
    """A callback argument as comparable values; the protobuf form's documented differences mapped back."""
    if isinstance(value, list | tuple):
        return [_values(v, protobuf) for v in value]
    kind = type(value)
    if not kind.__module__.startswith("ibapi") or isinstance(value, enum.Enum):
        return value
    fields = {k: _values(v, protobuf) for k, v in vars(value).items()}
    for name, (text, proto) in _PROTOBUF_FORM.get(kind.__name__, {}).items():
        if protobuf and fields.get(name) == proto:
            fields[name] = text
    return (kind.__name__, fields)


def _scenario(version: int) -> list[tuple[str, object]]:
    gateway = SansIOGateway(first_perm_id=1_000_000)  # the same perm and exec ids in every run
    s = StackSession(gateway, version)
    unknown = Contract()
    unknown.symbol, unknown.secType, unknown.exchange, unknown.currency = "NOPE", "STK", "SMART", "USD"
    market = Order()
    market.action, market.orderType, market.totalQuantity = "BUY", "MKT", Decimal(10)
    limit = Order()
    limit.action, limit.orderType, limit.totalQuantity, limit.lmtPrice, limit.tif = "BUY", "LMT", Decimal(5), 1.0, "GTC"
    stop = Order()
    stop.action, stop.orderType, stop.totalQuantity, stop.auxPrice = "SELL", "STP", Decimal(3), 1.0
    steps = [
        lambda c: c.startApi(),
        lambda c: c.reqContractDetails(1, spy()),
        lambda c: c.reqContractDetails(2, unknown),
        lambda c: c.reqMktData(3, eurusd(), "", False, False, []),
        lambda c: c.reqTickByTickData(4, spy(), "BidAsk", 0, False),
        lambda c: c.reqHistoricalData(5, spy(), "", "600 S", "1 min", "MIDPOINT", 1, 2, True, []),
        "quote",
        lambda c: c.placeOrder(10, spy(), market),
        lambda c: c.placeOrder(11, spy(), limit),
        lambda c: (setattr(limit, "lmtPrice", 2.0), c.placeOrder(11, spy(), limit)),
        lambda c: c.cancelOrder(11, OrderCancel()),
        lambda c: c.placeOrder(12, spy(), stop),
        lambda c: c.reqExecutions(7, ExecutionFilter()),
        lambda c: c.reqPositions(),
        lambda c: c.reqAccountSummary(8, "All", "NetLiquidation,BuyingPower"),
        lambda c: c.reqAccountUpdates(True, "DU1234567"),
        lambda c: c.reqOpenOrders(),
        lambda c: c.reqCurrentTime(),
    ]
    protobuf = version >= 201
    calls: list[tuple[str, object]] = []
    for step in steps:
        got = s.deliver(_new_quote(gateway, s)) if step == "quote" else s.call(step)
        calls += [(n, _values(a, protobuf)) for n, a in got if not n.endswith("ProtoBuf")]
    return calls


def _new_quote(gateway: SansIOGateway, s: StackSession) -> list[m.Fields]:
    """A new SPY price a minute on, as the quote clock pushes it: ticks, tick-by-tick and the bar update."""
    gw = gateway.state
    spec = next(c for c in gw.universe if c.symbol == "SPY")
    gateway.now += 60
    quote = gw.market.set_price(spec, 101.25, gateway.now)
    return market_data.on_market(s.state, spec, quote, None) + market_data.roll_bars(s.state, gateway.now)


@pytest.mark.parametrize("version", [205, 213, 223])
def test_a_client_gets_the_same_callbacks_at_200_and_on_the_protobuf_stack(version: int) -> None:
    text, protobuf = _scenario(200), _scenario(version)
    assert [n for n, _ in protobuf] == [n for n, _ in text]
    names = {n for n, _ in text}
    assert {"contractDetails", "tickPrice", "tickByTickBidAsk", "historicalData", "openOrder", "execDetails"} <= names
    assert {"commissionAndFeesReport", "position", "accountSummary", "updatePortfolio", "currentTime"} <= names
    assert any(n == "error" and a[2] == 200 for n, a in text)  # the unknown contract
    for (name, want), (_, got) in zip(text, protobuf, strict=True):
        assert got == want, name


@pytest.mark.parametrize(("msg_id", "name"), [(106, "cancelContractData"), (108, "reqConfig"), (109, "updateConfig")])
def test_requests_of_214_to_226_that_the_gateway_does_not_serve_get_ibs_321_with_their_request_id(
    msg_id: int, name: str
) -> None:
    _, s = _session(226)
    reply = s._answer(ProtoRequest(msg_id, b"\x08\x2a"))  # {reqId: 42}
    assert reply.errors() == [
        (42, 321, f"Error validating request.-'{msg_id}' : cause - This request is not supported")
    ], name


def test_an_order_with_attached_orders_is_refused_with_321_and_a_plain_one_still_works() -> None:
    _, s = _session(226)
    attached, plain = Order(), Order()
    for o in (attached, plain):
        o.action, o.orderType, o.totalQuantity = "BUY", "MKT", Decimal(1)
    attached.slOrderId, attached.slOrderType = 21, "STP"
    body = server_events(226, client_bytes(226, lambda c: c.placeOrder(20, spy(), attached)))[0].body
    [(_, code, text)] = s._answer(ProtoRequest(int(m.In.PLACE_ORDER), body)).errors()
    assert code == 321 and "attached stop-loss / profit-taker orders" in text
    assert "execDetails" in {n for n, _ in s.call(lambda c: c.placeOrder(22, spy(), plain))}
