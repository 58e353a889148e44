"""Option chains: reqSecDefOptParams, one answer per option exchange IB lists, then its end."""

from __future__ import annotations

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway import options
from nautilus_node.simgateway import requests as rq
from nautilus_node.simgateway.handlers.reply import NO_SECURITY, Reply
from nautilus_node.simgateway.state import GatewayState, SessionState


def req_sec_def_opt_params(req: rq.SecDefOptParamsRequest, s: SessionState, gw: GatewayState) -> Reply:
    out = Reply(s.wire, gw.clock())
    if req.underlying_sec_type != "STK":
        raise rq.UnsupportedRequest(f"option chains of {req.underlying_sec_type or 'an empty'} secType are not served")
    chains = gw.universe.options if isinstance(gw.universe, options.UniverseWithOptions) else None
    under = chains.underlying_named(req.underlying_symbol) if chains else None
    if chains is None or under is None or (req.underlying_con_id and req.underlying_con_id != under.con_id):
        out.error(req.req_id, 200, NO_SECURITY)
        return out
    exchanges = [e for e in options.OPTION_EXCHANGES if not req.fut_fop_exchange or e == req.fut_fop_exchange]
    expirations = tuple(f"{d:%Y%m%d}" for d in options.expirations(out.now))
    strikes = tuple(chains.strikes(under))
    for exchange in exchanges:
        out.send(
            m.security_definition_option_parameter(
                req.req_id, exchange, under.con_id, under.symbol, options.MULTIPLIER, expirations, strikes
            )
        )
    out.send(m.security_definition_option_parameter_end(req.req_id))
    return out
