"""Settings → NautilusTrader `TradingNodeConfig` with NautilusTrader's own IB factories → `TradingNode`.

One gateway connection is shared: the data and execution clients use the same host, port and client id, so
NautilusTrader's IB factories hand both the same `InteractiveBrokersClient`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
from nautilus_trader.adapters.interactive_brokers.common import IB, IBContract
from nautilus_trader.adapters.interactive_brokers.config import (
    IBMarketDataTypeEnum,
    InteractiveBrokersDataClientConfig,
    InteractiveBrokersExecClientConfig,
    InteractiveBrokersInstrumentProviderConfig,
)
from nautilus_trader.adapters.interactive_brokers.factories import (
    InteractiveBrokersLiveDataClientFactory,
    InteractiveBrokersLiveExecClientFactory,
)
from nautilus_trader.adapters.interactive_brokers.parsing.instruments import instrument_id_to_ib_contract
from nautilus_trader.common.config import ImportableActorConfig, LoggingConfig
from nautilus_trader.config import LiveDataEngineConfig, LiveExecEngineConfig, LiveRiskEngineConfig, RoutingConfig
from nautilus_trader.live.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.trading.config import ImportableStrategyConfig

from nautilus_node.live import resilient_client
from nautilus_node.live.inline_engines import install_inline_engines
from nautilus_node.nautilus_internals import forget_cached_ib_clients
from nautilus_node.settings import Settings, alert_destinations
from nautilus_node.validation import importable_strategy


def startup_limit_secs(config: TradingNodeConfig) -> float:
    """How long NautilusTrader may take from start to running strategies: connect, reconcile, portfolio."""
    return config.timeout_connection + config.timeout_reconciliation + config.timeout_portfolio + 5


def status_actor_config(settings: Settings, startup_grace_secs: float) -> ImportableActorConfig:
    """The status actor, configured from the `[status]`, `[gateway]`, `[risk]` and `[alerts]` sections (and the
    alert URLs in the environment)."""
    status, gateway, risk, alerts = settings.status, settings.gateway, settings.risk, settings.alerts
    alert_urls, alert_webhooks = alert_destinations(alerts)
    return ImportableActorConfig(
        actor_path="nautilus_node.status.actor:StatusActor",
        config_path="nautilus_node.status.config:StatusActorConfig",
        config={
            "http_host": status.host,
            "http_port": status.port,
            "snapshot_path": str(Path(status.file)),
            "stale_after_secs": status.stale_after_secs,
            "required_feeds": list(status.required_feeds),
            "market_hours": status.market_hours,
            "ib_region": status.ib_region,
            "startup_grace_secs": startup_grace_secs,
            "gateway_host": gateway.host,
            "gateway_port": gateway.port,
            "client_id": gateway.client_id,
            "account_id": gateway.account,
            "max_position": dict(risk.max_position),
            "max_daily_loss": risk.max_daily_loss,
            "max_open_orders": risk.max_open_orders,
            "on_breach": risk.on_breach,
            "day_time_zone": risk.day_time_zone,
            "alert_urls": alert_urls,
            "alert_webhooks": alert_webhooks,
            "alert_grace_secs": alerts.grace_secs,
            "alert_dedup_secs": alerts.dedup_secs,
            "alert_rate_per_minute": alerts.rate_per_minute,
            "alert_retries": alerts.retries,
            "alert_timeout_secs": alerts.timeout_secs,
            "on_stop": settings.node.on_stop,
        },
    )


def risk_engine_config(settings: Settings) -> LiveRiskEngineConfig:
    """NautilusTrader's own limits from `[risk]`: order submit and modify rates, notional per order."""
    risk = settings.risk
    return LiveRiskEngineConfig(
        max_order_submit_rate=risk.max_order_submit_rate,
        max_order_modify_rate=risk.max_order_modify_rate,
        max_notional_per_order=dict(risk.max_notional_per_order),
    )


def exec_engine_config(settings: Settings) -> LiveExecEngineConfig:
    """Reconciliation at start; with resilience on, NautilusTrader's continuous open-order and position checks."""
    resilience = settings.resilience
    if not resilience.enabled:
        return LiveExecEngineConfig(reconciliation=True, reconciliation_lookback_mins=1440)
    return LiveExecEngineConfig(
        reconciliation=True,
        reconciliation_lookback_mins=1440,
        open_check_interval_secs=resilience.open_check_interval_secs,
        open_check_open_only=True,
        position_check_interval_secs=resilience.position_check_interval_secs,
    )


def resilience_policy(settings: Settings) -> resilient_client.ResiliencePolicy | None:
    """The resilient IB client's policy from `[resilience]`, or None when it is turned off."""
    resilience = settings.resilience
    if not resilience.enabled:
        return None
    return resilient_client.ResiliencePolicy(
        reconnect_backoff_max_secs=resilience.reconnect_backoff_max_secs,
        farm_wait_secs=resilience.farm_wait_secs,
        connectivity_restore_secs=resilience.connectivity_restore_secs,
        market_hours=settings.status.market_hours,
        inline_reader=resilience.inline_reader,
        inline_engines=resilience.inline_engines,
        session_probe_secs=resilience.session_probe_secs,
        log_messages=logs_debug(settings),
        liveness=resilient_client.LivenessPolicy(
            quote_silence_secs=resilience.quote_silence_secs,
            bar_grace_secs=resilience.bar_grace_secs,
            max_tries=resilience.max_resubscribe_tries,
        ),
    )


