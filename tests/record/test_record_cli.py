"""Bad input to recording and replay: one line naming the value, exit 2, nothing done."""

from __future__ import annotations

from pathlib import Path

from tests.node.conftest import run_cli
from tests.record.conftest import SIM_CONFIG


def test_an_unknown_session_is_named_with_the_sessions_there_are(tmp_path: Path) -> None:
    done = run_cli("backtest", "--session", "nope", "--recordings", str(tmp_path))
    assert (done.returncode, done.stderr) == (
        2,
        f"error: --session 'nope': no such session in {tmp_path}/ (latest: none)\n",
    )
    assert not (tmp_path / "replay").exists()


def test_a_session_replays_its_own_strategies_and_period_only(tmp_path: Path) -> None:
    done = run_cli("backtest", "configs/paper.toml", "--session", "20261207-113733", "--recordings", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith("error: --session replays the session's own strategies and period: give no CONFIG")


def test_a_flush_interval_out_of_range_is_named(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(SIM_CONFIG.read_text() + "\n[record]\nflush_interval_secs = 0\n")
    done = run_cli("check", str(config))
    assert done.returncode == 2
    assert done.stderr == f"error: {config}: record.flush_interval_secs: expected `float` > 0.0\n"
