"""Reading the status: from a node's HTTP surface or its snapshot file, for a person or a health check."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import msgspec

from nautilus_node.errors import InputError, UserError
from nautilus_node.settings import StatusSettings
from nautilus_node.status.health import current_health
from nautilus_node.status.resilience import resilience_lines
from nautilus_node.status.snapshot import BrokerPosition, Snapshot, decode, money

REQUEST_TIMEOUT_SECS = 3.0


class StatusUnavailable(UserError):
    """The status could not be read; the message is one line for a person."""


def default_url(status: StatusSettings) -> str:
    """The node's status URL as its config (with the environment overrides) sets it."""
    if status.port == 0:
        raise InputError("status.port is 0 (the node picks a free port): give --url")
    return f"http://{status.host}:{status.port}"


def fetch(url: str, timeout: float = REQUEST_TIMEOUT_SECS) -> Snapshot:
    """The snapshot served at `url` (its `/status`)."""
    status_url = url.rstrip("/") + "/status"
    try:
        with urllib.request.urlopen(status_url, timeout=timeout) as response:
            data = response.read()
    except urllib.error.HTTPError as exc:
        raise StatusUnavailable(f"{status_url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StatusUnavailable(f"{status_url}: no answer ({reason})") from None
    except ValueError as exc:
        raise StatusUnavailable(f"{url}: not a usable URL ({exc})") from None
    return _decode(data, status_url)


def read_file(path: Path) -> Snapshot:
    """The snapshot in the file at `path`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StatusUnavailable(f"{path}: no status file") from None
    except OSError as exc:
        raise StatusUnavailable(f"{path}: cannot read ({exc.strerror})") from None
    return _decode(data, str(path))


def _decode(data: bytes, source: str) -> Snapshot:
    try:
        return decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise StatusUnavailable(f"{source}: not a status snapshot ({exc})") from None


def check_lines(snapshot: Snapshot, now_secs: float) -> tuple[bool, list[str]]:
    """Whether the node is healthy now, and the lines that say so (one reason per line)."""
    health = current_health(snapshot, now_secs)
    if health.healthy:
        return True, [f"healthy (snapshot {snapshot.generated_at})"]
    return False, ["unhealthy:", *(f"  - {reason}" for reason in health.reasons)]


def render(snapshot: Snapshot, now_secs: float) -> str:
    """The snapshot as text for a person."""
    s = snapshot
    healthy, health_lines = check_lines(s, now_secs)
    g, n = s.gateway, s.node
    lines = [
        f"{'HEALTHY' if healthy else 'UNHEALTHY'}  node {n.trader_id} {n.state}, up {n.uptime_secs:.0f} s "
        f"(snapshot {s.generated_at}, market {'open' if n.market_open else 'closed'})",
        *([] if healthy else health_lines[1:]),
        *_trading_lines(s),
        "",
        f"gateway   {f'{g.host}:{g.port} client {g.client_id}' if g.host is not None else '(no IB client found)'}: "
        f"{g.state} since {g.since}" + (f", server version {g.server_version}" if g.server_version is not None else ""),
        f"          farms: market data {g.market_data_farm or '-'}, historical {g.historical_data_farm or '-'}, "
        f"sec-def {g.security_definition_farm or '-'}"
        + (f"; reconnected {g.reconnects} times" if g.reconnects else ""),
    ]
    lines += [f"          IB {c.code} at {c.at}: {c.message}" for c in g.codes[-5:]]
    lines += [f"          expected: {w.label} {w.starts_at} to {w.ends_at}" for w in s.expected_windows[:1]]
    lines += resilience_lines(s.resilience)
    lines.append("")
    if not s.accounts:
        lines.append(f"account   {s.account_id + ' ' if s.account_id else ''}not reported")
    for account in s.accounts:
        lines.append(f"account   {account.account_id} (reported {account.reported_at})")
        lines += [
            f"          {b.currency}: total {money(b.total, b.currency)}, free {money(b.free, b.currency)}, "
            f"locked {money(b.locked, b.currency)}"
            for b in account.balances
        ]
        lines += [
            f"          margin {m.currency}: init {money(m.initial, m.currency)}, "
            f"maint {money(m.maintenance, m.currency)}"
            for m in account.margins
        ]
    lines.append(f"positions {len(s.positions) or 'none'}")
    lines += [
        f"          {p.instrument_id} {p.side} {p.quantity} @ {p.avg_px_open}, "
        f"unrealized {money(p.unrealized_pnl, p.pnl_currency)} ({p.strategy_id})"
        for p in s.positions
    ]
    lines += [_broker_line(b) for b in s.broker_positions]
    lines += [
        f"limit     {u.name}{f' {u.instrument_id}' if u.instrument_id else ''}: {u.used:g} of {u.limit:g} "
        f"({u.percent:g} %)" + (" BREACHED" if u.breached else "")
        for u in s.limits
    ]
    lines.append(f"orders    {len(s.orders) or 'none'} open")
    lines += [
        f"          {o.client_order_id} {o.instrument_id} {o.side} {o.type} {o.filled_qty}/{o.quantity} "
        f"@ {o.price or '-'}{f' trigger {o.trigger_price}' if o.trigger_price else ''} {o.time_in_force} {o.status}"
        for o in s.orders
    ]
    lines.append(f"fills     {len(s.fills) or 'none'} recent")
    lines += [f"          {f.at} {f.instrument_id} {f.side} {f.quantity} @ {f.price}" for f in s.fills]
    lines.append(f"feeds     {len(s.feeds) or 'none'}")
    lines += [
        f"          {f.name} {f.data_type}{' (required)' if f.required else ''}: {f.state}, "
        f"{f.rate_per_sec:g}/s, last {f.last_event_at or 'never'}" + (f" - {f.reason}" if f.reason else "")
        for f in s.feeds
    ]
    lines.append(f"strategies {len(s.strategies) or 'none'}")
    lines += [
        f"          {st.strategy_id}: {st.state}" + (f" ({st.reason})" if st.reason else "") for st in s.strategies
    ]
    lines += [f"warning   {w}" for w in s.warnings]
    return "\n".join(lines)


def _broker_line(b: BrokerPosition) -> str:
    held = ", ".join(f"{name} {quantity:g}" for name, quantity in b.strategies.items()) or "none"
    broker = f"{b.broker:g}" if b.broker is not None else "not reported"
    mismatch = f" MISMATCH since {b.since}" if b.mismatch else ""
    return f"broker    {b.instrument_id}: IB {broker}, strategies {b.node:g} ({held}){mismatch}"


def _trading_lines(snapshot: Snapshot) -> list[str]:
    t = snapshot.trading
    if t is None or t.state == "ACTIVE":
        return []
    return [f"TRADING {t.state} since {t.since} by {t.by} ({t.reason}): `nautilus-node resume` lifts it"]


def describe(url: str | None, file: Path | None) -> str:
    """The `status` command: the node's status as text for a person (from `file`, else `url`)."""
    try:
        snapshot = _read(url, file)
    except StatusUnavailable as exc:
        raise StatusUnavailable(f"status unavailable: {exc}") from None
    return render(snapshot, time.time())


def check_health(url: str | None, file: Path | None) -> tuple[bool, str]:
    """`status --check`: whether the node is healthy, and the lines that say why; unreadable is unhealthy."""
    try:
        snapshot = _read(url, file)
    except StatusUnavailable as exc:
        return False, f"unhealthy: {exc}"
    healthy, lines = check_lines(snapshot, time.time())
    return healthy, "\n".join(lines)


def _read(url: str | None, file: Path | None) -> Snapshot:
    if file is not None:
        return read_file(file)
    if url is None:
        raise StatusUnavailable("no status address: give --url or --file")
    return fetch(url)
