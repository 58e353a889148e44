"""The config file's schema: msgspec Structs decoded and validated once, at the edge.

A config file is TOML. Unknown keys and wrong types are errors naming the file, the key path, what was
expected and what was found. A few environment variables override the gateway and status fields, so one
file serves a laptop and a container alike (see `ENV_OVERRIDES`).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from nautilus_node.errors import InputError
from nautilus_node.ib.accounts import DEFAULT_PORT, live_trading_problems

ALLOW_LIVE_ENV = "NAUTILUS_NODE_ALLOW_LIVE"

STRATEGY_PATH = r"^[\w.]+:\w+$"
TRADER_ID = r"^[^-\s]+-[^-\s]+$"
PATTERN_HINTS = {
    STRATEGY_PATH: 'expected "package.module:ClassName"',
    TRADER_ID: 'expected "NAME-TAG", e.g. "NODE-001"',
}

Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
PositiveSeconds = Annotated[float, msgspec.Meta(gt=0)]
PositiveFloat = PositiveSeconds


class ConfigError(InputError):
    """A config file, or an override of it, that cannot be used; the message is one line for a person."""


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base for every table of the config file: frozen, strict about unknown keys."""


class NodeSettings(_Section):
    """The node itself: identity and logging."""

    trader_id: Annotated[str, msgspec.Meta(pattern=TRADER_ID)] = "NODE-001"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "ERROR"  # console; WARNING adds NautilusTrader's
    log_file_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_directory: str = "logs"
    # NautilusTrader's per-component filter (e.g. {"EMACrossStrategy-000" = "WARNING"}): console and file alike
    log_component_levels: dict[str, Literal["DEBUG", "INFO", "WARNING", "ERROR", "OFF"]] = {}
    # What the manual desk (orders from the status page and the control API) leaves at the venue at stop
    on_stop: Literal["cancel", "flatten", "keep"] = "cancel"


class GatewaySettings(_Section):
    """Where IB Gateway (or TWS) listens, and how the node talks to it."""

    host: str = "127.0.0.1"
    port: Port = DEFAULT_PORT
    client_id: Annotated[int, msgspec.Meta(ge=0)] = 1
    account: str | None = None
    market_data_type: Literal["REALTIME", "FROZEN", "DELAYED", "DELAYED_FROZEN"] = "REALTIME"
    handshake_timeout_secs: PositiveSeconds = 5.0
    startup_timeout_secs: PositiveSeconds = 60.0
    request_timeout_secs: Annotated[int, msgspec.Meta(gt=0)] = 30


class InstrumentSettings(_Section):
    """Instruments loaded from the gateway at start-up, as NautilusTrader instrument ids; ``option_chains``
    names stocks whose listed options (expiring within ``option_chain_days``) are loaded too."""

    load: list[str] = []
    option_chains: list[str] = []
    option_chain_days: Annotated[int, msgspec.Meta(gt=0)] = 45


class StrategySettings(_Section):
    """One strategy: NautilusTrader's `ImportableStrategyConfig`, as a config-file table."""

    path: Annotated[str, msgspec.Meta(pattern=STRATEGY_PATH)]
    config_path: Annotated[str, msgspec.Meta(pattern=STRATEGY_PATH)]
    config: dict[str, Any] = {}


class StatusSettings(_Section):
    """The status actor: its HTTP surface, snapshot file and feed freshness rules."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: Port = 8001
    file: str = "status/status.json"
    stale_after_secs: PositiveSeconds = 10.0
    required_feeds: list[str] = []
    market_hours: Literal["instruments", "always"] = "instruments"
    ib_region: Literal["north_america", "europe", "asia"] = "north_america"


class ResilienceSettings(_Section):
    """How the node rides out what IB does to a connection (see docs/resilience.md)."""

    enabled: bool = True
    reconnect_backoff_max_secs: Annotated[float, msgspec.Meta(gt=0, le=300)] = 30.0
    farm_wait_secs: Annotated[float, msgspec.Meta(ge=0)] = 5.0
    connectivity_restore_secs: PositiveSeconds = 120.0
    quote_silence_secs: PositiveSeconds = 10.0
    bar_grace_secs: Annotated[float, msgspec.Meta(ge=0)] = 5.0
    max_resubscribe_tries: Annotated[int, msgspec.Meta(ge=1)] = 5
    inline_reader: bool = True  # False: NautilusTrader's own socket reader (to tell a regression from the gateway)
    inline_engines: bool = True  # False: every message through NautilusTrader's engine queues
    session_probe_secs: PositiveSeconds = 3.0
    open_check_interval_secs: PositiveSeconds = 10.0
    position_check_interval_secs: PositiveSeconds = 30.0


RATE = r"^[1-9]\d*/\d{2}:\d{2}:\d{2}$"
PATTERN_HINTS[RATE] = 'expected "COUNT/HH:MM:SS", e.g. "100/00:00:01"'
PositiveAmount = Annotated[float, msgspec.Meta(gt=0)]


class RiskSettings(_Section):
    """Limits (see docs/configuration.md): NautilusTrader's risk engine's rates and notional per order, and the
    node's own maximum position per instrument, daily loss and open orders, with what a breach does."""

    max_order_submit_rate: Annotated[str, msgspec.Meta(pattern=RATE)] = "100/00:00:01"
    max_order_modify_rate: Annotated[str, msgspec.Meta(pattern=RATE)] = "100/00:00:01"
    max_notional_per_order: dict[str, Annotated[int, msgspec.Meta(gt=0)]] = {}
    max_position: dict[str, PositiveAmount] = {}
    max_daily_loss: PositiveAmount | None = None
    max_open_orders: Annotated[int, msgspec.Meta(ge=1)] | None = None
    on_breach: Literal["halt", "reduce", "flatten"] = "halt"
    day_time_zone: str = "America/New_York"


