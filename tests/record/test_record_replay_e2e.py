"""Record, replay, compare through the real command line: `run --sim --record` of the EMA cross example against
the simulated IB Gateway (a real socket, NautilusTrader's unmodified IB adapter), then `backtest --session`.

Tolerance held: every order the node placed live is placed by the replay too, in the same sequence with the
same side, quantity and type, and every fill is within one tick of the live fill. The default run records a
30-second session (EMA cross on one-second bars trades several times in it); `-m slow` records the 2-minute one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nautilus_node.record.streams import read_objects, session_dir
from tests.node.conftest import PROJECT_ROOT
from tests.record.conftest import cli_environment, ema_cross_config, env_in, run_cli, session_ids

pytestmark = pytest.mark.e2e

TOLERANCE_TICKS = 1


def record_and_replay(folder: Path, seconds: int) -> tuple[str, subprocess.CompletedProcess, Path]:
    recordings = folder / "recordings"
    config = ema_cross_config(folder, recordings)
    ran = run_cli("run", "--sim", "--record", "--for", f"{seconds}s", str(config), timeout=seconds + 150)
    assert ran.returncode == 0, ran.stderr[-2000:]
    [session] = session_ids(recordings)
    assert f"recording session {session}" in ran.stdout
    replayed = run_cli(
        "backtest", "--session", session, "--recordings", str(recordings), cwd=folder, env=env_in(folder), timeout=300
    )
    assert replayed.returncode == 0, replayed.stderr[-2000:]
    [results] = list((folder / "results").iterdir())
    return session, replayed, results


def assert_parity(replayed: subprocess.CompletedProcess, results: Path, min_orders: int) -> None:
    parity = json.loads((results / "parity.json").read_text())
    assert parity["orders"] >= min_orders
    assert parity["same_orders"] == parity["orders"], parity["pairs"]
    assert parity["fills_compared"] == parity["orders"], parity["pairs"]  # every order filled on both sides
    assert all(abs(p["price_diff_ticks"]) <= TOLERANCE_TICKS for p in parity["pairs"]), parity["pairs"]
    assert f"parity: {parity['orders']} of {parity['orders']} orders the same live and replayed" in replayed.stdout
    page = (results / "parity.html").read_text()
    assert "Order by order" in page and page.count("<svg") == 2
    assert page.count("<tr class=ok>") == parity["orders"]


def test_a_recorded_session_replays_to_the_same_orders_within_a_tick(tmp_path: Path) -> None:
    session, replayed, results = record_and_replay(tmp_path, seconds=30)
    assert_parity(replayed, results, min_orders=2)
    listing = run_cli("catalog", "list", "--catalog", str(tmp_path / "recordings"))
    assert listing.returncode == 0, listing.stderr
    [line] = [line for line in listing.stdout.splitlines() if line.strip().startswith(session)]
    assert "not closed" not in line


@pytest.mark.slow
def test_a_two_minute_session_replays_to_the_same_orders_within_a_tick(tmp_path: Path) -> None:
    _, replayed, results = record_and_replay(tmp_path, seconds=120)
    assert_parity(replayed, results, min_orders=5)


def test_a_node_killed_while_recording_loses_at_most_one_flush_interval(tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    flush_secs = 1.0
    config = ema_cross_config(tmp_path, recordings, flush_interval_secs=flush_secs)
    node = subprocess.Popen(
        [sys.executable, "-m", "nautilus_node", "run", "--sim", "--record", str(config)],
        cwd=PROJECT_ROOT,
        env=cli_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert node.stdout is not None
        for line in node.stdout:
            if "node started" in line:
                break
        time.sleep(6)  # several flushes, orders and fills
        killed_ns = time.time_ns()
        os.kill(node.pid, signal.SIGKILL)
        node.wait(timeout=30)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
    [session] = session_ids(recordings)
    quotes = read_objects(session_dir(recordings, session), ["quote_tick"])["quote_tick"]
    lost_secs = (killed_ns - max(q.ts_init for q in quotes)) / 1e9
    assert len(quotes) > 50
    assert lost_secs <= flush_secs + 0.5, f"the last recorded quote is {lost_secs:.2f} s older than the kill"
    listing = run_cli("catalog", "list", "--catalog", str(recordings))
    assert listing.returncode == 0, listing.stderr
    [line] = [line for line in listing.stdout.splitlines() if line.strip().startswith(session)]
    assert f"{len(quotes):>8,}" in line and "(not closed: killed or still recording)" in line
