"""Property test: random, truncated and malformed traffic on either stack never takes the server down for
other clients. Attackers greet at a text version (200) or a protobuf one (223) and send text frames,
binary-id text frames, protobuf frames with random bodies (any id, the served ones included) and raw bytes;
a healthy protobuf session is answered after each attack."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nautilus_node.simgateway import SimulatedGateway
from nautilus_node.simgateway.codec import encode_binary_id_frame, encode_frame, encode_protobuf_frame
from nautilus_node.simgateway.messages import In

from .rawclient import RawClient
from .wire_stacks import client_bytes

field = st.one_of(st.integers(-5, 2**31).map(str), st.text(max_size=10), st.sampled_from(["", "SPY", "CASH", "1e999"]))
msg_id = st.sampled_from([int(i) for i in In] + [0, 300])
text_frame = st.tuples(msg_id, st.lists(field, max_size=30)).map(lambda t: encode_frame((t[0], *t[1])))
binary_id_frame = st.tuples(msg_id, st.lists(field, max_size=30)).map(lambda t: encode_binary_id_frame((t[0], *t[1])))
protobuf_frame = st.tuples(msg_id, st.binary(max_size=60)).map(lambda t: encode_protobuf_frame(*t))
traffic = st.lists(st.one_of(text_frame, binary_id_frame, protobuf_frame, st.binary(max_size=40)), max_size=6)


def test_fuzzed_clients_on_either_stack_never_break_the_server_for_a_healthy_one() -> None:
    with SimulatedGateway(port=0, max_msg_rate=10_000) as gw:
        healthy = RawClient(gw.port, 223)
        healthy.send(lambda c: c.startApi(), client_id=99)
        healthy.wait_for("nextValidId")

        @settings(max_examples=160, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.sampled_from([200, 223]), traffic, st.booleans(), st.integers(0, 40))
        def attack(version: int, chunks: list[bytes], start_api: bool, cut: int) -> None:
            attacker = RawClient(gw.port, version)
            payload = client_bytes(version, lambda c: c.startApi()) if start_api else b""
            payload += b"".join(chunks)
            with contextlib.suppress(OSError):  # the gateway may already have closed an unreadable attacker
                attacker.send_bytes(payload[: len(payload) - cut] if cut < len(payload) else payload)
            attacker.close()
            healthy.seen.clear()
            healthy.send(lambda c: c.reqCurrentTime())
            healthy.wait_for("currentTime")

        attack()
        healthy.close()
