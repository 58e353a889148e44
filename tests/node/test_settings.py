"""The config file's schema: defaults, environment overrides, and errors that name file, key and types."""

from __future__ import annotations

from pathlib import Path

import pytest

from nautilus_node.ib.accounts import DEFAULT_PORT
from nautilus_node.live.node import build_node_config, resilience_policy
from nautilus_node.settings import (
    ConfigError,
    GatewaySettings,
    check_paper_only,
    gateway_address,
    load_command_settings,
    load_settings,
    parse_settings,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_shipped_paper_config_targets_the_local_paper_port() -> None:
    settings = load_settings(PROJECT_ROOT / "configs/paper.toml", environ={})
    assert (settings.gateway.host, settings.gateway.port) == ("127.0.0.1", 4002)
    assert settings.status.host == "127.0.0.1"
    assert settings.strategies, "the default config runs at least one strategy"


def test_environment_overrides_gateway_and_status_fields(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[gateway]\nport = 4002\n")
    environ = {
        "IB_GATEWAY_HOST": "ib-gateway",
        "IB_GATEWAY_PORT": "4004",
        "IB_CLIENT_ID": "7",
        "TWS_ACCOUNT": "DU555",
        "NAUTILUS_NODE_STATUS_HOST": "0.0.0.0",
        "NAUTILUS_NODE_STATUS_PORT": "8100",
    }
    settings = load_settings(path, environ=environ)
    gateway = settings.gateway
    assert (gateway.host, gateway.port, gateway.client_id, gateway.account) == ("ib-gateway", 4004, 7, "DU555")
    assert (settings.status.host, settings.status.port) == ("0.0.0.0", 8100)


def test_a_commands_gateway_address_is_the_option_else_the_environment_else_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[gateway]\nhost = 'ib-host'\nport = 4004\n")
    missing = tmp_path / "absent.toml"

    def address(*given: object, environ: dict[str, str]) -> tuple[str, int]:
        gateway = gateway_address(*given, environ=environ)  # type: ignore[arg-type]
        return gateway.host, gateway.port

    assert address(path, missing, None, None, environ={}) == ("ib-host", 4004)
    assert address(path, missing, None, None, environ={"IB_GATEWAY_PORT": "4010"}) == ("ib-host", 4010)
    assert address(path, missing, "h2", 4020, environ={"IB_GATEWAY_PORT": "4010"}) == ("h2", 4020)
    assert address(None, path, None, None, environ={}) == ("ib-host", 4004)  # the default file, when present


def test_without_a_config_file_a_command_takes_the_defaults_and_the_environment(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    settings = load_command_settings(None, missing, environ={"NAUTILUS_NODE_STATUS_PORT": "8111"})
    assert (settings.gateway.port, settings.status.port) == (DEFAULT_PORT, 8111)
    with pytest.raises(ConfigError, match=r"absent\.toml: config file not found"):
        load_command_settings(missing, missing, environ={})  # a file named on the command line must exist


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[gateway]\nport = 'x'\n", "c.toml: gateway.port: expected `int`, got `str`"),
        ("[gateway]\nprot = 4002\n", "c.toml: gateway.prot: unknown key"),
        ("[nodes]\n", "c.toml: nodes: unknown key"),
        ("[gateway]\nport = 70000\n", "c.toml: gateway.port: expected `int` <= 65535"),
        (
            "[[strategies]]\npath = 'x'\nconfig_path = 'a:B'\n",
            'strategies[0].path: expected "package.module:ClassName"',
        ),
        ("[[strategies]]\npath = 'a:B'\n", "strategies[0]: object missing required field `config_path`"),
        ("[gateway\n", "c.toml: not valid TOML"),
        ("[status]\nmarket_hours = 'fx'\n", "c.toml: status.market_hours: invalid enum value 'fx'"),
        ("[status]\nib_region = 'mars'\n", "c.toml: status.ib_region: invalid enum value 'mars'"),
    ],
)
def test_bad_config_names_file_key_and_what_was_expected(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_settings(path, environ={})
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_non_numeric_port_override_names_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("")
    with pytest.raises(ConfigError, match="IB_GATEWAY_PORT: expected an integer, got 'abc'"):
        load_settings(path, environ={"IB_GATEWAY_PORT": "abc"})


@pytest.mark.parametrize(
    ("gateway", "reason"),
    [
        (GatewaySettings(port=4001, account="DU1"), "port 4001 is a live-trading port"),
        (GatewaySettings(port=7496, account="DU1"), "port 7496 is a live-trading port"),
        (GatewaySettings(port=4002, account="U1234567"), "'U1234567' is not a paper account"),
    ],
)
def test_live_port_or_account_is_refused_without_double_opt_in(gateway: GatewaySettings, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        check_paper_only(gateway, live=False, environ={})
    with pytest.raises(ConfigError, match=reason):
        check_paper_only(gateway, live=True, environ={})
    with pytest.raises(ConfigError, match=reason):
        check_paper_only(gateway, live=False, environ={"NAUTILUS_NODE_ALLOW_LIVE": "yes"})
    check_paper_only(gateway, live=True, environ={"NAUTILUS_NODE_ALLOW_LIVE": "yes"})


def test_paper_port_and_account_need_no_opt_in() -> None:
    check_paper_only(GatewaySettings(port=4002, account="DU1234567"), live=False, environ={})


def test_feeds_are_judged_by_their_instruments_own_hours_unless_a_node_overrides_it(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[gateway]\naccount = 'DU1'\n")
    [status] = build_node_config(load_settings(path, environ={})).actors
    assert (status.config["market_hours"], status.config["ib_region"]) == ("instruments", "north_america")
    path.write_text("[gateway]\naccount = 'DU1'\n[status]\nmarket_hours = 'always'\nib_region = 'europe'\n")
    [status] = build_node_config(load_settings(path, environ={})).actors
    assert (status.config["market_hours"], status.config["ib_region"]) == ("always", "europe")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[risk]\nmax_order_submit_rate = '100/s'\n", 'c.toml: risk.max_order_submit_rate: expected "COUNT/HH:MM:SS"'),
        ("[risk]\nmax_daily_loss = -5\n", "c.toml: risk.max_daily_loss: expected `float` > 0.0"),
        ("[risk]\non_breach = 'panic'\n", "c.toml: risk.on_breach: invalid enum value 'panic'"),
        ("[risk]\nday_time_zone = 'Mars/Olympus'\n", "c.toml: risk.day_time_zone: 'Mars/Olympus' is not a time zone"),
        ("[risk.max_position]\nEURUSD = 1000\n", "c.toml: risk.max_position: 'EURUSD' is not an instrument id"),
        ("[risk]\nmax_open_orders = 0\n", "c.toml: risk.max_open_orders: expected `int` >= 1"),
    ],
)
def test_bad_risk_limits_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_settings(path, environ={})
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_risk_limits_reach_the_risk_engine_and_the_status_actor(tmp_path: Path) -> None:
    from nautilus_node.live.node import build_node_config

    path = tmp_path / "c.toml"
    path.write_text(
        "[risk]\nmax_order_submit_rate = '20/00:00:01'\nmax_daily_loss = 500\nmax_open_orders = 8\n"
        "on_breach = 'flatten'\n[risk.max_notional_per_order]\n'EUR/USD.IDEALPRO' = 1000000\n"
        "[risk.max_position]\n'EUR/USD.IDEALPRO' = 50000\n"
    )
    config = build_node_config(load_settings(path, environ={}))
    assert config.risk_engine.max_order_submit_rate == "20/00:00:01"
    assert config.risk_engine.max_notional_per_order == {"EUR/USD.IDEALPRO": 1_000_000}
    [status] = config.actors
    assert status.config["max_position"] == {"EUR/USD.IDEALPRO": 50_000.0}
    assert (status.config["max_daily_loss"], status.config["max_open_orders"]) == (500.0, 8)
    assert status.config["on_breach"] == "flatten"


def test_an_unknown_alert_url_names_its_position_and_never_its_text(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[alerts]\nurls = ['json://127.0.0.1:9/', 'nosuch://the-secret@host']\n")
    with pytest.raises(ConfigError) as error:
        load_settings(path, environ={})
    assert str(error.value) == f"{path}: alerts.urls[1]: not a URL apprise knows (see apprise's list of services)"
    path.write_text("[alerts]\nwebhooks = ['ftp://host/x']\n")
    with pytest.raises(ConfigError, match=r"alerts.webhooks\[0\]: expected an http:// or https:// URL$"):
        load_settings(path, environ={})


def test_alert_urls_in_the_environment_join_the_config_files(tmp_path: Path) -> None:
    from nautilus_node.settings import alert_destinations

    path = tmp_path / "c.toml"
    path.write_text("[alerts]\nurls = ['json://127.0.0.1:9/']\nwebhooks = ['http://127.0.0.1:9/a']\n")
    settings = load_settings(path, environ={})
    environ = {"NAUTILUS_NODE_ALERT_URLS": "ntfy://topic  tgram://bot/chat", "NAUTILUS_NODE_ALERT_WEBHOOKS": ""}
    urls, webhooks = alert_destinations(settings.alerts, environ)
    assert urls == ["json://127.0.0.1:9/", "ntfy://topic", "tgram://bot/chat"]
    assert webhooks == ["http://127.0.0.1:9/a"]


def test_option_chains_load_through_the_adapters_chain_builder_and_only_for_stocks(tmp_path: Path) -> None:
    from nautilus_node.validation import validate_settings

    path = tmp_path / "c.toml"
    path.write_text('[instruments]\nload = ["SPY.ARCA"]\noption_chains = ["SPY.ARCA"]\noption_chain_days = 12\n')
    [data_client] = build_node_config(load_settings(path, environ={})).data_clients.values()
    provider = data_client.instrument_provider
    [chain] = provider.load_contracts
    assert (chain.secType, chain.primaryExchange, chain.build_options_chain, chain.max_expiry_days) == (
        "STK",
        "ARCA",
        True,
        12,
    )
    path.write_text('[instruments]\noption_chains = ["EUR/USD.IDEALPRO"]\n')
    with pytest.raises(ConfigError) as error:
        validate_settings(load_settings(path, environ={}), "c.toml")
    assert str(error.value) == (
        "c.toml: instruments.option_chains[0]: 'EUR/USD.IDEALPRO' is not a stock; option chains load for stocks "
        "(e.g. SPY.ARCA)"
    )


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({}, False),
        ({"log_level": "DEBUG"}, True),
        ({"log_file_level": "DEBUG"}, True),
        ({"log_component_levels": {"ResilientInteractiveBrokersClient": "DEBUG"}}, True),
        ({"log_level": "INFO", "log_file_level": "WARNING"}, False),
    ],
)
def test_the_ib_clients_debug_line_per_message_is_built_only_when_something_logs_at_debug(node, expected):
    policy = resilience_policy(parse_settings({"node": node}, source="test.toml"))
    assert policy is not None and policy.log_messages is expected
