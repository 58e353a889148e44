"""Options held to expiry, settled at the expiry's close as OCC and IB settle US equity options.

An option at least USD 0.01 in the money (OCC's exercise-by-exception threshold) is exercised if long and
assigned if short: the option position closes at 0 and the underlying moves by 100 shares a contract at the
strike (a call buys them, a put sells them; reversed when short), with the strike's cash. One out of the money
expires worthless: the position closes at 0. Either way the premium paid or received is realised on the option.
IB books these as clearing events, not trades: no execDetails and no commission; clients see the positions,
portfolio and account values change. Part of ``broker.Broker``, which holds the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from nautilus_node.simgateway import options
from nautilus_node.simgateway.account import _Book
from nautilus_node.simgateway.contracts import ContractSpec

EXERCISE_THRESHOLD = 0.01

Underlying = Callable[[ContractSpec], tuple[ContractSpec, float]]


@dataclass(frozen=True, slots=True)
class Settlement:
    """One option position settled: exercised or assigned into ``shares`` of the underlying, or expired."""

    option: ContractSpec
    underlying: ContractSpec
    contracts: Decimal
    shares: Decimal  # signed change of the underlying position; 0 when it expired worthless
    underlying_price: float

    @property
    def con_ids(self) -> set[int]:
        return {self.option.con_id, self.underlying.con_id} if self.shares else {self.option.con_id}


class ExpiryMixin:
    """Settlement of `Broker`'s option positions whose expiry has closed."""

    _book: _Book
    _lock: threading.RLock
    _marks: dict[int, float]
    _apply_to_position: Callable[[ContractSpec, Decimal, float], float]

    def settle_expired(self, now: float, underlying: Underlying) -> list[Settlement]:
        """Settle every option position whose expiry closed by ``now``; ``underlying`` gives an option's
        underlying contract and its price at the close."""
        with self._lock:
            done: list[Settlement] = []
            for pos in list(self._book.positions.values()):
                spec = pos.spec
                if spec.sec_type != "OPT" or pos.quantity == 0:
                    continue
                if options.expiry_close(options.expiry_of(spec)) > now:
                    continue
                under, spot = underlying(spec)
                contracts = pos.quantity
                self._book.realized_today += self._apply_to_position(spec, -contracts, 0.0)
                self._marks[spec.con_id] = 0.0
                intrinsic = spot - spec.strike if spec.right == "C" else spec.strike - spot
                shares = Decimal(0)
                if intrinsic >= EXERCISE_THRESHOLD:
                    shares = contracts * Decimal(spec.multiplier) * (1 if spec.right == "C" else -1)
                    self._book.realized_today += self._apply_to_position(under, shares, spec.strike)
                    self._book.cash -= float(shares) * spec.strike
                done.append(Settlement(spec, under, contracts, shares, spot))
            return done
