"""The disruption matrix, end to end: the node (resilient client on) against the simulated gateway.

Each row rests an order, disrupts the gateway (the order fills during an outage), then asserts that every
feed kind flows again, that no fill is lost and no order duplicated, and that status was truthful at every
sample. Long rows are marked `slow` (select with `-m slow`).
"""

from __future__ import annotations

import pytest

from nautilus_node.simgateway.versions import NAUTILUS_VERSION
from tests.resilience.harness import (
    DISRUPTIONS,
    assert_no_fill_lost,
    assert_no_order_duplicated,
    assert_status_truthful,
    run_row,
)

pytestmark = pytest.mark.e2e

DEFAULT_ROWS = ("1100+1101", "blip-10225")  # the others run as override tests by default, or with -m slow
SLOW_ROWS = tuple(name for name in DISRUPTIONS if name not in DEFAULT_ROWS)
ROWS = [pytest.param(n, id=n) for n in DEFAULT_ROWS] + [
    pytest.param(n, id=n, marks=pytest.mark.slow) for n in SLOW_ROWS
]


@pytest.mark.parametrize("row", ROWS)
def test_disruption_row(gateway, node_factory, row):
    live = node_factory(True)
    disruption = DISRUPTIONS[row]
    recovery = run_row(gateway, live, disruption, timeout=60 if row == "restart-long" else 30)
    print(f"{row}: " + ", ".join(f"{kind} {secs:.2f} s" for kind, secs in recovery.items()))
    assert_no_fill_lost(gateway, live)
    assert_no_order_duplicated(gateway)
    assert_status_truthful(live)
    assert set(gateway.session_versions) == {NAUTILUS_VERSION}  # every row ran on the protobuf stack
