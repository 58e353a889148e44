"""The kill switch: stop all trading at once through NautilusTrader's own risk engine.

A halt cancels every open order of every strategy (`Strategy.cancel_order`), optionally closes every
position with market orders (`Strategy.close_all_positions`), and sets the risk engine's trading state to
`HALTED` (or `REDUCING`: orders that reduce a position only), so the engine denies each strategy's next order
until `resume` sets it `ACTIVE` again. NautilusTrader's live risk engine takes commands from a queue, so a
flattening halt passes through `REDUCING` (only orders that reduce a position go through) while its closing
orders are on their way, and turns `HALTED` once each of them is closed (filled, rejected, denied).

A halt is written to `halt.json` beside the status file and restored when the node starts, until resumed.
Every method runs on the node's event loop.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import msgspec
from nautilus_trader.model.enums import TradingState
from nautilus_trader.system.kernel import NautilusKernel

HALT_FILE = "halt.json"
FLATTEN_TAG = "KILL-SWITCH"
HaltState = Literal["HALTED", "REDUCING"]


class Halt(msgspec.Struct, frozen=True, kw_only=True):
    """A halt in force: the trading state, who or what set it, why and when (ISO 8601 UTC)."""

    state: HaltState
    by: str
    reason: str
    at: str
    flatten: bool = False


class HaltOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What a halt did: the halt, how many orders it cancelled and how many positions it is closing."""

    halt: Halt
    cancelled_orders: int
    closing_positions: int


class KillSwitch:
    """Halts and resumes a node's trading; persists the halt in `halt.json` beside the status file."""

    def __init__(
        self,
        kernel: NautilusKernel,
        now_iso: Callable[[], str],
        snapshot_path: Path | None,
        on_change: Callable[[Halt | None], None] | None = None,
    ) -> None:
        self._kernel = kernel
        self._now_iso = now_iso
        self._path = snapshot_path.parent / HALT_FILE if snapshot_path is not None else None
        self._on_change = on_change
        self._halt: Halt | None = None
        self._flattening = False

    @property
    def halt_in_force(self) -> Halt | None:
        return self._halt

    @property
    def trading_state(self) -> str:
        """The risk engine's trading state now: ACTIVE, REDUCING or HALTED."""
        return TradingState(self._kernel.risk_engine.trading_state).name

    def restore(self) -> Halt | None:
        """Put back a halt persisted by an earlier run of this node (an unreadable file halts too)."""
        if self._path is None or not self._path.exists():
            return None
        try:
            halt = msgspec.json.decode(self._path.read_bytes(), type=Halt)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            halt = Halt(state="HALTED", by="restart", reason=f"unreadable {self._path}: {exc}", at=self._now_iso())
        self._set_state(halt.state)
        self._halt = halt
        self._changed()
        return halt

    def halt(self, by: str, reason: str, flatten: bool = False, state: HaltState = "HALTED") -> HaltOutcome:
        """Cancel every open order, close every position when `flatten`, then set the trading state."""
        cache = self._kernel.cache
        cancelled = closing = 0
        for strategy in self._kernel.trader.strategies():
            open_orders = [
                *cache.orders_open(strategy_id=strategy.id),
                *cache.orders_inflight(strategy_id=strategy.id),
                *cache.orders_emulated(strategy_id=strategy.id),
            ]
            # One by one: NautilusTrader's batch cancel takes one instrument's orders and no emulated ones.
            for order in {order.client_order_id: order for order in open_orders}.values():
                strategy.cancel_order(order)
                cancelled += 1
            if flatten:
                positions = cache.positions_open(strategy_id=strategy.id)
                closing += len(positions)
                for instrument_id in sorted({position.instrument_id for position in positions}, key=str):
                    strategy.close_all_positions(instrument_id, tags=[FLATTEN_TAG])
        halt = Halt(state=state, by=by, reason=reason, at=self._now_iso(), flatten=flatten)
        self._flattening = closing > 0
        self._set_state("REDUCING" if self._flattening else state)
        self._halt = halt
        self._persist(halt)
        self._changed()
        return HaltOutcome(halt=halt, cancelled_orders=cancelled, closing_positions=closing)

    def on_order_event(self) -> None:
        """After an order event: a flattening halt turns from REDUCING to its state once its closes are done."""
        if not self._flattening or self._halt is None:
            return
        if any(not order.is_closed for order in self._kernel.cache.orders() if FLATTEN_TAG in (order.tags or ())):
            return
        self._flattening = False
        self._set_state(self._halt.state)
        self._changed()

    def resume(self) -> bool:
        """Let the strategies trade again; whether a halt was lifted."""
        lifted = self._halt is not None or self.trading_state != "ACTIVE"
        self._set_state("ACTIVE")
        self._halt = None
        self._flattening = False
        if self._path is not None:
            self._path.unlink(missing_ok=True)
        self._changed()
        return lifted

    def _set_state(self, name: str) -> None:
        engine = self._kernel.risk_engine
        state = TradingState[name]
        if engine.trading_state != state:
            engine.set_trading_state(state)

    def _persist(self, halt: Halt) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_suffix(".tmp")
        temporary.write_bytes(msgspec.json.encode(halt))
        os.replace(temporary, self._path)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self._halt)
