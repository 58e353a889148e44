"""What a handler returns: the messages for its own client and the effects the server applies."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway.broker import Event
from nautilus_node.simgateway.contracts import ContractQuery, ContractSpec
from nautilus_node.simgateway.state import GatewayState
from nautilus_node.simgateway.versions import LATEST, Feature, Wire

NO_SECURITY = "No security definition has been found for the request"


@dataclass(frozen=True, slots=True)
class OrderEvents:
    """Order events to report to each order's owner (another session, maybe), then account refreshes."""

    events: list[Event]


@dataclass(frozen=True, slots=True)
class CloseConnection:
    """Close this client's socket after sending the messages."""


Effect = OrderEvents | CloseConnection


@dataclass(slots=True)
class Reply:
    """Messages (message id first) to send to the requesting client, and effects to apply, in order."""

    wire: Wire = LATEST
    now: float = 0.0
    messages: list[m.Fields] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

    def send(self, *messages: m.Fields) -> None:
        self.messages.extend(messages)

    def error(self, req_id: int, code: int, text: str) -> None:
        self.messages.append(m.error(req_id, code, text, int(self.now * 1000), v=self.wire))

    def errors(self) -> list[tuple[int, int, str]]:
        """(request id, code, text) of each error message in this reply; for logs and tests."""
        found = []
        for msg in self.messages:
            if msg[0] == m.Out.ERROR:
                req_id, code, text = msg[1:4] if self.wire.has(Feature.ERROR_TIME) else msg[2:5]
                found.append((int(req_id), int(code), str(text)))
        return found


def resolve(
    out: Reply, gw: GatewayState, req_id: int, query: ContractQuery, continuous: bool = False
) -> ContractSpec | None:
    """The one contract ``query`` names, or None after answering IB's error 200. A continuous future (CONTFUT)
    stands for its front month, unless ``continuous`` (historical bars) asks for the CONTFUT itself."""
    matches = gw.universe.match(query, out.now)
    if len(matches) != 1:
        out.error(req_id, 200, NO_SECURITY if not matches else "The contract description specified is ambiguous")
        return None
    spec = matches[0]
    if spec.sec_type == "CONTFUT" and not continuous:
        return gw.universe.by_con_id(spec.con_id) or dataclasses.replace(spec, sec_type="FUT")
    return spec
