"""Health: healthy only when the gateway is connected, required feeds are fresh and strategies run."""

from __future__ import annotations

import msgspec

from nautilus_node.status.snapshot import Feed, Gateway, Health, Node, Snapshot, Strategy, parse_iso

MIN_SNAPSHOT_AGE_LIMIT_SECS = 5.0


def assess(node: Node, gateway: Gateway, feeds: list[Feed], strategies: list[Strategy]) -> Health:
    """The health of a node from the parts of its snapshot, with one reason per problem."""
    reasons: list[str] = []
    if gateway.state != "connected":
        since = f" since {gateway.since}" if gateway.since else ""
        where = f"{gateway.host}:{gateway.port}" if gateway.host is not None else "(no IB client found)"
        expected = f" ({gateway.scheduled_reset})" if gateway.scheduled_reset else ""
        reasons.append(f"gateway {where} {gateway.state}{since}{expected}")
    if node.state != "running":
        reasons.append(f"node {node.state.replace('_', ' ')}")
    for strategy in strategies:
        if strategy.state != "RUNNING":
            detail = f" ({strategy.reason})" if strategy.reason else ""
            reasons.append(f"strategy {strategy.strategy_id} {strategy.state.lower().replace('_', ' ')}{detail}")
    for feed in feeds:
        if feed.required and feed.state not in ("fresh", "closed"):
            detail = f": {feed.reason}" if feed.reason else ""
            reasons.append(f"required feed {feed.name} ({feed.data_type}) {feed.state}{detail}")
    return Health(healthy=not reasons, reasons=reasons)


def snapshot_age_limit(snapshot: Snapshot) -> float:
    """How old a snapshot may be before it no longer describes a live node."""
    return max(3 * snapshot.interval_secs, MIN_SNAPSHOT_AGE_LIMIT_SECS)


def current_health(snapshot: Snapshot, now_secs: float) -> Health:
    """The snapshot's own health, made unhealthy too when the snapshot itself is out of date."""
    age = now_secs - parse_iso(snapshot.generated_at)
    if age <= snapshot_age_limit(snapshot):
        return snapshot.health
    reason = f"status snapshot is {age:.0f} s old: the node is not updating it"
    return msgspec.structs.replace(snapshot.health, healthy=False, reasons=[reason, *snapshot.health.reasons])
