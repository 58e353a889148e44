"""Every command reports failure the same way: one `error: …` line on stderr, exit 2 for bad input, 1 otherwise."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from nautilus_node.cli import main


def _unused_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        return placeholder.getsockname()[1]


BAD_INPUT = {
    "order side": (["order", "HOLD", "1", "SPY.ARCA"], "side 'HOLD' must be BUY or SELL"),
    "order quantity": (["order", "BUY", "-1", "SPY.ARCA"], "quantity must be greater than 0"),
    "new-strategy name": (["new-strategy", "Bad-Name"], "'Bad-Name' is not a module name"),
    "run duration": (["run", "--for", "soon"], "--for 'soon' is not a duration"),
    "status source": (["status", "--url", "http://127.0.0.1:1", "--file", "x.json"], "give --url or --file, not both"),
    "download kind": (
        ["catalog", "download", "--start", "2024-01-01", "--end", "2024-01-02"],
        "give exactly one of --bar-size (bars) and --ticks (ticks)",
    ),
    "fault action": (["gateway-fault", "explode", "--control-port", "1"], "unknown action 'explode'"),
}


@pytest.mark.parametrize(("args", "message"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_one_error_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may be written in the project, whatever a command does
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_command_that_could_not_do_its_job_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["status", "--file", str(tmp_path / "none.json")])
    port = _unused_port()
    no_gateway = CliRunner().invoke(main, ["gateway-fault", "drop-connections", "--control-port", str(port)])
    for result, message in ((missing, "status unavailable"), (no_gateway, f"no gateway control on 127.0.0.1:{port}")):
        assert (result.exit_code, result.stdout) == (1, ""), result.output
        assert result.stderr.startswith(f"error: {message}") and len(result.stderr.strip().splitlines()) == 1
