"""A simulated gateway and a node run by the CLI, both in processes whose clock reads a chosen market time.

The clock of each process is moved with Debian's libfaketime (LD_PRELOAD; it moves the C library's clock that
Python, NautilusTrader's Rust clock and the gateway all read, but not the monotonic clock, so timers and
timeouts run as usual). Both processes get the same offset from the real time, so they agree on the market time
while they run. libfaketime is installed with apt-get when missing and the tests run as root.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nautilus_node.status.snapshot import Snapshot, decode
from tests.node.conftest import PROJECT_ROOT, cli_environment, free_port
from tests.status.conftest import http_get

FAKETIME_LIB = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")
GATEWAY_LINE = re.compile(r"simulated IB Gateway on 127\.0\.0\.1:(\d+), account")


def ensure_faketime() -> Path:
    """Debian's libfaketime, installed with apt-get when missing and running as root."""
    if not FAKETIME_LIB.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", "faketime"]
        if subprocess.run(install, env=env, capture_output=True, timeout=900, check=False).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=900, check=False)
            subprocess.run(install, env=env, capture_output=True, timeout=900, check=False)
    if not FAKETIME_LIB.exists():
        pytest.fail("libfaketime is not installed: run `apt-get install -y faketime` as root")
    return FAKETIME_LIB


def shifted_environment(market_time: dt.datetime) -> dict[str, str]:
    """Environment variables that make a process's clock read `market_time` now, then run on."""
    offset = round(market_time.timestamp() - time.time())
    return {
        "LD_PRELOAD": str(ensure_faketime()),
        "FAKETIME": f"{offset:+d}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


@dataclass(frozen=True)
class ShiftedNode:
    """A node's status address and its gateway's port, both processes at the market time."""

    status_url: str
    gateway_port: int
    process: subprocess.Popen
    output: Path
    gateway: subprocess.Popen

    def check_running(self) -> None:
        """Fail with the node's output once it has exited."""
        if self.process.poll() is not None:
            tail = self.output.read_text(encoding="utf-8", errors="replace")[-3000:]
            pytest.fail(f"the node exited with {self.process.returncode}:\n{tail}")


def _config(tmp_path: Path, gateway_port: int, status_port: int, feeds: list[str], stale_after_secs: float) -> Path:
    strategies = "".join(
        f"""
[[strategies]]
path = "tests.status.strategies:BuyOnce"
config_path = "tests.status.strategies:BuyOnceConfig"
[strategies.config]
instrument_id = "{feed}"
buy = false
order_id_tag = "{index:03d}"
"""
        for index, feed in enumerate(feeds)
    )
    path = tmp_path / "node.toml"
    path.write_text(
        f"""
[node]
log_level = "WARNING"
log_directory = "{tmp_path / "logs"}"

[gateway]
host = "127.0.0.1"
port = {gateway_port}
client_id = 3
account = "DU1234567"
startup_timeout_secs = 60

[instruments]
load = {feeds!r}
{strategies}
[status]
port = {status_port}
file = "{tmp_path / "status" / "status.json"}"
stale_after_secs = {stale_after_secs}
required_feeds = {feeds!r}
""".replace("'", '"'),
        encoding="utf-8",
    )
    return path


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def node_at(
    market_time: dt.datetime, tmp_path: Path, feeds: list[str], stale_after_secs: float = 4.0
) -> Iterator[ShiftedNode]:
    """`gateway` (its market hours as at IB) and `run` for `feeds`, both with their clocks at `market_time`."""
    env = shifted_environment(market_time)
    gateway = subprocess.Popen(
        [sys.executable, "-m", "nautilus_node", "gateway", "--port", "0"],
        cwd=PROJECT_ROOT,
        env=cli_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    processes = [gateway]
    output = (tmp_path / "node.out").open("w", encoding="utf-8")
    try:
        assert gateway.stdout is not None
        lines: list[str] = []
        while (found := GATEWAY_LINE.search(lines[-1] if lines else "")) is None and len(lines) < 20:
            lines.append(gateway.stdout.readline())  # its log lines, then where it listens
        assert found, f"the gateway did not say where it listens: {lines!r}"
        threading.Thread(target=gateway.stdout.read, daemon=True).start()  # drained, never blocking the gateway
        gateway_port, status_port = int(found.group(1)), free_port()
        config = _config(tmp_path, gateway_port, status_port, feeds, stale_after_secs)
        node = subprocess.Popen(
            [sys.executable, "-m", "nautilus_node", "run", str(config)],
            cwd=PROJECT_ROOT,
            env=cli_environment({**env, "NAUTILUS_NODE_STATUS_PORT": str(status_port)}, free_status_port=False),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        processes.append(node)
        yield ShiftedNode(f"http://127.0.0.1:{status_port}", gateway_port, node, tmp_path / "node.out", gateway)
    finally:
        for process in reversed(processes):
            _stop(process)
        output.close()


def read_status(node: ShiftedNode) -> tuple[Snapshot, int] | None:
    """The node's `/status` snapshot and `/healthz` code, or None before its first snapshot."""
    try:
        status, _, body = http_get(f"{node.status_url}/status", timeout=2)
        healthz, _, _ = http_get(f"{node.status_url}/healthz", timeout=2)
    except OSError:
        return None  # not serving yet
    return (decode(body), healthz) if status == 200 else None  # 503 before the first snapshot


def until(node: ShiftedNode, what: str, condition: Callable[[Snapshot, int], bool], timeout: float = 90):
    """The first reading of the running node that meets `condition` (snapshot, /healthz), within `timeout` s."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        node.check_running()
        last = read_status(node)
        if last is not None and last[0].node.state == "running" and condition(*last):
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last status: {last}")
