"""Helpers for the status tests: a real backtest node with the actor, HTTP reads, and Debian's chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import InstrumentId, TraderId, Venue
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.test_kit.providers import TestInstrumentProvider

from nautilus_node.status.actor import StatusActor
from nautilus_node.status.board import StatusBoard
from nautilus_node.status.config import StatusActorConfig
from nautilus_node.status.server import StatusServer
from nautilus_node.status.snapshot import (
    Account,
    Balance,
    CodeEvent,
    Feed,
    Fill,
    Gateway,
    Health,
    Margin,
    Node,
    Order,
    Position,
    Snapshot,
)
from nautilus_node.status.snapshot import (
    Strategy as StrategyView,
)
from tests.status.strategies import BuyOnce, BuyOnceConfig

SIM = Venue("SIM")
CHROMIUM = Path("/usr/bin/chromium")
START_NS = 1_700_000_000_000_000_000  # 2023-11-14 22:13:20 UTC, a Tuesday: the FX market is open


def eurusd() -> CurrencyPair:
    return TestInstrumentProvider.default_fx_ccy("EUR/USD", SIM)


def quotes(instrument_id: InstrumentId, count: int, start_ns: int = START_NS, step_ns: int = 500_000_000):
    """`count` EUR/USD quotes, one every `step_ns`, walking a few pips up and down."""
    result = []
    for i in range(count):
        bid = 1.1 + 0.0001 * (i % 7)
        ts = start_ns + i * step_ns
        size = Quantity.from_int(1_000_000)
        result.append(QuoteTick(instrument_id, Price(bid, 5), Price(bid + 0.0001, 5), size, size, ts, ts))
    return result


def backtest_engine(with_strategy: bool = True) -> BacktestEngine:
    """A quiet BacktestEngine with a SIM margin venue, EUR/USD and (optionally) `BuyOnce`."""
    engine = BacktestEngine(
        BacktestEngineConfig(trader_id=TraderId("NODE-001"), logging=LoggingConfig(bypass_logging=True)),
    )
    engine.add_venue(
        SIM,
        OmsType.NETTING,
        AccountType.MARGIN,
        [Money(100_000, USD)],
        base_currency=USD,
        default_leverage=Decimal(50),
    )
    instrument = eurusd()
    engine.add_instrument(instrument)
    if with_strategy:
        engine.add_strategy(BuyOnce(BuyOnceConfig(instrument_id=str(instrument.id))))
    return engine


def status_config(tmp_path: Path, **overrides: object) -> StatusActorConfig:
    """A status config serving on a free port and writing into `tmp_path`."""
    values: dict[str, object] = {
        "http_port": 0,
        "snapshot_path": str(tmp_path / "status.json"),
        "market_hours": "always",
    }
    values.update(overrides)
    return StatusActorConfig(**values)  # type: ignore[arg-type]


def record_snapshots(actor: StatusActor) -> list[Snapshot]:
    """Every snapshot the actor publishes from now on, in order."""
    recorded: list[Snapshot] = []
    publish = actor.board.publish

    def record(snapshot: Snapshot, update=None) -> bytes:
        recorded.append(snapshot)
        return publish(snapshot, update)

    actor.board.publish = record  # type: ignore[method-assign]
    return recorded


@pytest.fixture
def run_backtest(tmp_path: Path):
    """Run a backtest with the status actor over `count` quotes: (actor, its snapshots); HTTP still serving."""
    created: list[tuple[BacktestEngine, StatusActor]] = []

    def run(count: int = 600, with_strategy: bool = True, **overrides: object) -> tuple[StatusActor, list[Snapshot]]:
        engine = backtest_engine(with_strategy)
        actor = StatusActor(status_config(tmp_path, **overrides))
        engine.add_actor(actor)
        engine.add_data(quotes(eurusd().id, count))
        snapshots = record_snapshots(actor)
        engine.run()
        created.append((engine, actor))
        return actor, snapshots

    yield run
    for engine, actor in created:
        actor.close()
        engine.dispose()


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str, bytes]:
    """GET `url`: (status code, content type, body), for error statuses too."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def http_json(url: str) -> tuple[int, dict]:
    status, _, body = http_get(url)
    return status, json.loads(body)


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(chromium: Path):
    """Debian's chromium driven by Playwright (its own browser download is never used). Per module: while
    Playwright's sync API runs, this thread's asyncio loop counts as running, so nodes cannot be built here."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh browser page (its own context: no storage shared between tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1800})
    opened = context.new_page()
    yield opened
    context.close()


def ensure_chromium() -> Path:
    """Debian's chromium, installed with apt-get when missing and running as root (as the project's setup)."""
    if not CHROMIUM.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
        if subprocess.run(install, env=env, capture_output=True, timeout=900, check=False).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=900, check=False)
            subprocess.run(install, env=env, capture_output=True, timeout=900, check=False)
    if not CHROMIUM.exists():
        pytest.fail("chromium is not installed: run `apt-get install -y chromium` as root")
    return CHROMIUM


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium (see `ensure_chromium`)."""
    return ensure_chromium()


