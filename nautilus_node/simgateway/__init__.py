"""A simulated IB Gateway speaking the TWS API socket protocol, with a paper broker and fault injection."""

from nautilus_node.simgateway.gateway import SimulatedGateway

__all__ = ["SimulatedGateway"]
