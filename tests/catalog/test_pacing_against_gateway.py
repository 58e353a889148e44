"""The downloader obeys IB's full pacing (``ib.pacing``) against the simulated gateway enforcing the
same rules, over a real socket, on one virtual clock that only moves while the downloader waits: more than
ten virtual minutes of pacing run in seconds."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pandas as pd
import pytest

from nautilus_node.catalog.download import bar_types, download
from nautilus_node.catalog.ib_history import utc_now
from nautilus_node.catalog.pacing import Pacer
from nautilus_node.ib.connection import IBConnection, IBRequestError
from nautilus_node.ib.pacing import IB_PACING, PacingRules
from nautilus_node.simgateway import SimulatedGateway
from tests.catalog.helpers import VirtualTime

pytestmark = pytest.mark.e2e


END = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=3)).floor("D")
START = END - pd.Timedelta(hours=35)  # 70 half-hour requests: past the 60 IB allows in ten minutes


def _download(tmp_path: Path, rules: PacingRules):
    """Download 5-second bars over (START, END] from a gateway on the same virtual clock as the pacer."""
    clock = VirtualTime()
    wall_start = time.time()
    types = bar_types("EUR/USD.IDEALPRO", "5 secs", "MIDPOINT")

    async def fetch(port: int):
        async with IBConnection("127.0.0.1", port, client_id=41) as ib:
            pacer = Pacer(rules, clock.monotonic)
            return await download(ib, tmp_path, types, START, END, pacer, now=utc_now, sleep=clock.sleep)

    with SimulatedGateway(port=0, clock=lambda: wall_start + clock.secs) as gateway:
        return asyncio.run(fetch(gateway.port)), clock.secs


def test_the_downloader_keeps_within_the_gateways_ib_pacing_beyond_ten_minutes(tmp_path: Path) -> None:
    started = time.monotonic()
    report, virtual_secs = _download(tmp_path, IB_PACING)

    assert report.requests == 70 and report.bars_added == 70 * 360
    assert virtual_secs > IB_PACING.window_secs  # the window rule made it wait; the gateway refused nothing
    print(f"\n70 requests in {virtual_secs / 60:.1f} virtual minutes, {time.monotonic() - started:.1f}s wall time")


def test_a_downloader_that_ignores_the_burst_rule_is_refused_at_the_sixth_request(tmp_path: Path) -> None:
    careless = PacingRules(burst_requests=1000, margin_secs=0.0)
    with pytest.raises(IBRequestError) as error:
        _download(tmp_path, careless)

    assert "IB error 162" in str(error.value) and "pacing violation" in str(error.value)
    assert "6 requests for one contract within 2 seconds" in str(error.value)
