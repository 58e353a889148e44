"""Splitting a frame's message id on both stacks, and what the guard counts and asks for when it skips one."""

from __future__ import annotations

import logging

import pytest
from ibapi.message import IN

from nautilus_node.live.message_guard import FrameError, MessageGuard, check_length, short_dump, split_message_id


def test_text_frames_give_their_numeric_id_and_the_fields_after_it():
    assert split_message_id(b"1\x006\x001\x00", 200) == (1, b"6\x001\x00", False)


@pytest.mark.parametrize("frame", [b"x1\x006\x00", b"\x006\x00", b"1\x006"], ids=["letters", "empty-id", "no-nul"])
def test_a_text_frame_that_cannot_be_a_tws_message_is_out_of_step(frame):
    with pytest.raises(FrameError):
        split_message_id(frame, 200)


def test_binary_ids_above_200_are_protobuf_under_the_id_less_200():
    assert split_message_id((201).to_bytes(4, "big") + b"\x08\x01", 223) == (1, b"\x08\x01", True)
    assert split_message_id((4).to_bytes(4, "big") + b"2\x00", 223) == (4, b"2\x00", False)
    with pytest.raises(FrameError):
        split_message_id((5000).to_bytes(4, "big"), 223)


def test_a_length_beyond_ibs_maximum_or_zero_is_out_of_step():
    check_length(1)
    check_length(0xFFFFFF)
    for size in (0, 0xFFFFFF + 1):
        with pytest.raises(FrameError):
            check_length(size)


def test_a_skipped_order_message_is_counted_by_id_and_asks_for_a_reconciliation_a_quote_does_not():
    asked = []
    guard = MessageGuard(logging.getLogger("test"), lambda: asked.append(True))
    guard.decode_failed(IN.TICK_PRICE, b"6\x00x\x00", ValueError("not a number"))
    assert asked == []
    guard.decode_failed(IN.EXECUTION_DATA, b"1\x00", ValueError("not a number"))
    assert asked == [True]
    assert guard.counts.by_id == {IN.TICK_PRICE: 1, IN.EXECUTION_DATA: 1} and guard.counts.reconciliations == 1


def test_a_dump_shows_nuls_as_bars_and_is_cut_short():
    assert short_dump(b"1\x006\x00") == "1|6|"
    assert short_dump(b"a" * 100).endswith("… (100 bytes)")