def logs_debug(settings: Settings) -> bool:
    """Whether the node logs anything at DEBUG (console, file or a component)."""
    node = settings.node
    return "DEBUG" in (node.log_level, node.log_file_level, *node.log_component_levels.values())


# How long stopped strategies' last orders are given to settle before the clients disconnect: flattening
# waits for closing fills (and closes what an order still in flight at stop filled).
POST_STOP_SECS = {"keep": 2.0, "cancel": 2.0, "flatten": 4.0}


def manual_orders_config(on_stop: str) -> ImportableStrategyConfig:
    """The manual desk, doing `on_stop` (cancel, flatten or keep) with its orders and positions at stop."""
    return ImportableStrategyConfig(
        strategy_path="nautilus_node.status.manual_orders:ManualOrders",
        config_path="nautilus_node.status.manual_orders:ManualOrdersConfig",
        config={"on_stop": on_stop},
    )


def option_chain_contract(underlying_id: str, days: int) -> IBContract:
    """The stock ``underlying_id`` names, asking the adapter to load its options expiring within ``days``."""
    iid = InstrumentId.from_str(underlying_id)
    stock = instrument_id_to_ib_contract(iid, iid.venue.value)
    return msgspec.structs.replace(stock, build_options_chain=True, min_expiry_days=0, max_expiry_days=days)


def build_node_config(
    settings: Settings,
    extra_strategies: list[ImportableStrategyConfig] | None = None,
    recorder: ImportableActorConfig | None = None,
) -> TradingNodeConfig:
    """The complete `TradingNodeConfig` for these settings: IB data + execution, strategies, status actor, and
    the `recorder` actor when the run is recorded."""
    gateway = settings.gateway
    provider = InteractiveBrokersInstrumentProviderConfig(
        load_ids=frozenset(InstrumentId.from_str(value) for value in settings.instruments.load),
        load_contracts=frozenset(
            option_chain_contract(value, settings.instruments.option_chain_days)
            for value in settings.instruments.option_chains
        )
        or None,
    )
    connection = {
        "ibg_host": gateway.host,
        "ibg_port": gateway.port,
        "ibg_client_id": gateway.client_id,
        "instrument_provider": provider,
        "connection_timeout": int(gateway.startup_timeout_secs),
        "request_timeout_secs": gateway.request_timeout_secs,
    }
    strategies = [importable_strategy(s) for s in settings.strategies] + list(extra_strategies or [])
    config = TradingNodeConfig(
        trader_id=settings.node.trader_id,
        logging=LoggingConfig(
            log_level=settings.node.log_level,
            log_level_file=settings.node.log_file_level,
            log_directory=settings.node.log_directory,
            log_colors=False,
            log_component_levels=dict(settings.node.log_component_levels) or None,
        ),
        data_engine=LiveDataEngineConfig(),
        exec_engine=exec_engine_config(settings),
        risk_engine=risk_engine_config(settings),
        data_clients={
            IB: InteractiveBrokersDataClientConfig(
                **connection,
                market_data_type=getattr(IBMarketDataTypeEnum, gateway.market_data_type),
                use_regular_trading_hours=False,
            ),
        },
        exec_clients={
            IB: InteractiveBrokersExecClientConfig(
                **connection,
                account_id=gateway.account,
                routing=RoutingConfig(default=True),
            ),
        },
        strategies=strategies,
        timeout_connection=gateway.startup_timeout_secs,
        timeout_reconciliation=30.0,
        timeout_portfolio=10.0,
        timeout_disconnection=5.0,
        timeout_post_stop=POST_STOP_SECS[settings.node.on_stop],
        actors=[recorder] if recorder is not None else [],
    )
    if not settings.status.enabled:
        return config
    actor = status_actor_config(settings, startup_grace_secs=startup_limit_secs(config))
    # The status page's and the control API's orders go through the node's own manual order desk.
    return msgspec.structs.replace(
        config,
        actors=[*config.actors, actor],
        strategies=[*config.strategies, manual_orders_config(settings.node.on_stop)],
    )


def create_node(
    config: TradingNodeConfig,
    loop: asyncio.AbstractEventLoop | None = None,
    resilience: resilient_client.ResiliencePolicy | None = None,
) -> TradingNode:
    """A `TradingNode` with NautilusTrader's IB factories registered (not yet built); with a `resilience`
    policy the factories build the resilient IB client (and, with its `inline_engines`, the engines handle a
    message at once when nothing is queued ahead of it: `inline_engines.py`), without one NautilusTrader's plain
    client and engines."""
    forget_cached_ib_clients()
    if resilience is None:
        resilient_client.uninstall()
    else:
        resilient_client.install(resilience)
    node = TradingNode(config=config, loop=loop)
    if resilience is not None and resilience.inline_engines:
        install_inline_engines(node.kernel)
    node.add_data_client_factory(IB, InteractiveBrokersLiveDataClientFactory)
    node.add_exec_client_factory(IB, InteractiveBrokersLiveExecClientFactory)
    return node


def dispose_node(node: TradingNode) -> None:
    """Dispose of a node whose `run()` has returned, first letting its leftover tasks finish cancelling
    (NautilusTrader's `dispose()` closes a stopped loop with them still pending). Then NautilusTrader's IB
    factories are reset: their cached client forgotten (it would hand the next node this node's connection) and
    the plain client class back in place."""
    loop = node.get_event_loop()
    if loop is not None and not loop.is_closed() and not loop.is_running():
        node.kernel.cancel_all_tasks()
    node.dispose()
    forget_cached_ib_clients()
    resilient_client.uninstall()
