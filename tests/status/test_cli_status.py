"""`python -m nautilus_node status`: for a person, and `--check` for container health checks."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import msgspec

from nautilus_node.status.client import render
from nautilus_node.status.health import assess
from nautilus_node.status.snapshot import ExpectedWindow, encode, iso
from nautilus_node.status.store import write_atomic
from tests.node.conftest import run_cli
from tests.status.conftest import sample_snapshot


def _fresh(**overrides):
    return sample_snapshot(generated_at=iso(time.time_ns()), **overrides)


def _unhealthy_feed():
    snapshot = _fresh()
    stale = msgspec.structs.replace(snapshot.feeds[0], state="stale", reason="no data for 42 s (threshold 10 s)")
    return msgspec.structs.replace(
        snapshot, feeds=[stale], health=assess(snapshot.node, snapshot.gateway, [stale], snapshot.strategies)
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_status_prints_the_facts_for_a_person(served):
    board, url = served
    board.publish(_fresh())
    result = run_cli("status", "--url", url)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("HEALTHY  node NODE-001 running")
    assert "gateway   127.0.0.1:4002 client 1: connected since 2026-11-25T12:00:01.000Z, server version 200" in out
    assert "account   IB-DU1234567" in out and "USD: total 1,000,000.00 USD, free 990,000.00 USD" in out
    assert "EUR/USD.IDEALPRO LONG 20000 @ 1.07321, unrealized 12.40 USD" in out
    assert "O-2 EUR/USD.IDEALPRO SELL STOP_LIMIT 0/20000 @ 1.06900 trigger 1.07000 GTC ACCEPTED" in out
    assert "EUR/USD.IDEALPRO quotes (required): fresh, 4/s" in out
    assert "EMACross-000: RUNNING" in out


def test_status_names_ibs_next_scheduled_reset_and_why_a_feed_is_closed(served):
    board, url = served
    snapshot = _fresh()
    closed = msgspec.structs.replace(
        snapshot.feeds[0],
        state="closed",
        reason="closed until 2026-11-25T22:15:00.000Z",
        opens_at="2026-11-25T22:15:00.000Z",
    )
    window = ExpectedWindow(
        kind="daily reset",
        label="IB's scheduled daily reset (North America)",
        starts_at="2026-11-26T05:15:00.000Z",
        ends_at="2026-11-26T06:45:00.000Z",
    )
    board.publish(msgspec.structs.replace(snapshot, feeds=[closed], expected_windows=[window]))
    out = run_cli("status", "--url", url).stdout
    assert (
        "expected: IB's scheduled daily reset (North America) 2026-11-26T05:15:00.000Z to 2026-11-26T06:45:00.000Z"
        in out
    )
    assert "EUR/USD.IDEALPRO quotes (required): closed, 4/s, last" in out and "- closed until 2026-11-25T22:15" in out


def test_check_exits_0_when_healthy_and_1_with_the_reasons_when_not(served):
    board, url = served
    board.publish(_fresh())
    healthy = run_cli("status", "--check", "--url", url)
    assert (healthy.returncode, healthy.stdout.splitlines()[0][:9]) == (0, "healthy (")
    board.publish(_unhealthy_feed())
    unhealthy = run_cli("status", "--check", "--url", url)
    assert unhealthy.returncode == 1
    assert unhealthy.stdout.splitlines() == [
        "unhealthy:",
        "  - required feed EUR/USD.IDEALPRO (quotes) stale: no data for 42 s (threshold 10 s)",
    ]


def test_check_exits_1_quickly_when_nothing_answers():
    started = time.monotonic()
    result = run_cli("status", "--check", "--url", f"http://127.0.0.1:{_free_port()}")
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: http://127.0.0.1:") and "no answer" in result.stdout
    assert time.monotonic() - started < 15  # the interpreter start included; the request itself times out in 3 s


def test_check_reads_the_file_and_fails_on_a_file_the_node_stopped_updating(tmp_path: Path):
    path = tmp_path / "status.json"
    write_atomic(path, encode(_fresh()))
    assert run_cli("status", "--check", "--file", str(path)).returncode == 0
    write_atomic(path, encode(sample_snapshot(generated_at=iso(time.time_ns() - 120_000_000_000))))
    stale = run_cli("status", "--check", "--file", str(path))
    assert stale.returncode == 1
    age = re.search(r"status snapshot is (\d+) s old: the node is not updating it", stale.stdout)
    assert age is not None, stale.stdout
    assert 120 <= int(age[1]) < 180  # written 120 s old; reading it takes an interpreter start on a busy machine


def test_bad_input_is_one_line_and_non_zero(tmp_path: Path):
    missing = run_cli("status", "--file", str(tmp_path / "nope.json"))
    assert (missing.returncode, missing.stderr.strip()) == (
        1,
        f"error: status unavailable: {tmp_path / 'nope.json'}: no status file",
    )
    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"schema_version": 1}')
    bad = run_cli("status", "--check", "--file", str(garbage))
    assert bad.returncode == 1 and len(bad.stdout.strip().splitlines()) == 1
    assert "not a status snapshot (Object missing required field `generated_at`)" in bad.stdout
    both = run_cli("status", "--url", "http://127.0.0.1:1", "--file", str(garbage))
    assert both.returncode == 2 and "give --url or --file, not both" in both.stderr
    assert "Traceback" not in missing.stderr + bad.stderr + both.stderr


def test_the_fills_line_lists_as_many_fills_as_it_counts():
    fill = sample_snapshot().fills[0]
    fills = [msgspec.structs.replace(fill, trade_id=f"T-{i}", at=f"2026-11-25T12:30:0{i}.000Z") for i in range(7)]
    text = render(sample_snapshot(fills=fills), time.time())
    lines = text.splitlines()
    start = lines.index("fills     7 recent")
    assert [line.split()[0] for line in lines[start + 1 : start + 8]] == [f.at for f in fills]


def test_the_text_names_each_positions_strategy_the_halt_the_broker_view_and_the_limits():
    from nautilus_node.status.snapshot import BrokerPosition, LimitUse, Trading

    snapshot = sample_snapshot(
        trading=Trading(state="HALTED", by="cli 127.0.0.1", reason="kill switch", since="2026-11-25T12:59:00.000Z"),
        broker_positions=[
            BrokerPosition(
                instrument_id="EUR/USD.IDEALPRO",
                broker=6000.0,
                node=20000.0,
                strategies={"EMACross-000": 20000.0},
                mismatch=True,
                since="2026-11-25T12:58:00.000Z",
            )
        ],
        limits=[LimitUse(name="max_daily_loss", limit=200.0, used=80.0, percent=40.0, breached=False)],
    )
    lines = render(snapshot, time.time()).splitlines()
    assert (
        "TRADING HALTED since 2026-11-25T12:59:00.000Z by cli 127.0.0.1 (kill switch): `nautilus-node resume` lifts it"
        in lines
    )
    assert any(
        line.strip().startswith("EUR/USD.IDEALPRO LONG 20000") and line.endswith("(EMACross-000)") for line in lines
    )
    broker = "broker    EUR/USD.IDEALPRO: IB 6000, strategies 20000 (EMACross-000 20000)"
    assert f"{broker} MISMATCH since 2026-11-25T12:58:00.000Z" in lines
    assert "limit     max_daily_loss: 80 of 200 (40 %)" in lines


def test_status_reads_the_nodes_address_from_the_config_and_its_environment_overrides(served, tmp_path: Path):
    board, url = served
    board.publish(_fresh())
    port = url.rsplit(":", 1)[1]
    config = tmp_path / "node.toml"
    config.write_text(f"[status]\nhost = '127.0.0.1'\nport = {port}\n")
    from_file = run_cli("status", "--check", "--config", str(config), free_status_port=False)
    assert (from_file.returncode, from_file.stdout[:9]) == (0, "healthy ("), from_file.stdout + from_file.stderr

    config.write_text(f"[status]\nhost = '127.0.0.1'\nport = {_free_port()}\n")
    overridden = run_cli(
        "status", "--check", "--config", str(config), env={"NAUTILUS_NODE_STATUS_PORT": port}, free_status_port=False
    )
    assert (overridden.returncode, overridden.stdout[:9]) == (0, "healthy ("), overridden.stdout
