"""Checks that need imports, not a gateway: every strategy loads and accepts its config; ids parse.
And the one conversion of a config-file strategy table into NautilusTrader's `ImportableStrategyConfig`."""

from __future__ import annotations

import importlib

import msgspec
from nautilus_trader.trading.config import ImportableStrategyConfig
from nautilus_trader.trading.strategy import Strategy

from nautilus_node.ib.instrument_ids import STOCK_VENUES, InstrumentIdError, check_instrument_id
from nautilus_node.settings import ConfigError, Settings, StrategySettings, describe_validation_error


def importable_strategy(strategy: StrategySettings) -> ImportableStrategyConfig:
    """A config-file strategy table as NautilusTrader's `ImportableStrategyConfig`."""
    return ImportableStrategyConfig(
        strategy_path=strategy.path,
        config_path=strategy.config_path,
        config=dict(strategy.config),
    )


def validate_settings(settings: Settings, source: str) -> list[Strategy]:
    """Import and instantiate every strategy, check every instrument id against IB's rules (the loaded
    instruments and each strategy's `instrument_id`); return the strategies."""
    known = settings.instruments.load
    for index, value in enumerate(known):
        _check_id(value, f"{source}: instruments.load[{index}]", known)
    for index, value in enumerate(settings.instruments.option_chains):
        where = f"{source}: instruments.option_chains[{index}]"
        _check_id(value, where, known)
        if value.rpartition(".")[2] not in STOCK_VENUES:
            raise ConfigError(f"{where}: {value!r} is not a stock; option chains load for stocks (e.g. SPY.ARCA)")
    for index, strategy in enumerate(settings.strategies):
        value = strategy.config.get("instrument_id")
        if isinstance(value, str):
            _check_id(value, f"{source}: strategies[{index}].config.instrument_id", known)
    return [
        instantiate_strategy(strategy, f"{source}: strategies[{index}]")
        for index, strategy in enumerate(settings.strategies)
    ]


def _check_id(value: str, where: str, known: list[str]) -> None:
    try:
        check_instrument_id(value, known, where=where)
    except InstrumentIdError as exc:
        raise ConfigError(str(exc)) from None


def instantiate_strategy(strategy: StrategySettings, where: str) -> Strategy:
    """Build the strategy from its table exactly as NautilusTrader's `StrategyFactory` would."""
    strategy_cls = resolve(strategy.path, f"{where}.path")
    config_cls = resolve(strategy.config_path, f"{where}.config_path")
    if not (isinstance(strategy_cls, type) and issubclass(strategy_cls, Strategy)):
        raise ConfigError(f"{where}.path: {strategy.path} is not a NautilusTrader Strategy")
    try:
        config = config_cls.parse(msgspec.json.encode(strategy.config))
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{where}.config: {describe_validation_error(exc)}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}.config: {exc}") from None
    try:
        return strategy_cls(config=config)
    except Exception as exc:
        raise ConfigError(f"{where}: {strategy.path} rejected its config: {exc}") from None


def resolve(path: str, where: str) -> object:
    """`package.module:Name` → the object, or a one-line error naming what is missing."""
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"{where}: module {exc.name!r} not found (from {path!r})") from None
    except Exception as exc:
        raise ConfigError(f"{where}: importing {module_name!r} failed: {type(exc).__name__}: {exc}") from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ConfigError(f"{where}: module {module_name!r} has no {attribute!r}") from None
