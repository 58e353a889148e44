"""`StatusActorConfig`: what the status actor watches and where it publishes the snapshot."""

from __future__ import annotations

from nautilus_trader.common.config import ActorConfig, PositiveFloat


class StatusActorConfig(ActorConfig, frozen=True):
    """
    Configuration for `StatusActor`.

    http_host / http_port: where `GET /`, `/status` and `/healthz` are served (port 0: a free port;
    `http_port=None`: no HTTP server). snapshot_path: the JSON file written atomically each interval
    (`None`: no file). gateway_host / gateway_port / client_id: which of the adapter's IB clients to read
    (`None` for both host and port: the only one). account_id: the IB account the node trades (shown as
    "not reported" until the gateway reports it). stale_after_secs: a feed with no event for this long while
    its market is open is stale. required_feeds: instrument ids (their quotes) or bar types that must be
    fresh for the node to be healthy. market_hours: "instruments" (each feed's market is open by its
    instrument's trading hours, as IB states them in its contract details) or "always". ib_region: the
    region whose scheduled resets IB publishes for the account ("north_america", "europe", "asia"). startup_grace_secs:
    after this long without the trader starting, strategies count as never started. interval_secs: how often
    the snapshot is rebuilt. max_fills: how many recent fills are kept. on_stop: what stopping the node does
    with the manual desk's orders (`[node] on_stop`), shown on the page. max_position (instrument id →
    quantity), max_daily_loss, max_open_orders, on_breach ("halt", "reduce", "flatten") and day_time_zone: the
    node's own limits (`nautilus_node.status.limits`). alert_urls (apprise), alert_webhooks (plain JSON) and the
    alert_* pacing: where alerts go (`nautilus_node.status.alerts`).
    """

    http_host: str = "127.0.0.1"
    http_port: int | None = 8001
    snapshot_path: str | None = "status/status.json"
    gateway_host: str | None = None
    gateway_port: int | None = None
    client_id: int | None = None
    account_id: str | None = None
    stale_after_secs: PositiveFloat = 10.0
    required_feeds: tuple[str, ...] = ()
    market_hours: str = "instruments"
    ib_region: str = "north_america"
    startup_grace_secs: PositiveFloat = 120.0
    interval_secs: PositiveFloat = 1.0
    max_fills: int = 20
    max_position: dict[str, float] = {}
    max_daily_loss: PositiveFloat | None = None
    max_open_orders: int | None = None
    on_breach: str = "halt"
    day_time_zone: str = "America/New_York"
    alert_urls: tuple[str, ...] = ()
    alert_webhooks: tuple[str, ...] = ()
    alert_grace_secs: float = 30.0
    alert_dedup_secs: float = 300.0
    alert_rate_per_minute: int = 20
    alert_retries: int = 3
    alert_timeout_secs: PositiveFloat = 5.0
    on_stop: str = "cancel"
