"""`catalog download` and `catalog instruments fetch` connect where `run` would: the config's [gateway] with the
same environment overrides, unless --host/--port say otherwise. Real CLI processes, the simulated gateway on a
free port."""

from __future__ import annotations

import socket
from pathlib import Path

import pandas as pd
import pytest

from nautilus_node.simgateway import SimulatedGateway
from tests.node.conftest import run_cli

pytestmark = pytest.mark.e2e

END = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=10)).floor("D")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "node.toml"
    path.write_text(f"[gateway]\nhost = '127.0.0.1'\nport = {port}\n")
    return path


@pytest.mark.parametrize("command", [("catalog", "download"), ("catalog", "instruments", "fetch"), ("status",)])
def test_the_help_of_each_command_that_connects_shows_the_config_option(command: tuple[str, ...]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "--config PATH" in result.stdout and "environment overrides" in " ".join(result.stdout.split())


def test_catalog_download_connects_to_the_gateway_its_config_names(tmp_path: Path) -> None:
    with SimulatedGateway(port=0) as gateway:
        result = run_cli(
            "catalog",
            "download",
            "--config",
            str(_config(tmp_path, gateway.port)),
            "--bar-size",
            "1 hour",
            "--start",
            (END - pd.Timedelta(days=1)).isoformat(),
            "--end",
            END.isoformat(),
            "--client-id",
            "51",
            "--catalog",
            str(tmp_path / "catalog"),
        )
    assert result.returncode == 0, result.stderr
    assert "done: 1 requests, 0 chunks already downloaded, 24 bars added" in result.stdout


def test_the_environment_overrides_the_configs_port_for_catalog_instruments_fetch(tmp_path: Path) -> None:
    config = _config(tmp_path, _closed_port())
    with SimulatedGateway(port=0) as gateway:
        result = run_cli(
            "catalog",
            "instruments",
            "fetch",
            "EUR/USD.IDEALPRO",
            "--config",
            str(config),
            "--client-id",
            "52",
            "--catalog",
            str(tmp_path / "catalog"),
            env={"IB_GATEWAY_PORT": str(gateway.port)},
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("fetched EUR/USD.IDEALPRO as CurrencyPair from IB")


def test_the_port_option_beats_the_config_and_a_closed_port_fails_in_one_line(tmp_path: Path) -> None:
    with SimulatedGateway(port=0) as gateway:
        closed = _closed_port()  # picked while the gateway holds its port, so the two cannot be the same port
        config = _config(tmp_path, gateway.port)
        result = run_cli(
            "catalog",
            "instruments",
            "fetch",
            "EUR/USD.IDEALPRO",
            "--config",
            str(config),
            "--port",
            str(closed),
            "--connect-timeout",
            "2",
            "--catalog",
            str(tmp_path / "catalog"),
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: IB Gateway at 127.0.0.1:{closed} did not answer within 2s"]
