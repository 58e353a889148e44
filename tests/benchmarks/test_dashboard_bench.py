"""The dashboard's cost to the node: quote throughput with the page open and streaming vs closed.

Node: the status actor benchmark's BacktestEngine (a strategy subscribed to LEAN's real EUR/USD quotes) with
the `StatusActor` serving its web surface. Baseline: no page connected. Ours: Debian's chromium (driven by
Playwright) showing the page, subscribed to `/events`. In both, a thread publishes the node's snapshot with a
chart point ten times a second (ten times the live cadence), so the difference is what an open page adds:
the web thread encoding and writing each update to the page, and the browser drawing it on the same two
cores. The quotes run in chunks alternating closed / open; the figure is the median of the chunk pairs'
throughput ratios (open / closed), which discounts bursts of load from other processes. Beside it, the same
ratio from the node process's CPU time per chunk (all its threads: the node's and the web server's), which a
loaded machine disturbs far less than wall-clock time, though it leaves out the browser's own drawing.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import pytest

from nautilus_node.status.actor import StatusActor
from nautilus_node.status.charts import ChartUpdate, PricePoint
from nautilus_node.status.config import StatusActorConfig
from tests.benchmarks.goals import check_absolute_goal
from tests.benchmarks.status_actor_nodes import NO_SNAPSHOT_WITHIN_SECS, VENUE, load_quotes, node
from tests.status.conftest import CHROMIUM_FLAGS, ensure_chromium

pytestmark = pytest.mark.benchmark

WARM_UP = 1_000
CHUNK = 15_000
PAIRS = 10
PUBLISH_HZ = 10
DAYS = ("20140505", "20140506", "20140507", "20140508", "20140509", "20140512", "20140513", "20140514")
CPU_GOAL = 0.8  # the node process's work per quote grows by under a quarter with a page open (machine-dependent)
CPU_FLOOR = 0.5  # a regression (encoding or writing on the node's loop, per-quote pushes) costs far more than this


class Publisher(threading.Thread):
    """Publishes the actor's snapshot with one new chart point at `PUBLISH_HZ` until stopped."""

    def __init__(self, actor: StatusActor) -> None:
        super().__init__(name="bench-publisher", daemon=True)
        self._actor = actor
        self._snapshot = actor.build_snapshot()
        self._stop_event = threading.Event()

    def run(self) -> None:
        price = 1.1
        while not self._stop_event.wait(1 / PUBLISH_HZ):
            price += 0.00001
            update = ChartUpdate(prices={f"EUR/USD.{VENUE}": [PricePoint(time=time.time(), value=price)]})
            self._actor.board.publish(self._snapshot, update)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)


def _wait_streams(actor: StatusActor, count: int) -> None:
    deadline = time.monotonic() + 15
    while actor.stream_count != count:
        assert time.monotonic() < deadline, f"the page's event streams did not reach {count}"
        time.sleep(0.02)


def test_an_open_streaming_page_costs_the_node_little_quote_throughput(tmp_path: Path):
    chromium = ensure_chromium()
    from playwright.sync_api import sync_playwright

    quotes = load_quotes(DAYS, limit=WARM_UP + 2 * PAIRS * CHUNK)
    assert len(quotes) == WARM_UP + 2 * PAIRS * CHUNK
    chunks = [quotes[:WARM_UP]] + [quotes[WARM_UP + i * CHUNK : WARM_UP + (i + 1) * CHUNK] for i in range(2 * PAIRS)]
    actor = StatusActor(
        StatusActorConfig(
            http_port=0,
            snapshot_path=str(tmp_path / "status.json"),
            required_feeds=(f"EUR/USD.{VENUE}",),
            market_hours="always",
            interval_secs=NO_SNAPSHOT_WITHIN_SECS,
        ),
    )
    engine = node(actor)
    rates: dict[str, list[float]] = {"closed": [], "open": []}
    cpu_rates: dict[str, list[float]] = {"closed": [], "open": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        host, port = actor.http_address
        engine.add_data(chunks[0])
        engine.run(streaming=True)  # warm-up; registers the actor and starts its server
        engine.clear_data()
        publisher = Publisher(actor)
        publisher.start()
        try:
            for i, chunk in enumerate(chunks[1:]):
                state = "open" if i % 2 else "closed"
                if state == "open":
                    page.goto(f"http://{host}:{port}/")
                    _wait_streams(actor, 1)
                    page.wait_for_timeout(300)  # the page has drawn its history
                else:
                    page.goto("about:blank")
                    _wait_streams(actor, 0)
                engine.add_data(chunk)
                started, cpu_started = time.perf_counter(), time.process_time()
                engine.run(streaming=True)
                rates[state].append(len(chunk) / (time.perf_counter() - started))
                cpu_rates[state].append(len(chunk) / (time.process_time() - cpu_started))
                engine.clear_data()
        finally:
            publisher.stop()
            browser.close()
            engine.end()
            actor.close()
            engine.dispose()
    ratios = [opened / closed for closed, opened in zip(rates["closed"], rates["open"], strict=True)]
    ratio = statistics.median(ratios)
    closed, opened = statistics.median(rates["closed"]), statistics.median(rates["open"])
    cpu_ratio = statistics.median(o / c for c, o in zip(cpu_rates["closed"], cpu_rates["open"], strict=True))
    print(
        f"\ndashboard cost ({PAIRS} chunk pairs of {CHUNK:,} real EUR/USD quotes, snapshot pushed {PUBLISH_HZ}/s):\n"
        f"  page closed {closed:,.0f} quotes/s   page open and streaming {opened:,.0f} quotes/s   "
        f"ratio open/closed {ratio:.3f} (pairs: {', '.join(f'{r:.3f}' for r in ratios)})\n"
        f"  by the node process's CPU time: page closed {statistics.median(cpu_rates['closed']):,.0f} quotes/CPU-s   "
        f"page open {statistics.median(cpu_rates['open']):,.0f} quotes/CPU-s   ratio open/closed {cpu_ratio:.3f}",
    )
    # Wall-clock is printed, not asserted: on a loaded machine it is mostly noise. On two cores the browser's
    # drawing also slows the node's own thread (shared caches, frequency), so the goal binds only when strict.
    assert cpu_ratio > CPU_FLOOR, f"an open page costs the node {1 - cpu_ratio:.0%} of its CPU per quote"
    check_absolute_goal(cpu_ratio > CPU_GOAL, f"CPU ratio open/closed {cpu_ratio:.3f} <= {CPU_GOAL}")
