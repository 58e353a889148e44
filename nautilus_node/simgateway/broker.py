"""A pure paper broker: orders (`order_book`), fills against the quote (`matching`), and the account they
move (`account`: IB fixed-rate commissions, positions with average cost, account values), and options held to
expiry settled (`expiry`). Thread-safe; no I/O.

The names below are this module's public interface, and the classes a gateway's state file pickles are
found here too (a file written before the broker was split in three still loads)."""

from __future__ import annotations

import copy
import dataclasses
import threading

from nautilus_node.ib import fees
from nautilus_node.ib.orders import ORDER_TYPES
from nautilus_node.simgateway.account import (
    MARGIN_RATES,
    STARTING_CASH,
    AccountMixin,
    Execution,
    Position,
    _Book,
    commission_value,
)
from nautilus_node.simgateway.expiry import ExpiryMixin, Settlement
from nautilus_node.simgateway.market import Quote
from nautilus_node.simgateway.matching import MatchingMixin
from nautilus_node.simgateway.order_book import (
    DEFAULT_OCA_TYPE,
    OCA_CANCEL_WITH_BLOCK,
    Event,
    Fill,
    Order,
    OrderError,
    OrderRequest,
    OrdersMixin,
    OrderUpdate,
    time_seeded_perm_id,
)

__all__ = [
    "DEFAULT_OCA_TYPE",
    "MARGIN_RATES",
    "OCA_CANCEL_WITH_BLOCK",
    "ORDER_TYPES",
    "STARTING_CASH",
    "Broker",
    "Event",
    "Execution",
    "Fill",
    "Order",
    "OrderError",
    "OrderRequest",
    "OrderUpdate",
    "Position",
    "Settlement",
    "_Book",
    "commission_value",
    "time_seeded_perm_id",
]


def _fill_in_defaults(obj: Order | OrderRequest) -> None:
    """Give a dataclass unpickled from an older state file the defaults of the fields it was written without."""
    for f in dataclasses.fields(obj):
        if not hasattr(obj, f.name) and f.default is not dataclasses.MISSING:
            setattr(obj, f.name, f.default)


class Broker(OrdersMixin, MatchingMixin, AccountMixin, ExpiryMixin):
    """The paper account. Every public method is atomic under one lock."""

    def __init__(
        self,
        account: str,
        starting_cash: float = STARTING_CASH,
        first_order_id: int = 1,
        first_perm_id: int | None = None,
        always_open: bool = True,
        time_zone: str = "US/Eastern",
        partial_fills: bool = False,
    ) -> None:
        self.account = account
        self.partial_fills = partial_fills  # True: fills take at most the displayed size at each price
        self.time_zone = time_zone
        self.always_open = always_open  # False: orders work only in their contract's trading hours
        self._book = _Book(cash=starting_cash)
        self._lock = threading.RLock()
        self._next_order_id = first_order_id
        self._next_perm_id = first_perm_id if first_perm_id is not None else time_seeded_perm_id()
        self._exec_prefix = f"{self._next_perm_id:08x}"  # execIds never repeat across gateway processes
        self._exec_seq = 0
        self._commissions = fees.OrderCommissions()
        self._marks: dict[int, float] = {}
        self._quotes: dict[int, Quote] = {}  # the last quote seen per contract, for orders released later

    # --- durability ------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, object]:
        """Everything the account keeps across a gateway process restart (see ``durable.StateFile``)."""
        with self._lock:
            return {
                "account": self.account,
                "book": copy.deepcopy(self._book),
                "next_order_id": self._next_order_id,
                "next_perm_id": self._next_perm_id,
                "exec_prefix": self._exec_prefix,
                "exec_seq": self._exec_seq,
                "commissions": copy.deepcopy(self._commissions),
            }

    def restore(self, state: dict[str, object]) -> None:
        """Continue from a snapshot: the same account, working orders, executions and id sequences."""
        with self._lock:
            if state["account"] != self.account:
                raise ValueError(f"the state is of account {state['account']}, this gateway serves {self.account}")
            self._book = state["book"]  # type: ignore[assignment]
            for order in self._book.orders.values():  # written before a field was added: the field's default
                _fill_in_defaults(order)
                _fill_in_defaults(order.request)
            self._next_order_id = int(state["next_order_id"])  # type: ignore[arg-type]
            self._next_perm_id = int(state["next_perm_id"])  # type: ignore[arg-type]
            self._exec_prefix = str(state["exec_prefix"])
            self._exec_seq = int(state["exec_seq"])  # type: ignore[arg-type]
            self._commissions = state["commissions"]  # type: ignore[assignment]

    # --- ids -------------------------------------------------------------------------------------------
    def next_valid_id(self) -> int:
        with self._lock:
            return self._next_order_id
