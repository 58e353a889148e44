"""Downloading through NautilusTrader's IB adapter from the simulated gateway over a real socket.

The gateway enforces IB's historical pacing (error 162). To keep the tests short both sides use the same
rules scaled down (4 requests per 3 s, identical requests 1 s apart) instead of IB's 60 per 10 minutes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from nautilus_node.catalog.download import DownloadError
from nautilus_node.catalog.ib_history import download_from_ib
from nautilus_node.catalog.pacing import PacingRules
from nautilus_node.simgateway import SimulatedGateway
from tests.catalog.conftest import REPO
from tests.catalog.helpers import read_group

pytestmark = pytest.mark.e2e

CLIENT_PACING = PacingRules(window_secs=3.0, window_requests=4, identical_secs=1.0, margin_secs=0.2)
GATEWAY_PACING = CLIENT_PACING  # the same rules; the gateway applies them without the margin
END = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=10)).floor("D")
START = END - pd.Timedelta(days=180)
HOURLY = "bar/EURUSD.IDEALPRO-1-HOUR-MID-EXTERNAL"


def fetch(catalog: Path, port: int, rules: PacingRules, client_id: int):
    return download_from_ib(
        catalog,
        "EUR/USD.IDEALPRO",
        "1 hour",
        "MIDPOINT",
        START.isoformat(),
        END.isoformat(),
        port=port,
        client_id=client_id,
        rules=rules,
    )


def test_a_download_from_the_gateway_fills_the_catalog_and_a_second_run_fetches_nothing(tmp_path: Path) -> None:
    with SimulatedGateway(port=0, pacing=GATEWAY_PACING) as gateway:
        first = fetch(tmp_path, gateway.port, CLIENT_PACING, client_id=31)
        second = fetch(tmp_path, gateway.port, CLIENT_PACING, client_id=32)

    table = read_group(tmp_path, HOURLY)
    expected_closes = pd.date_range(START + pd.Timedelta(hours=1), END, freq="1h")
    assert first.requests == 6
    assert first.waited_secs > 0
    assert table.column("ts_init").to_pylist() == list(expected_closes.asi8)
    assert first.bars_added == len(expected_closes)
    assert (second.requests, second.skipped, second.bars_added) == (0, 6, 0)


def test_a_download_that_ignores_pacing_is_refused_with_error_162_and_keeps_what_it_finished(tmp_path: Path) -> None:
    careless = PacingRules(window_requests=1000, identical_secs=0.0, burst_requests=1000, margin_secs=0.0)
    with SimulatedGateway(port=0, pacing=GATEWAY_PACING) as gateway, pytest.raises(DownloadError) as error:
        fetch(tmp_path, gateway.port, careless, client_id=33)

    assert "IB error 162" in str(error.value)
    assert "pacing violation" in str(error.value)
    assert read_group(tmp_path, HOURLY).num_rows == 4 * 30 * 24


def test_the_download_command_reports_progress_and_resumes_to_nothing(tmp_path: Path) -> None:
    day = END - pd.Timedelta(days=2)
    command = [
        sys.executable,
        "-m",
        "nautilus_node",
        "catalog",
        "download",
        "--bar-size",
        "1 min",
        "--what",
        "BID_ASK",
        "--start",
        day.date().isoformat(),
        "--end",
        END.date().isoformat(),
        "--catalog",
        str(tmp_path),
        "--client-id",
        "34",
    ]
    with SimulatedGateway(port=0) as gateway:
        first = subprocess.run(
            [*command, "--port", str(gateway.port)], cwd=REPO, capture_output=True, text=True, timeout=120
        )
        second = subprocess.run(
            [*command, "--port", str(gateway.port)], cwd=REPO, capture_output=True, text=True, timeout=120
        )

    assert first.returncode == 0, first.stderr
    assert "[4/4] EUR/USD.IDEALPRO-1-MINUTE-" in first.stderr
    assert "done: 4 requests, 0 chunks already downloaded, 5,760 bars added" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "done: 0 requests, 4 chunks already downloaded, 0 bars added" in second.stdout


def test_the_download_command_without_a_gateway_fails_in_one_line(tmp_path: Path) -> None:
    with SimulatedGateway(port=0) as gateway:
        free_port = gateway.port
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nautilus_node",
            "catalog",
            "download",
            "--bar-size",
            "1 hour",
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-02",
            "--port",
            str(free_port),
            "--connect-timeout",
            "3",
            "--catalog",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: IB Gateway at 127.0.0.1:{free_port} did not")
