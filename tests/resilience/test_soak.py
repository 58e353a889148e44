"""The soak, on demand (`-m soak`): random disruptions from the matrix for 20 minutes (`SOAK_SECS` to change)
with two strategies trading; no fill lost, no order duplicated, status truthful at every one-second sample."""

from __future__ import annotations

import os
import random
import time

import pytest
from nautilus_trader.model.events import OrderFilled

from nautilus_node.simgateway.versions import NAUTILUS_VERSION
from tests.resilience.harness import (
    DISRUPTIONS,
    assert_no_order_duplicated,
    assert_status_truthful,
    flowing_since,
    wait_until,
)
from tests.resilience.probe import Trader, TraderConfig

pytestmark = [pytest.mark.e2e, pytest.mark.soak]
SOAK_SECS = float(os.environ.get("SOAK_SECS", "1200"))
SOAK_ROWS = [name for name in DISRUPTIONS if name != "restart-long"] + ["restart-long"]


def node_fill_ids(live) -> list[str]:
    return sorted(e.trade_id.value for o in live.node.cache.orders() for e in o.events if isinstance(e, OrderFilled))


@pytest.mark.timeout(SOAK_SECS + 600)
def test_soak_random_disruptions_with_two_strategies_trading(gateway, node_factory):
    live = node_factory(True, extra_strategies=[Trader(TraderConfig(order_id_tag=tag)) for tag in ("T1", "T2")])
    rng = random.Random(20261201)
    end = time.monotonic() + SOAK_SECS
    done: list[tuple[str, float]] = []
    while time.monotonic() < end:
        name = rng.choice(SOAK_ROWS)
        disruption = DISRUPTIONS[name]
        back = disruption.run(gateway, lambda: None)
        waited = wait_until(flowing_since(live, back), 90, f"every feed kind after {name}", live)
        done.append((name, waited))
        quiet_until = time.monotonic() + rng.uniform(10, 30)
        while time.monotonic() < quiet_until:
            live.sample()
            time.sleep(1.0)
    time.sleep(5)
    wait_until(lambda: node_fill_ids(live) == sorted(e.exec_id for e in gateway.broker.executions()), 60,
               "every gateway execution as a node fill", live)  # fmt: skip
    assert_no_order_duplicated(gateway)
    assert_status_truthful(live)
    assert set(gateway.session_versions) == {NAUTILUS_VERSION}  # the soak ran on the protobuf stack
    fills = len(gateway.broker.executions())
    print(f"\nsoak {SOAK_SECS:.0f} s: {len(done)} disruptions, {fills} fills, {len(live.samples)} status samples")
    for name in sorted({n for n, _ in done}):
        times = [w for n, w in done if n == name]
        print(f"  {name:24s} x{len(times)}  feeds back within {max(times):.1f} s")
