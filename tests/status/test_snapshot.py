"""The snapshot schema: JSON in and out, validated at the boundary."""

from __future__ import annotations

import msgspec
import pytest

from nautilus_node.status.snapshot import decode, encode, iso, parse_iso
from tests.status.conftest import sample_snapshot


def test_snapshot_round_trips_through_json_unchanged():
    snapshot = sample_snapshot()
    assert decode(encode(snapshot)) == snapshot


def test_decoding_names_the_bad_field():
    data = encode(sample_snapshot()).replace(b'"state":"connected"', b'"state":"probably"')
    with pytest.raises(msgspec.ValidationError, match=r"gateway\.state"):
        decode(data)


def test_timestamps_are_iso_utc_with_milliseconds_and_parse_back():
    text = iso(1_764_075_600_123_000_000)
    assert text == "2025-11-25T13:00:00.123Z"
    assert parse_iso(text) == pytest.approx(1_764_075_600.123)
