"""The standalone gateway command and the fault command, as separate processes."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

from .ibapp import IBApp


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nautilus_node", *args], capture_output=True, text=True, timeout=60)


def test_standalone_gateway_serves_clients_and_takes_fault_commands() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "nautilus_node", "gateway", "--port", "0", "--control-port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = proc.stdout.readline()
        match = re.search(r"on 127\.0\.0\.1:(\d+), account DU1234567.*control on 127\.0\.0\.1:(\d+)", banner)
        assert match, banner
        port, control = match.group(1), match.group(2)
        assert banner.rstrip().endswith("server versions up to 226")
        app = IBApp().connect(int(port), 5)
        assert app.client.serverVersion() == 223  # the highest this ibapi offers: the protobuf stack
        done = _cli("gateway-fault", "farm-status", "2105", "--control-port", control)
        assert done.returncode == 0 and "done" in done.stdout
        app.wait_error(2105)
        refused = _cli("gateway-fault", "farm-status", "abc", "--control-port", control)
        assert refused.returncode == 2 and refused.stderr.startswith("error: farm_status: bad argument 'abc'")
        app.disconnect()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0


def test_bad_options_give_one_line_errors() -> None:
    bad_replay = _cli("gateway", "--port", "0", "--replay", "/no/such/catalog")
    assert bad_replay.returncode == 2
    assert bad_replay.stderr.strip() == "error: replay catalog /no/such/catalog is not a directory"
    bad_account = _cli("gateway", "--port", "0", "--account", "U999")
    assert bad_account.returncode == 2 and "Traceback" not in bad_account.stderr
    too_new = _cli("gateway", "--port", "0", "--server-version", "300")
    assert too_new.returncode == 2 and "Traceback" not in too_new.stderr
    assert "Invalid value for '--server-version': 300 is not in the range 157<=x<=226" in too_new.stderr
    unknown = _cli("gateway-fault", "explode", "--control-port", "9")
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: unknown action 'explode'")


def test_server_version_option_emulates_an_older_gateway() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "nautilus_node", "gateway", "--port", "0", "--server-version", "200"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = proc.stdout.readline()
        assert banner.rstrip().endswith("server versions up to 200"), banner
        port = re.search(r"on 127\.0\.0\.1:(\d+),", banner).group(1)
        app = IBApp().connect(int(port), 5)
        assert app.client.serverVersion() == 200  # the text protocol
        app.disconnect()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