ALERT_URLS_ENV = "NAUTILUS_NODE_ALERT_URLS"
ALERT_WEBHOOKS_ENV = "NAUTILUS_NODE_ALERT_WEBHOOKS"


class AlertSettings(_Section):
    """Where alerts go: apprise URLs (`urls`) and plain JSON webhooks, plus those in NAUTILUS_NODE_ALERT_URLS
    and NAUTILUS_NODE_ALERT_WEBHOOKS (space-separated: keeps secrets out of the file); how they are paced."""

    urls: list[str] = []
    webhooks: list[str] = []
    grace_secs: Annotated[float, msgspec.Meta(ge=0)] = 30.0
    dedup_secs: Annotated[float, msgspec.Meta(ge=0)] = 300.0
    rate_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 20
    retries: Annotated[int, msgspec.Meta(ge=0, le=10)] = 3
    timeout_secs: PositiveSeconds = 5.0


def alert_destinations(alerts: AlertSettings, environ: Mapping[str, str] | None = None) -> tuple[list, list]:
    """(apprise URLs, webhook URLs): the config file's and the environment's."""
    environ = os.environ if environ is None else environ
    urls = [*alerts.urls, *environ.get(ALERT_URLS_ENV, "").split()]
    webhooks = [*alerts.webhooks, *environ.get(ALERT_WEBHOOKS_ENV, "").split()]
    return urls, webhooks


class RecordSettings(_Section):
    """The `[record]` table: record what the node receives and does into a session of a catalog (`run --record`
    turns it on). See docs/record-replay.md."""

    enabled: bool = False
    catalog: str = "recordings"
    flush_interval_secs: Annotated[float, msgspec.Meta(gt=0, le=60)] = 1.0
    max_queued: Annotated[int, msgspec.Meta(ge=1000)] = 200_000


class DataSettings(_Section):
    """One data set read from the catalog for a backtest.

    `kind = "bars"` needs `bar_types`; `kind = "quotes"`/`"trades"` need `instrument_id`. `strategies` limits the
    data set to runs that include one of the named strategies (their module names, e.g. "ema_cross").
    """

    kind: Literal["bars", "quotes", "trades"]
    instrument_id: str | None = None
    bar_types: list[str] = []
    strategies: list[str] = []


class VenueSettings(_Section):
    """A simulated venue for a backtest; `fee_model` picks one of IB's commission schedules."""

    name: str = "IDEALPRO"
    account_type: Literal["cash", "margin"] = "margin"
    oms_type: Literal["netting", "hedging"] = "netting"
    base_currency: str | None = "USD"
    starting_balances: list[str] = msgspec.field(default_factory=lambda: ["100000 USD"])
    leverage: PositiveFloat = 1.0
    fee_model: Literal["ib", "ib_fx", "ib_us_stock", "ib_us_future", "ib_crypto", "none"] = "ib"
    bar_execution: bool = True


class BacktestSection(_Section):
    """The `[backtest]` table: catalog, period, data and venues. Relative paths are taken from the current
    directory. `run` ignores it; `backtest` runs the same file's `[[strategies]]` with it."""

    catalog: str = "catalog"
    results: str = "results"
    start: str | None = None
    end: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "OFF"] = "ERROR"
    data: list[DataSettings] = []
    venues: list[VenueSettings] = msgspec.field(default_factory=lambda: [VenueSettings()])


class Settings(_Section):
    """A whole config file: one file serves `run` (live or `--sim`) and `backtest`."""

    node: NodeSettings = NodeSettings()
    gateway: GatewaySettings = GatewaySettings()
    instruments: InstrumentSettings = InstrumentSettings()
    strategies: list[StrategySettings] = []
    status: StatusSettings = StatusSettings()
    resilience: ResilienceSettings = ResilienceSettings()
    risk: RiskSettings = RiskSettings()
    alerts: AlertSettings = AlertSettings()
    record: RecordSettings = RecordSettings()
    backtest: BacktestSection | None = None


