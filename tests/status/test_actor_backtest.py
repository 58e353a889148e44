"""The actor inside a real NautilusTrader node (a BacktestEngine over quotes): the facts it reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from nautilus_trader.test_kit.providers import TestInstrumentProvider

from nautilus_node.status.actor import StatusActor
from nautilus_node.status.snapshot import decode, parse_iso
from tests.status.conftest import backtest_engine, eurusd, http_json, quotes, record_snapshots, status_config
from tests.status.strategies import RestingOrders, RestingOrdersConfig


def test_snapshot_shows_the_account_position_fill_feed_and_strategy_the_node_holds(run_backtest):
    _, snapshots = run_backtest(count=600, required_feeds=("EUR/USD.SIM",))
    snapshot = [s for s in snapshots if s.node.state == "running"][-1]
    [account] = snapshot.accounts
    assert account.account_id == "SIM-001"
    assert [b.currency for b in account.balances] == ["USD"]
    assert account.margins and account.margins[0].instrument_id == "EUR/USD.SIM"
    [position] = snapshot.positions
    assert (position.instrument_id, position.side, position.quantity) == ("EUR/USD.SIM", "LONG", "10000")
    assert position.avg_px_open == "1.10010"
    last_bid = 1.1 + 0.0001 * ((snapshot.feeds[0].count - 1) % 7)  # the walk `quotes` generates
    assert position.unrealized_pnl == pytest.approx((last_bid - 1.1001) * 10_000, abs=0.005)
    assert position.pnl_currency == "USD"
    [fill] = snapshot.fills
    assert (fill.side, fill.quantity, fill.price) == ("BUY", "10000", "1.10010")
    assert isinstance(fill.commission, float) and fill.commission_currency == "USD"
    assert isinstance(account.balances[0].total, float) and account.balances[0].total > 0
    [feed] = snapshot.feeds
    now_ns = round(parse_iso(snapshot.generated_at) * 1e9)
    arrived = sum(1 for q in quotes(eurusd().id, 600) if q.ts_init <= now_ns)
    assert (feed.name, feed.required, feed.state, feed.count) == ("EUR/USD.SIM", True, "fresh", arrived)
    assert feed.rate_per_sec == 2.0
    assert [(s.strategy_id, s.state) for s in snapshot.strategies] == [("BuyOnce-000", "RUNNING")]
    assert snapshots[0].positions == [] and snapshots[0].fills == []  # nothing before the first quote


def test_without_an_ib_client_the_gateway_is_reported_disconnected_not_connected(run_backtest):
    actor, _ = run_backtest(count=20)
    snapshot = actor.build_snapshot()
    assert snapshot.gateway.state == "disconnected"
    assert snapshot.gateway.server_version is None
    assert not snapshot.health.healthy
    assert snapshot.health.reasons[0].startswith("gateway (no IB client found) disconnected since ")


def test_an_unreported_configured_account_is_a_warning_not_a_balance(run_backtest):
    actor, _ = run_backtest(count=20, account_id="DU7925702")
    snapshot = actor.build_snapshot()
    assert "account DU7925702 not reported by the gateway" in snapshot.warnings
    assert all("DU7925702" not in a.account_id for a in snapshot.accounts)


def test_http_and_file_carry_the_snapshot_built_on_the_timer(run_backtest, tmp_path: Path):
    actor, _ = run_backtest(count=40, required_feeds=("EUR/USD.SIM",))
    host, port = actor.http_address
    status, body = http_json(f"http://{host}:{port}/status")
    assert status == 200
    on_file = decode((tmp_path / "status.json").read_bytes())
    assert body["generated_at"] == on_file.generated_at
    assert on_file.feeds[0].count == 40  # a required feed is observed from registration: every quote counted
    assert on_file.node.state == "stopped"  # the engine stopped the node at the end of its data


def test_the_feed_goes_stale_in_the_timeline_when_quotes_stop_while_the_node_runs(tmp_path: Path):
    engine = backtest_engine(with_strategy=False)
    gbpusd = TestInstrumentProvider.default_fx_ccy("GBP/USD", eurusd().id.venue)
    engine.add_instrument(gbpusd)
    actor = StatusActor(status_config(tmp_path, stale_after_secs=10.0, required_feeds=("EUR/USD.SIM",), http_port=None))
    engine.add_actor(actor)
    engine.add_data(quotes(eurusd().id, 20))  # 10 s of EUR/USD
    engine.add_data(quotes(gbpusd.id, 120))  # 60 s of GBP/USD keeps the clock moving
    snapshots = record_snapshots(actor)
    engine.run()
    actor.close()
    engine.dispose()
    timeline = [(s.node.uptime_secs, next(f.state for f in s.feeds if f.name == "EUR/USD.SIM")) for s in snapshots]
    # The last EUR/USD quote arrives at 9.5 s; with a 10 s threshold the first snapshot after 19.5 s says stale.
    assert timeline[0] == (0.0, "waiting")
    assert max(t for t, state in timeline if state == "fresh") == 19.0
    assert min(t for t, state in timeline if state == "stale") == 20.0
    assert [state for t, state in timeline if t >= 20.0] == ["stale"] * len([t for t, _ in timeline if t >= 20.0])


def test_open_orders_show_their_limit_and_trigger_prices_and_time_in_force(tmp_path: Path):
    engine = backtest_engine(with_strategy=False)
    engine.add_strategy(RestingOrders(RestingOrdersConfig(instrument_id=str(eurusd().id))))
    actor = StatusActor(status_config(tmp_path, http_port=None))
    engine.add_actor(actor)
    engine.add_data(quotes(eurusd().id, 20))
    engine.run()
    snapshot = actor.build_snapshot()
    actor.close()
    engine.dispose()
    assert [(o.side, o.type, o.price, o.trigger_price, o.time_in_force, o.status) for o in snapshot.orders] == [
        ("BUY", "LIMIT", "1.00000", None, "GTC", "ACCEPTED"),
        ("SELL", "STOP_LIMIT", "0.99000", "0.99500", "DAY", "ACCEPTED"),
    ]
