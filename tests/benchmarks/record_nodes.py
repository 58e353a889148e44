"""Helpers of the recording benchmark.

`python record_nodes.py gateway`: the simulated IB Gateway in a process of its own, quoting EUR/USD every
`TICK_SECS` (so quotes dominate the node's work); prints its port, serves until its standard input closes.
`measure_node(...)`: a real node (`python -m nautilus_node run`) against it, and its CPU time per quote over a
steady window: CPU from /proc, quotes from the status snapshot's feed count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TICK_SECS = 0.004
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def serve_gateway() -> None:
    from nautilus_node.simgateway import SimulatedGateway

    with SimulatedGateway(host="127.0.0.1", port=0, tick_interval=TICK_SECS, max_msg_rate=1_000_000) as gateway:
        print(gateway.port, flush=True)
        sys.stdin.read()


@dataclass(frozen=True)
class NodeFigures:
    """CPU seconds and quotes over the measured window."""

    cpu_secs: float
    quotes: int

    @property
    def cpu_us_per_quote(self) -> float:
        return self.cpu_secs / self.quotes * 1e6


def node_config(folder: Path, port: int, client_id: int, recordings: Path | None) -> Path:
    """configs/sim.toml's EMA cross node pointed at the gateway on `port` (recording into `recordings`)."""
    text = (REPO / "configs" / "sim.toml").read_text(encoding="utf-8")
    start = text.index('[[strategies]]\npath = "strategies.quote_reversion')
    text = text[:start] + text[text.index("[status]") :]
    text = text.replace("client_id = 1", f'client_id = {client_id}\nport = {port}\naccount = "DU1234567"')
    text = text.replace('file = "status/status.json"', f'file = "{folder / "status.json"}"\nmarket_hours = "always"')
    text = text.replace('log_directory = "logs"', f'log_directory = "{folder / "logs"}"')
    if recordings is not None:
        text += f'\n[record]\nenabled = true\ncatalog = "{recordings}"\n'
    path = folder / "node.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _cpu_secs(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (all threads)


def _quotes(status_file: Path) -> int:
    snapshot = json.loads(status_file.read_text())
    return sum(f["count"] for f in snapshot["feeds"] if f["data_type"] == "quotes")


def measure_node(folder: Path, port: int, client_id: int, record: bool, warm_up: float, window: float) -> NodeFigures:
    """Run a node, let it settle for `warm_up` seconds, then measure CPU and quotes over `window` seconds.

    The quote count is read from the snapshot file when it changes (it is rewritten each second), so both ends
    of the window are a snapshot's moment, and the CPU is read at the same moments."""
    folder.mkdir(parents=True)
    config = node_config(folder, port, client_id, folder / "recordings" if record else None)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IB_", "TWS_", "NAUTILUS_NODE_"))}
    env["NAUTILUS_NODE_STATUS_PORT"] = "0"
    node = subprocess.Popen(
        [sys.executable, "-m", "nautilus_node", "run", str(config)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert node.stdout is not None
        for line in node.stdout:
            if "node started" in line:
                break
        else:
            raise AssertionError("the benchmark node never started")
        time.sleep(warm_up)
        status = folder / "status.json"
        first = _at_snapshot(status, node.pid)
        time.sleep(window)
        last = _at_snapshot(status, node.pid)
        return NodeFigures(cpu_secs=last[0] - first[0], quotes=last[1] - first[1])
    finally:
        node.terminate()
        node.wait(timeout=60)


def _at_snapshot(status: Path, pid: int) -> tuple[float, int]:
    """(CPU seconds, quotes) right after the snapshot file is next rewritten (within 3 s)."""
    before = status.stat().st_mtime_ns
    deadline = time.monotonic() + 3
    while status.stat().st_mtime_ns == before and time.monotonic() < deadline:
        time.sleep(0.005)
    return _cpu_secs(pid), _quotes(status)


if __name__ == "__main__":
    serve_gateway()
