"""The kill switch's persistence on a real NautilusTrader kernel (a `BacktestEngine`'s): a halt written beside the
status file is restored into the risk engine, an unreadable one halts too, and resume removes it."""

from __future__ import annotations

from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.enums import TradingState

from nautilus_node.status.kill_switch import HALT_FILE, KillSwitch

NOW = "2026-12-07T12:00:00.000Z"


def _engine() -> BacktestEngine:
    return BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(bypass_logging=True)))


def test_a_halt_survives_into_the_next_kernel_until_resumed(tmp_path):
    status = tmp_path / "status.json"
    first = _engine()
    try:
        outcome = KillSwitch(first.kernel, lambda: NOW, status).halt("cli", "kill switch")
        assert (outcome.cancelled_orders, outcome.closing_positions) == (0, 0)
        assert first.kernel.risk_engine.trading_state == TradingState.HALTED
    finally:
        first.dispose()
    second = _engine()
    try:
        switch = KillSwitch(second.kernel, lambda: NOW, status)
        assert second.kernel.risk_engine.trading_state == TradingState.ACTIVE
        halt = switch.restore()
        assert halt is not None and (halt.state, halt.by, halt.at) == ("HALTED", "cli", NOW)
        assert switch.trading_state == "HALTED"
        assert switch.resume() is True
        assert switch.trading_state == "ACTIVE" and not (tmp_path / HALT_FILE).exists()
        assert switch.resume() is False  # nothing left to lift
    finally:
        second.dispose()


def test_an_unreadable_halt_file_halts_and_says_why(tmp_path):
    (tmp_path / HALT_FILE).write_text("{not json")
    engine = _engine()
    try:
        halt = KillSwitch(engine.kernel, lambda: NOW, tmp_path / "status.json").restore()
        assert halt is not None and halt.state == "HALTED" and halt.by == "restart"
        assert halt.reason.startswith(f"unreadable {tmp_path / HALT_FILE}: ")
        assert engine.kernel.risk_engine.trading_state == TradingState.HALTED
    finally:
        engine.dispose()
