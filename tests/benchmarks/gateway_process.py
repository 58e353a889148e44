"""The simulated gateway and its timing relay (`frame_clock.py`) in a process of their own, as IB Gateway runs
beside a node: the client measured does not share its interpreter, its GIL or its CPU time with them.

`GatewayProcess` starts `python -m tests.benchmarks.gateway_process '<gateway options as JSON>'` and talks to it
with a JSON line each way on stdin/stdout: `reset`, `latencies` (the relay's tick → order figures, seconds) and
`storm` (extra tickPrice frames for the given request ids at a rate, on the stack the gateway serves) and
`stall` (the gateway's own quotes for the given contracts stop, so every quote of theirs is the storm's).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ibapi.message import IN
from ibapi.protobuf.TickPrice_pb2 import TickPrice

from nautilus_node.simgateway import SimulatedGateway
from tests.benchmarks.frame_clock import PROTOBUF_ID, FrameClock
from tests.resilience.fault_proxy import binary_frame, text_frame

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LAST_TEXT_VERSION = 200


def storm_frames(targets: list[tuple[int, float]], server_version: int, count: int = 1000) -> list[bytes]:
    """`count` tickPrice frames (bid, ask alternating, prices moving a little) spread over `targets`
    (request id, price), framed for the stack of `server_version`."""
    frames = []
    for i in range(count):
        req_id, base = targets[i % len(targets)]
        tick_type = 1 + (i // len(targets)) % 2
        price = round(base * (1 + (i % 50) * 1e-5), 5)
        if server_version <= LAST_TEXT_VERSION:
            fields = (b"1", b"6", str(req_id).encode(), str(tick_type).encode(), repr(price).encode(), b"100000", b"0")
            frames.append(text_frame(*fields))
        else:
            body = TickPrice(reqId=req_id, tickType=tick_type, price=price, size="100000", attrMask=0)
            frames.append(binary_frame(PROTOBUF_ID + IN.TICK_PRICE, body.SerializeToString()))
    return frames


def serve(options: dict[str, Any]) -> None:
    """Run the gateway and the relay until stdin closes, answering one JSON request per line."""
    with SimulatedGateway(host="127.0.0.1", port=0, **options) as gateway, FrameClock(gateway.port) as clock:
        hello = {"port": clock.port, "account": gateway.account, "server_version": gateway.server_version}
        print(json.dumps(hello), flush=True)
        for line in sys.stdin:
            request = json.loads(line)
            if request["cmd"] == "reset":
                clock.reset()
                reply: dict[str, Any] = {}
            elif request["cmd"] == "latencies":
                reply = {"latencies": clock.latencies, "encodings": sorted(clock.encodings)}
            elif request["cmd"] == "stall":
                for name in request["names"]:
                    gateway.faults.stall_feed(name)
                reply = {}
            elif request["cmd"] == "storm":
                frames = storm_frames([tuple(t) for t in request["targets"]], gateway.server_version)
                reply = {"sent": clock.storm(frames, request["rate"], request["secs"])}
            else:
                reply = {"error": f"unknown request {request['cmd']!r}"}
            print(json.dumps(reply), flush=True)


class GatewayProcess:
    """The gateway and relay process; `port` is the relay's (connect clients there), `account` the gateway's."""

    def __init__(self, **gateway_options: Any) -> None:
        self._options = gateway_options
        self._process: subprocess.Popen[str] | None = None
        self.port = 0
        self.account = ""
        self.server_version = 0

    def __enter__(self) -> GatewayProcess:
        command = [sys.executable, "-m", "tests.benchmarks.gateway_process", json.dumps(self._options)]
        self._process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        hello = self._read()
        self.port, self.account, self.server_version = hello["port"], hello["account"], hello["server_version"]
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)

    def reset(self) -> None:
        self._call("reset")

    def latencies(self) -> tuple[list[float], set[str]]:
        """The relay's tick → order latencies (s) since the last reset, and the encodings seen from the gateway."""
        reply = self._call("latencies")
        return reply["latencies"], set(reply["encodings"])

    def stall(self, names: list[str]) -> None:
        """Stop the gateway's own quotes for `names` (local symbols)."""
        self._call("stall", names=names)

    def storm(self, targets: list[tuple[int, float]], rate: int, secs: float) -> int:
        """Quote frames for `targets` (request id, price) at `rate` a second for `secs`; returns how many."""
        return self._call("storm", targets=targets, rate=rate, secs=secs)["sent"]

    def _call(self, cmd: str, **arguments: Any) -> dict[str, Any]:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(json.dumps({"cmd": cmd, **arguments}) + "\n")
        self._process.stdin.flush()
        reply = self._read()
        if "error" in reply:
            raise AssertionError(f"gateway process: {reply['error']}")
        return reply

    def _read(self) -> dict[str, Any]:
        assert self._process is not None and self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise AssertionError(f"the gateway process ended (exit {self._process.poll()})")
        return json.loads(line)


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]))
