"""Property test: random, truncated and malformed traffic never takes the server down for other clients."""

from __future__ import annotations

import socket

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.codec import encode_frame, encode_greeting, split_frames
from nautilus_node.simgateway.messages import In

field = st.one_of(st.integers(-5, 2**31).map(str), st.text(max_size=10), st.sampled_from(["", "SPY", "CASH", "1e999"]))
frame = st.tuples(st.sampled_from([int(i) for i in In] + [0, 300]), st.lists(field, max_size=30)).map(
    lambda t: encode_frame((t[0], *t[1]))
)
traffic = st.lists(st.one_of(frame, st.binary(max_size=40)), max_size=6)


def _current_time(sock: socket.socket) -> tuple[str, ...]:
    sock.sendall(encode_frame((49, 1)))
    data = b""
    while True:
        chunk = sock.recv(65536)
        assert chunk, "server closed the healthy client"
        data += chunk
        frames, _ = split_frames(data)
        for f in frames:
            if f[0] == "49":
                return f


def test_fuzzed_clients_never_break_the_server_for_a_healthy_one() -> None:
    with SimulatedGateway(port=0, max_msg_rate=10_000) as gw:
        healthy = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
        healthy.sendall(encode_greeting(100, 200) + encode_frame((71, 2, 99, "")))

        @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
        @given(traffic, st.booleans(), st.integers(0, 40))
        def attack(chunks: list[bytes], start_api: bool, cut: int) -> None:
            with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as sock:
                payload = encode_greeting(100, 200) + (encode_frame((71, 2, 1, "")) if start_api else b"")
                payload += b"".join(chunks)
                sock.sendall(payload[: len(payload) - cut] if cut < len(payload) else payload)
            assert _current_time(healthy)[0] == "49"

        attack()
        healthy.close()
