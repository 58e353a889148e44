"""`run --sim`: the real NautilusTrader IB adapter against the simulated gateway over a real socket."""

from __future__ import annotations

import json
import logging
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nautilus_node.simgateway import SimulatedGateway
from tests.node.conftest import PROJECT_ROOT, cli_environment, run_cli, wait_for_output

pytestmark = pytest.mark.e2e


def test_strategies_really_start_against_the_simulated_gateway(write_config, tmp_path: Path) -> None:
    record = tmp_path / "probe.json"
    path = write_config(
        f"""
[node]
log_level = "WARNING"
log_directory = "{tmp_path / "logs"}"

[instruments]
load = ["EUR/USD.IDEALPRO"]

[[strategies]]
path = "tests.live.startup_probe:StartupProbe"
config_path = "tests.live.startup_probe:StartupProbeConfig"
[strategies.config]
record_path = "{record}"
instrument_id = "EUR/USD.IDEALPRO"

[status]
enabled = false
"""
    )
    result = run_cli("run", str(path), "--sim", "--for", "12s")
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"node started in [\d.]+ s; strategies running: StartupProbe-000", result.stdout)
    assert re.search(r"IB API at 127\.0\.0\.1:\d+ answered \(server version 223\)", result.stdout)  # protobuf
    facts = json.loads(record.read_text())
    assert facts["on_start"] is True
    assert facts["instrument_loaded"] is True
    assert facts["accounts"] and facts["accounts"][0] == "INTERACTIVE_BROKERS-DU1234567"
    assert facts["quotes"] >= 1, "quotes flowed from the simulated gateway through the adapter"
    assert "stopping (--for 12 s elapsed)" in result.stdout


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_stops_a_running_node_cleanly_within_ten_seconds(write_config, tmp_path: Path, stop_signal) -> None:
    path = write_config(
        f"""
[node]
log_level = "WARNING"
log_directory = "{tmp_path / "logs"}"

[status]
enabled = false
"""
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "nautilus_node", "run", str(path), "--sim"],
        cwd=PROJECT_ROOT,
        env=cli_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_output(process, "node started in")
        process.send_signal(stop_signal)
        started = time.monotonic()
        stdout, stderr = process.communicate(timeout=15)
    finally:
        process.kill()
    assert time.monotonic() - started <= 10
    assert process.returncode == 0, stderr[-2000:]
    assert f"stopping ({stop_signal.name})" in stdout
    assert "Traceback" not in stderr


def test_a_taken_status_port_is_one_line_before_connecting(write_config, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        path = write_config(f'[node]\nlog_directory = "{tmp_path / "logs"}"\n[status]\nport = {port}\n')
        result = run_cli("run", str(path), "--sim", "--for", "5s", free_status_port=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: status server address 127.0.0.1:{port} is not available (Address already in use); "
        "is another node running? Choose another status.port (or NAUTILUS_NODE_STATUS_PORT)",
    ]


def test_a_node_opens_one_api_session_and_logs_its_start_up_stages(write_config, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="nautilus_node.simgateway.handlers.connection")
    logs = tmp_path / "logs"
    with SimulatedGateway(host="127.0.0.1", port=0) as gateway:
        path = write_config(
            f"""
[node]
log_level = "WARNING"
log_directory = "{logs}"

[gateway]
port = {gateway.port}
account = "{gateway.account}"
client_id = 3

[instruments]
load = ["EUR/USD.IDEALPRO", "SPY.ARCA"]

[status]
enabled = false
"""
        )
        result = run_cli("run", str(path), "--for", "2s")
    assert result.returncode == 0, result.stderr[-2000:]
    sessions = [r.getMessage() for r in caplog.records if r.getMessage().startswith("started API as client id")]
    assert sessions == ["started API as client id 3"]  # the contract check used the node's own session
    [stages] = [line for log in logs.glob("*") for line in log.read_text().splitlines() if "start-up stages:" in line]
    for stage in ("gateway probe", "adapter import", "build and connect", "contracts", "strategies"):
        assert re.search(rf"{stage}[^,;]* \d+\.\d\d s", stages), stages