# Environment variable → (section, field, parser).
ENV_OVERRIDES: dict[str, tuple[str, str, type]] = {
    "IB_GATEWAY_HOST": ("gateway", "host", str),
    "IB_GATEWAY_PORT": ("gateway", "port", int),
    "IB_CLIENT_ID": ("gateway", "client_id", int),
    "TWS_ACCOUNT": ("gateway", "account", str),
    "NAUTILUS_NODE_STATUS_HOST": ("status", "host", str),
    "NAUTILUS_NODE_STATUS_PORT": ("status", "port", int),
}


def load_settings(path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, override from the environment and validate the config file at `path`."""
    environ = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    _apply_env_overrides(raw, environ)
    return parse_settings(raw, source=str(path))


def parse_settings(raw: dict[str, Any], source: str) -> Settings:
    """Validate an already-parsed config mapping; `source` names it in errors."""
    try:
        settings = msgspec.convert(raw, Settings, strict=True)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation_error(exc)}") from None
    _check_risk(settings.risk, source)
    _check_alerts(settings.alerts, source)
    return settings


def _check_alerts(alerts: AlertSettings, source: str) -> None:
    """Each URL must be usable; the error names its position only (a URL may hold a token)."""
    for i, url in enumerate(alerts.urls):
        import apprise  # only with URLs to check: a large import

        if not apprise.Apprise().add(url):
            raise ConfigError(f"{source}: alerts.urls[{i}]: not a URL apprise knows (see apprise's list of services)")
    for i, url in enumerate(alerts.webhooks):
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{source}: alerts.webhooks[{i}]: expected an http:// or https:// URL")


def _check_risk(risk: RiskSettings, source: str) -> None:
    try:
        ZoneInfo(risk.day_time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{source}: risk.day_time_zone: {risk.day_time_zone!r} is not a time zone (e.g. America/New_York)"
        ) from None
    for table in ("max_notional_per_order", "max_position"):
        for key in getattr(risk, table):
            if not re.fullmatch(r"[^.\s]+(?:\.[^.\s]+)*\.[^.\s]+", key):
                raise ConfigError(f'{source}: risk.{table}: {key!r} is not an instrument id (e.g. "EUR/USD.IDEALPRO")')


def describe_validation_error(exc: msgspec.ValidationError) -> str:
    """Turn msgspec's `Expected `int`, got `str` - at `$.gateway.port`` into `gateway.port: expected ...`."""
    message = str(exc)
    match = re.match(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", message)
    what, path = (match["what"], match["path"] or "") if match else (message, "")
    unknown = re.match(r"Object contains unknown field `(?P<key>[^`]+)`", what)
    if unknown:
        key_path = f"{path}.{unknown['key']}".lstrip(".")
        return f"{key_path}: unknown key"
    for pattern, hint in PATTERN_HINTS.items():
        if what.endswith(f"matching regex {pattern!r}"):
            what = hint
    what = what[0].lower() + what[1:] if what else what
    return f"{path.lstrip('.') or '(top level)'}: {what}"


def _apply_env_overrides(raw: dict[str, Any], environ: Mapping[str, str]) -> None:
    for name, (section, field, parser) in ENV_OVERRIDES.items():
        value = environ.get(name)
        if value is None or value == "":
            continue
        try:
            parsed = parser(value)
        except ValueError:
            raise ConfigError(f"environment variable {name}: expected an integer, got {value!r}") from None
        table = raw.setdefault(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{section}] must be a table to apply {name}")
        table[field] = parsed


def check_paper_only(gateway: GatewaySettings, live: bool, environ: Mapping[str, str] | None = None) -> None:
    """Refuse live ports and non-paper accounts unless the user opted in twice (flag and environment)."""
    environ = os.environ if environ is None else environ
    problems = live_trading_problems(gateway.port, gateway.account)
    if not problems:
        return
    if live and environ.get(ALLOW_LIVE_ENV) == "yes":
        return
    raise ConfigError(
        f"refusing live trading: {'; '.join(problems)}. "
        f"To trade a live account, pass --live and set {ALLOW_LIVE_ENV}=yes",
    )


def load_command_settings(path: Path | None, default: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings a command other than `run` reads its addresses from: the config at `path`; without one, the
    config at `default` when that file exists, else the defaults. The environment overrides apply either way."""
    if path is not None or default.exists():
        return load_settings(path or default, environ)
    raw: dict[str, Any] = {}
    _apply_env_overrides(raw, os.environ if environ is None else environ)
    return parse_settings(raw, source="environment")


def gateway_address(
    path: Path | None, default: Path, host: str | None, port: int | None, environ: Mapping[str, str] | None = None
) -> GatewaySettings:
    """The gateway a command connects to: `host` and `port` when given, else the config's (see
    `load_command_settings`), with the environment overriding the file as for `run`."""
    gateway = load_command_settings(path, default, environ).gateway
    return msgspec.structs.replace(
        gateway, host=gateway.host if host is None else host, port=gateway.port if port is None else port
    )
