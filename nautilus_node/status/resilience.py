"""The resilient IB client's view for the snapshot: reconnect attempts and each subscription's liveness."""

from __future__ import annotations

from typing import Any

from nautilus_node.status.snapshot import Feed, HotPath, Resilience, Subscription, iso, parse_iso


def resilience_view(client: Any) -> Resilience | None:
    """What the client reports through `connection_status()`, or None for NautilusTrader's plain client."""
    report = getattr(client, "connection_status", None)
    if report is None:
        return None
    status = report()
    return Resilience(
        reconnect_attempts=status.attempts,
        next_attempt_at=_iso(status.next_attempt_ns),
        disconnected_since=_iso(status.disconnected_since_ns),
        reconnects=status.reconnects,
        subscriptions=[_subscription(s) for s in status.subscriptions],
        hot_path=_hot_path(client),
    )


def _hot_path(client: Any) -> HotPath | None:
    report = getattr(client, "hot_path_status", None)
    if report is None:
        return None
    status = report()
    return HotPath(
        reader=status.reader,
        skipped_messages=status.skipped_messages,
        skipped_by_id={str(msg_id): count for msg_id, count in sorted(status.skipped_by_id.items())},
        handler_failures=status.handler_failures,
        reconciliations=status.reconciliations,
        last_skipped=status.last_skipped,
        sessions_ended=status.sessions_ended,
        last_session_ended=status.last_session_ended,
        backlog=status.backlog,
    )


def _subscription(status: Any) -> Subscription:
    since = _iso(status.since_ns)
    if status.state == "recovering":
        text = f"recovering since {since}"
    elif status.state == "dead":
        text = f"dead after {status.tries} tries"
    else:
        text = status.state
    return Subscription(
        name=status.name,
        kind=status.kind,
        state=status.state,
        since=since,
        tries=status.tries,
        cause=status.cause,
        text=text,
    )


def unhealthy_subscriptions(
    resilience: Resilience | None, feeds: list[Feed], stale_after_secs: float, now_ns: int
) -> list[str]:
    """One reason per required feed whose subscription is dead, or recovering beyond the staleness limit."""
    if resilience is None:
        return []
    required = {feed.name for feed in feeds if feed.required}
    reasons = []
    for sub in resilience.subscriptions:
        feed_name = sub.name.split(" ")[0]
        if feed_name not in required and sub.name not in required:
            continue
        if sub.state == "dead":
            reasons.append(f"required feed {sub.name} {sub.text}")
        elif sub.state == "recovering" and sub.since is not None:
            age = now_ns / 1e9 - parse_iso(sub.since)
            if age > stale_after_secs:
                reasons.append(f"required feed {sub.name} {sub.text} ({age:.0f} s)")
    return reasons


def _iso(ts_ns: int | None) -> str | None:
    return iso(ts_ns) if ts_ns is not None else None


def resilience_lines(resilience: Resilience | None) -> list[str]:
    """The reconnection and subscription lines of the `status` text (none for the plain client)."""
    if resilience is None:
        return []
    r = resilience
    if r.disconnected_since is not None:
        head = f"reconnect attempt {r.reconnect_attempts} (disconnected since {r.disconnected_since})"
        head += f", next at {r.next_attempt_at}" if r.next_attempt_at else ", connecting now"
    else:
        head = f"reconnects {r.reconnects}"
    lines = [f"          {head}"]
    if (hot := r.hot_path) is not None:
        text = f"reader {hot.reader}, {hot.skipped_messages} messages skipped, {hot.sessions_ended} sessions ended"
        lines.append(f"          {text}" + (f" (last: {hot.last_session_ended})" if hot.last_session_ended else ""))
    lines += [f"          subscription {sub.name} ({sub.kind}): {sub.text}" for sub in r.subscriptions]
    return lines
