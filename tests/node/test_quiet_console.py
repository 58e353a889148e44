"""`run --sim` with the shipped console level: the console has the node's own lines and no NautilusTrader routine
line or traceback, start to stop, run after run; the routine lines are in the log file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.node.conftest import PROJECT_ROOT, run_cli

pytestmark = pytest.mark.e2e

NAUTILUS_LINE = re.compile(r"^\S+Z \[(DEBUG|INFO|WARN)\] ")  # NautilusTrader's console format, below ERROR
NODE_LINES = ("IB API at ", "node started in ", "HEALTHY  node ", "stopping (--for 10 s elapsed)")


def _config(tmp_path: Path) -> Path:
    text = (PROJECT_ROOT / "configs" / "sim.toml").read_text(encoding="utf-8")
    assert 'log_directory = "logs"' in text and 'log_level = "ERROR"' in text
    path = tmp_path / "sim.toml"
    path.write_text(text.replace('log_directory = "logs"', f'log_directory = "{tmp_path / "logs"}"'))
    return path


def _run_and_check(config: Path, attempt: int) -> None:
    result = run_cli("run", str(config), "--sim", "--for", "10s", timeout=180)
    console = result.stdout + result.stderr
    where = f"run {attempt}:\n{console}"
    assert result.returncode == 0, where
    assert "Traceback" not in console and "CancelledError" not in console, where
    routine = [line for line in console.splitlines() if NAUTILUS_LINE.match(line)]
    assert not routine, f"run {attempt}: NautilusTrader's routine lines on the console: {routine}"
    for line in NODE_LINES:
        assert line in console, where


def test_one_run_shows_only_the_nodes_lines_and_logs_the_routine_ones(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _run_and_check(config, 1)
    logged = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "logs").glob("*.log"))
    assert "Started when loop is not running" in logged
    assert "Market data farm connection is OK" in logged


@pytest.mark.slow
@pytest.mark.timeout(1800)  # twenty runs of ~25 s each, beyond the suite's 300 s
def test_twenty_runs_in_a_row_never_print_a_traceback_or_a_routine_line(tmp_path: Path) -> None:
    config = _config(tmp_path)
    for attempt in range(1, 21):
        _run_and_check(config, attempt)


@pytest.mark.parametrize(("code", "shown"), [(2104, False), (2158, False), (202, False), (1100, True), (2103, True)])
def test_only_ibs_non_routine_codes_are_echoed(code: int, shown: bool) -> None:
    from nautilus_node.live.console import ib_problem_line

    line = ib_problem_line(code, "message", -1)
    assert (line == f"IB {code}: message") if shown else line is None
