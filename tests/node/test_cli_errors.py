"""Every bad input gets one clear line and a non-zero exit, never a traceback or a frozen process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.node.conftest import PROJECT_ROOT, cli_environment, free_port, run_cli, wait_for_output

GOOD_STRATEGY = """
[[strategies]]
path = "nautilus_trader.examples.strategies.ema_cross:EMACross"
config_path = "nautilus_trader.examples.strategies.ema_cross:EMACrossConfig"
[strategies.config]
instrument_id = "EUR/USD.IDEALPRO"
bar_type = "EUR/USD.IDEALPRO-1-SECOND-MID-INTERNAL"
trade_size = "20000"
"""


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0]


def test_missing_config_file_is_named() -> None:
    result = run_cli("check", "configs/nope.toml")
    assert_one_line_error(result, "configs/nope.toml: config file not found")


def test_malformed_toml_names_file_and_position(write_config) -> None:
    path = write_config("[gateway\nport = 4002\n")
    assert_one_line_error(run_cli("check", str(path)), str(path), "not valid TOML", "line 1")


def test_unknown_key_is_named_with_its_path(write_config) -> None:
    path = write_config("[gateway]\nhots = '127.0.0.1'\n")
    assert_one_line_error(run_cli("check", str(path)), f"{path}: gateway.hots: unknown key")


def test_wrong_type_names_expected_and_found(write_config) -> None:
    path = write_config("[gateway]\nclient_id = 'one'\n")
    assert_one_line_error(run_cli("check", str(path)), "gateway.client_id: expected `int`, got `str`")


def test_missing_strategy_module_is_named(write_config) -> None:
    path = write_config(
        GOOD_STRATEGY.replace('nautilus_trader.examples.strategies.ema_cross:EMACross"', 'strategies.nope:Nope"')
    )
    assert_one_line_error(run_cli("check", str(path)), "strategies[0].path", "module 'strategies.nope' not found")


def test_missing_strategy_class_is_named(write_config) -> None:
    path = write_config(GOOD_STRATEGY.replace(':EMACross"', ':EMACrosz"'))
    assert_one_line_error(run_cli("check", str(path)), "strategies[0].path", "has no 'EMACrosz'")


def test_bad_strategy_config_names_the_field(write_config) -> None:
    path = write_config(GOOD_STRATEGY.replace('trade_size = "20000"', 'trade_size = "20000"\nfast_ema_period = -3'))
    assert_one_line_error(run_cli("check", str(path)), "strategies[0].config", "fast_ema_period")


def test_valid_config_checks_without_connecting(write_config) -> None:
    path = write_config("[gateway]\nport = 1\naccount = 'DU1'\n" + GOOD_STRATEGY)
    result = run_cli("check", str(path))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "EMACross" in result.stdout


def test_live_port_is_refused(write_config) -> None:
    path = write_config("[gateway]\nport = 4001\naccount = 'DU1'\n")
    assert_one_line_error(run_cli("run", str(path)), "refusing live trading", "port 4001", "--live")


def test_non_paper_account_is_refused_even_with_only_the_flag(write_config) -> None:
    path = write_config("[gateway]\naccount = 'U7654321'\n")
    assert_one_line_error(run_cli("run", str(path), "--live"), "'U7654321' is not a paper account")


def test_nothing_listening_exits_quickly_with_what_to_do(write_config) -> None:
    port = free_port()
    path = write_config(f"[gateway]\nport = {port}\naccount = 'DU1'\n")
    started = time.monotonic()
    result = run_cli("run", str(path))
    assert time.monotonic() - started <= 5
    assert_one_line_error(result, f"no IB Gateway API at 127.0.0.1:{port}", "--sim", "--wait-gateway")


def test_listener_that_never_handshakes_exits_within_five_seconds(write_config, silent_listener) -> None:
    path = write_config(f"[gateway]\nport = {silent_listener.port}\naccount = 'DU1'\nhandshake_timeout_secs = 3\n")
    started = time.monotonic()
    result = run_cli("run", str(path))
    assert time.monotonic() - started <= 5
    assert_one_line_error(result, "no IB Gateway API", "no answer to the API handshake")


def test_wait_gateway_counts_down_then_gives_up(write_config, silent_listener) -> None:
    path = write_config(f"[gateway]\nport = {silent_listener.port}\naccount = 'DU1'\nhandshake_timeout_secs = 1\n")
    result = run_cli("run", str(path), "--wait-gateway", "3")
    assert "s left" in result.stdout
    assert_one_line_error(result, "no IB Gateway API")


@pytest.mark.parametrize(
    ("listener_kind", "marker", "stage"),
    [
        ("silent_listener", "s left", "before connecting"),  # in the probe's countdown
        ("handshake_only_listener", "answered", "while connecting"),  # importing NautilusTrader, creating the node
        ("handshake_only_listener", "Connected to Interactive Brokers", "while connecting"),  # build() awaits accounts
    ],
    ids=["countdown", "node-creation", "build"],
)
def test_sigterm_at_each_start_up_stage_stops_within_ten_seconds(
    write_config, request, listener_kind: str, marker: str, stage: str
) -> None:
    listener = request.getfixturevalue(listener_kind)
    # INFO on the console: NautilusTrader's "Connected to Interactive Brokers" marks the build stage
    path = write_config(f"[node]\nlog_level = 'INFO'\n[gateway]\nport = {listener.port}\naccount = 'DU1'\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "nautilus_node", "run", str(path), "--wait-gateway", "120"],
        cwd=PROJECT_ROOT,
        env=cli_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_output(process, marker)
        time.sleep(1.0)  # idle in that stage
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        stdout, stderr = process.communicate(timeout=15)
        assert time.monotonic() - started <= 10
    finally:
        process.kill()
        process.wait()
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    assert_one_line_error(result, f"stopped {stage} to IB Gateway", "received SIGTERM")


def test_a_gateway_that_never_sends_accounts_gives_up_at_the_start_up_deadline(
    write_config, handshake_only_listener
) -> None:
    port = handshake_only_listener.port
    path = write_config(f"[gateway]\nport = {port}\naccount = 'DU1'\nstartup_timeout_secs = 4\n")
    started = time.monotonic()
    result = run_cli("run", str(path), timeout=60)
    # Far below the 60 s default: the 4 s deadline, after the contract check's own bounded wait, ended it.
    assert time.monotonic() - started <= 30
    assert_one_line_error(result, "stopped while connecting", "start-up did not finish within 4 s")


def test_config_path_in_error_is_the_one_given(tmp_path: Path) -> None:
    result = run_cli("run", str(tmp_path / "missing.toml"))
    assert_one_line_error(result, f"{tmp_path / 'missing.toml'}: config file not found")
