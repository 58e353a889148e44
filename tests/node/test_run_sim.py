"""`run --sim`: the real NautilusTrader IB adapter against the simulated gateway over a real socket."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.node.conftest import run_cli

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
path = "tests.node.startup_probe:StartupProbe"
config_path = "tests.node.startup_probe:StartupProbeConfig"
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
    facts = json.loads(record.read_text())
    assert facts["on_start"] is True
    assert facts["instrument_loaded"] is True
    assert facts["accounts"] and facts["accounts"][0].startswith("IB-DU")
    assert facts["quotes"] >= 1, "quotes flowed from the simulated gateway through the adapter"
    assert "stopping (--for 12 s elapsed)" in result.stdout
