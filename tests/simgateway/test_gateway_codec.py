"""The sans-IO codec and request layouts, as plain function calls, plus a hypothesis fuzz of both."""

from __future__ import annotations

import contextlib
import struct
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ibapi import comm

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import place_order as po
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.codec import (
    Handshake,
    ProtocolError,
    Request,
    ServerProtocol,
    encode_field,
    encode_frame,
    encode_greeting,
    negotiate_version,
    parse_version_range,
    split_frames,
)


def test_fields_render_like_ib() -> None:
    assert [encode_field(v) for v in (True, False, None, 3, 1.5, 2.0, Decimal("100"), Decimal("0.25"))] == [
        "1",
        "0",
        "",
        "3",
        "1.5",
        "2.0",
        "100",
        "0.25",
    ]
    assert encode_field(1.7976931348623157e308) == "1.7976931348623157E308"


def test_frame_is_length_prefixed_nul_terminated_text() -> None:
    frame = encode_frame((4, -1, 2104, "ok"))
    assert frame == struct.pack(">I", 13) + b"4\0-1\x002104\0ok\0"
    assert comm.read_fields(comm.read_msg(frame)[1]) == (b"4", b"-1", b"2104", b"ok")


def test_greeting_then_requests_in_arbitrary_chunks() -> None:
    data = encode_greeting(100, 223, "+PACEAPI") + encode_frame((71, 2, 5, "")) + encode_frame((49, 1))
    proto = ServerProtocol()
    events = []
    for i in range(len(data)):
        events += proto.receive(data[i : i + 1])
    assert events == [Handshake(100, 223, "+PACEAPI"), Request(71, ("2", "5", "")), Request(49, ("1",))]
    assert proto.buffered == 0


def test_half_frame_stays_buffered() -> None:
    proto = ServerProtocol()
    proto.receive(encode_greeting(100, 223))
    frame = encode_frame((49, 1))
    assert proto.receive(frame[:-2]) == [] and proto.buffered == len(frame) - 2
    assert proto.receive(frame[-2:]) == [Request(49, ("1",))]


@pytest.mark.parametrize(
    "data",
    [b"GET / HTTP/1.1\r\n", b"API\0" + struct.pack(">I", 0), b"API\0" + struct.pack(">I", 0x1000000) + b"v1"],
)
def test_framing_violations_raise_protocol_error(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        ServerProtocol().receive(data)


def test_frame_without_terminator_or_with_text_id_is_rejected() -> None:
    proto = ServerProtocol()
    proto.receive(encode_greeting(100, 223))
    with pytest.raises(ProtocolError):
        proto.receive(struct.pack(">I", 2) + b"49")
    proto = ServerProtocol()
    proto.receive(encode_greeting(100, 223))
    with pytest.raises(ProtocolError, match="not a number"):
        proto.receive(encode_frame(("abc", 1)))


def test_version_negotiation_picks_highest_common_or_refuses() -> None:
    assert parse_version_range("v100..223") == Handshake(100, 223, "")
    assert negotiate_version(Handshake(100, 223, ""), 200, 200) == 200
    assert negotiate_version(Handshake(100, 176, ""), 200, 200) is None
    with pytest.raises(ProtocolError):
        parse_version_range("v9..1")


def test_split_frames_returns_remainder() -> None:
    data = encode_frame((1, 2)) + encode_frame((3,))[:3]
    frames, rest = split_frames(data)
    assert frames == [("1", "2")] and rest == encode_frame((3,))[:3]


def test_place_order_layout_reads_the_fields_the_broker_needs() -> None:
    fields = (
        "5",
        "0",
        "SPY",
        "STK",
        "",
        "",
        "",
        "",
        "SMART",
        "ARCA",
        "USD",
        "",
        "",
        "",
        "",
        "BUY",
        "100",
        "LMT",
        "580.5",
        "1.7976931348623157e+308",
        "GTC",
        "",
        "DU1",
        "",
        "0",
        "ref:5",
        "1",
        "0",
        "0",
        "0",
        "",
        "0",
        "1",
        "0",
    )
    req = po.parse_place_order(fields)
    assert (req.order_id, req.action, req.quantity, req.order_type, req.lmt_price, req.aux_price, req.tif) == (
        5,
        "BUY",
        Decimal(100),
        "LMT",
        580.5,
        None,
        "GTC",
    )
    assert req.order_ref == "ref:5" and req.outside_rth and req.contract.primary_exchange == "ARCA"


def test_truncated_request_is_malformed_not_a_crash() -> None:
    with pytest.raises(rq.MalformedRequest):
        rq.parse_contract_details(("8", "1", "0", "SPY"))
    with pytest.raises(rq.MalformedRequest):
        rq.parse_versioned_id(("1", "x"))


def test_error_layout_at_version_200_has_no_version_field() -> None:
    assert m.error(7, 200, "No security", 123) == (m.Out.ERROR, 7, 200, "No security", "", 123)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=8))
def test_fuzz_codec_never_fails_other_than_protocol_error(chunks: list[bytes]) -> None:
    proto = ServerProtocol(max_frame=4096)
    try:
        for chunk in [encode_greeting(100, 223), *chunks]:
            for event in proto.receive(chunk):
                assert isinstance(event, Handshake | Request)
    except ProtocolError:
        pass


PARSERS = [
    rq.parse_start_api,
    rq.parse_contract_details,
    rq.parse_market_data,
    rq.parse_tick_by_tick,
    rq.parse_real_time_bars,
    rq.parse_historical_data,
    po.parse_place_order,
    rq.parse_executions,
    rq.parse_account_summary,
    rq.parse_versioned_id,
    rq.parse_account_updates,
    rq.parse_pnl,
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PARSERS), st.lists(st.text(max_size=12), max_size=40))
def test_fuzz_request_parsers_raise_only_malformed_request(parser, fields: list[str]) -> None:
    with contextlib.suppress(rq.MalformedRequest):
        parser(tuple(fields))
