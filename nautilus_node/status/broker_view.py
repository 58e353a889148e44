"""The broker's own view of the account's positions, beside the strategies'.

Through NautilusTrader's IB client (no second connection) the node subscribes to IB's position updates
(`reqPositions`: every position at once, then each change, whichever client traded). Per instrument the view
shows IB's net position, the strategies' positions by name and their sum; a difference that lasts longer
than `settle_secs` (a fill reaches the two views a moment apart) is a mismatch: a trade placed in TWS or by
another client, or an order the node lost track of. Handlers run on the node's loop. NautilusTrader's IB client
keeps one handler per event name: the node's exec client uses `positionUpdate-<account>` only with
`track_option_exercise_from_position_update`, which this node does not set.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from nautilus_trader.adapters.interactive_brokers.client import InteractiveBrokersClient
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.system.kernel import NautilusKernel

from nautilus_node.status.snapshot import BrokerPosition

SETTLE_SECS = 2.0


class BrokerPositions:
    """IB's positions for one account, compared with the strategies' per instrument."""

    def __init__(
        self,
        kernel: NautilusKernel,
        now_iso: Callable[[], str],
        on_mismatch: Callable[[str, bool, str], None] | None = None,
        settle_secs: float = SETTLE_SECS,
    ) -> None:
        self._kernel = kernel
        self._now_iso = now_iso
        self._on_mismatch = on_mismatch
        self._settle = settle_secs
        self._client: InteractiveBrokersClient | None = None
        self._broker: dict[str, Decimal] = {}  # instrument id (or "conId N") -> IB's net position
        self._by_con_id: dict[int, InstrumentId] = {}
        self._differs_since: dict[str, tuple[float, str]] = {}  # monotonic seconds, ISO time
        self._flagged: set[str] = set()

    @property
    def watching(self) -> bool:
        return self._client is not None

    def watch(self, client: InteractiveBrokersClient, account: str) -> None:
        """Subscribe to IB's position updates for `account` through the node's own IB client."""
        client.subscribe_event(f"positionUpdate-{account}", self._on_position)
        client.subscribe_positions()
        self._client = client

    def _on_position(self, position: object) -> None:
        contract = position.contract  # type: ignore[attr-defined]
        key = self._instrument_key(contract.conId, getattr(contract, "localSymbol", "") or contract.symbol)
        self._broker[key] = Decimal(str(position.quantity))  # type: ignore[attr-defined]

    def _instrument_key(self, con_id: int, symbol: str) -> str:
        if con_id not in self._by_con_id:
            for instrument in self._kernel.cache.instruments():
                known = (instrument.info or {}).get("contract", {}).get("conId")
                if known is not None:
                    self._by_con_id[int(known)] = instrument.id
        instrument_id = self._by_con_id.get(con_id)
        return str(instrument_id) if instrument_id is not None else f"conId {con_id} ({symbol})"

    def view(self, now_secs: float) -> list[BrokerPosition]:
        """Per instrument: IB's position, the strategies' by name and their sum, and whether they disagree."""
        strategy_ids = {strategy.id for strategy in self._kernel.trader.strategies()}
        held: dict[str, dict[str, Decimal]] = {}
        for position in self._kernel.cache.positions_open():
            owner = str(position.strategy_id) if position.strategy_id in strategy_ids else "EXTERNAL"
            by_strategy = held.setdefault(str(position.instrument_id), {})
            by_strategy[owner] = by_strategy.get(owner, Decimal(0)) + position.signed_decimal_qty()
        result = []
        for key in sorted(set(held) | set(self._broker)):
            strategies = held.get(key, {})
            node = sum((q for name, q in strategies.items() if name != "EXTERNAL"), Decimal(0))
            broker = self._broker.get(key)
            differs = self.watching and (broker or Decimal(0)) != node
            mismatch, since = self._settled(key, bool(differs), now_secs, broker, node)
            if broker in (None, Decimal(0)) and not strategies and not mismatch:
                continue
            result.append(
                BrokerPosition(
                    instrument_id=key,
                    broker=float(broker) if broker is not None else None,
                    node=float(node),
                    strategies={name: float(q) for name, q in sorted(strategies.items())},
                    mismatch=mismatch,
                    since=since,
                )
            )
        return result

    def _settled(
        self, key: str, differs: bool, now_secs: float, broker: Decimal | None, node: Decimal
    ) -> tuple[bool, str | None]:
        if not differs:
            self._differs_since.pop(key, None)
            if key in self._flagged:
                self._flagged.discard(key)
                self._report(key, False, f"IB and the strategies agree again on {key}: {node}")
            return False, None
        started, since = self._differs_since.setdefault(key, (now_secs, self._now_iso()))
        if now_secs - started < self._settle:
            return False, None
        if key not in self._flagged:
            self._flagged.add(key)
            self._report(key, True, f"IB holds {broker or 0} of {key}, the strategies {node} (since {since})")
        return True, since

    def _report(self, key: str, mismatched: bool, message: str) -> None:
        if self._on_mismatch is not None:
            self._on_mismatch(key, mismatched, message)