def sample_snapshot(generated_at: str = "2026-11-25T13:00:00.000Z", **overrides: object) -> Snapshot:
    """A healthy snapshot of a node with one account, position, fill, feed and strategy; parts overridable."""
    feed = Feed(
        topic="data.quotes.IDEALPRO.EUR/USD",
        name="EUR/USD.IDEALPRO",
        data_type="quotes",
        required=True,
        state="fresh",
        count=120,
        rate_per_sec=4.0,
        last_event_at="2026-11-25T12:59:59.800Z",
        age_secs=0.2,
    )
    values: dict[str, object] = {
        "generated_at": generated_at,
        "interval_secs": 1.0,
        "node": Node(
            trader_id="NODE-001",
            state="running",
            started_at="2026-11-25T12:00:00.000Z",
            uptime_secs=3600.0,
            market_open=True,
        ),
        "gateway": Gateway(
            host="127.0.0.1",
            port=4002,
            client_id=1,
            state="connected",
            since="2026-11-25T12:00:01.000Z",
            server_version=200,
            connection_time="20261125 12:00:01 UTC",
            market_data_farm="ok",
            codes=[CodeEvent(code=2104, at="2026-11-25T12:00:01.100Z", message="Market data farm connection is OK")],
        ),
        "account_id": "DU1234567",
        "accounts": [
            Account(
                account_id="IB-DU1234567",
                reported_at="2026-11-25T12:00:02.000Z",
                balances=[Balance(currency="USD", total=1_000_000.0, free=990_000.0, locked=10_000.0)],
                margins=[Margin(currency="USD", initial=10_000.0, maintenance=8_000.0)],
            ),
        ],
        "positions": [
            Position(
                position_id="EUR/USD.IDEALPRO-EMACross-000",
                instrument_id="EUR/USD.IDEALPRO",
                strategy_id="EMACross-000",
                side="LONG",
                quantity="20000",
                avg_px_open="1.07321",
                unrealized_pnl=12.4,
                realized_pnl=-2.0,
                pnl_currency="USD",
                opened_at="2026-11-25T12:30:00.000Z",
            ),
        ],
        "orders": [
            Order(
                client_order_id="O-2",
                venue_order_id="1002",
                instrument_id="EUR/USD.IDEALPRO",
                strategy_id="EMACross-000",
                side="SELL",
                type="STOP_LIMIT",
                quantity="20000",
                filled_qty="0",
                price="1.06900",
                trigger_price="1.07000",
                time_in_force="GTC",
                status="ACCEPTED",
                updated_at="2026-11-25T12:30:00.000Z",
            ),
        ],
        "fills": [
            Fill(
                client_order_id="O-1",
                venue_order_id="1001",
                trade_id="0001",
                instrument_id="EUR/USD.IDEALPRO",
                side="BUY",
                quantity="20000",
                price="1.07321",
                commission=2.0,
                commission_currency="USD",
                at="2026-11-25T12:30:00.000Z",
            ),
        ],
        "feeds": [feed],
        "strategies": [StrategyView(strategy_id="EMACross-000", state="RUNNING")],
        "warnings": [],
        "health": Health(healthy=True, reasons=[]),
    }
    values.update(overrides)
    return Snapshot(**values)  # type: ignore[arg-type]


@pytest.fixture
def served():
    """A status HTTP server on a free local port over an empty board: (board, base URL)."""
    board = StatusBoard()
    server = StatusServer(board, "127.0.0.1", 0)
    server.start()
    host, port = server.address
    yield board, f"http://{host}:{port}"
    server.stop()
