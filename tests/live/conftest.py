"""Tests of `nautilus_node/live/`: driving `order` and `run` as a user does (a subprocess), against a simulated
IB Gateway when needed."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nautilus_node.simgateway import SimulatedGateway
from tests.node.conftest import run_cli as node_cli
from tests.node.conftest import write_config  # noqa: F401 (a fixture the runner tests share with tests/node)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path = PROJECT_ROOT, timeout: float = 180) -> subprocess.CompletedProcess:
    """`python -m nautilus_node ARGS` in `cwd`, with no IB/status environment overrides but a free status port."""
    return node_cli(*args, env={"NAUTILUS_NODE_STATUS_PORT": "0"}, timeout=timeout, cwd=cwd)


@pytest.fixture
def gateway() -> Iterator[SimulatedGateway]:
    """A simulated IB Gateway in this process, so a test can inject faults and read its broker."""
    with SimulatedGateway(host="127.0.0.1", port=0) as simulated:
        yield simulated


@pytest.fixture
def gateway_config(gateway: SimulatedGateway, tmp_path: Path) -> Path:
    """A config for `gateway` that also has a strategy of its own, which records whether it ever started."""
    path = tmp_path / "node.toml"
    path.write_text(
        f"""
[node]
log_directory = "{tmp_path / "logs"}"

[gateway]
port = {gateway.port}
account = "{gateway.account}"

[instruments]
load = ["EUR/USD.IDEALPRO"]

[[strategies]]
path = "tests.live.startup_probe:StartupProbe"
config_path = "tests.live.startup_probe:StartupProbeConfig"
[strategies.config]
record_path = "{tmp_path / "probe.json"}"
instrument_id = "EUR/USD.IDEALPRO"

[status]
port = 0
file = "{tmp_path / "status.json"}"
""",
        encoding="utf-8",
    )
    return path
