"""Checked conversion of parsed columns into NautilusTrader data objects (quotes, trades, bars)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from nautilus_trader.model.data import Bar, BarType, QuoteTick, TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.identifiers import InstrumentId

from nautilus_node.catalog.errors import check_rows


class Columns:
    """Parsed rows of one file: named float columns and ns timestamps, with where row 0 sits."""

    def __init__(self, path: Path, first_line: int, ts: np.ndarray, values: dict[str, np.ndarray]) -> None:
        self.path = path
        self.first_line = first_line
        self.ts = np.require(ts, dtype=np.uint64, requirements=["C", "W"])
        self.values = {k: np.require(v, dtype=np.float64, requirements=["C", "W"]) for k, v in values.items()}

    def __len__(self) -> int:
        return len(self.ts)

    def check_prices(self, names: tuple[str, ...], precision: int) -> None:
        """Every price is a positive number with at most `precision` decimals."""
        for name in names:
            self._check_decimals(name, precision, positive=True)

    def check_sizes(self, names: tuple[str, ...], precision: int) -> None:
        """Every size is a non-negative number with at most `precision` decimals."""
        for name in names:
            self._check_decimals(name, precision, positive=False)

    def _check_decimals(self, name: str, precision: int, positive: bool) -> None:
        values = self.values[name]
        scaled = values * 10.0**precision
        off_grid = np.abs(scaled - np.rint(scaled)) > 1e-4 + 1e-12 * np.abs(scaled)
        out_of_range = values <= 0 if positive else values < 0
        kind = "positive" if positive else "non-negative"
        check_rows(
            self.path,
            ~np.isfinite(values) | out_of_range,
            self.first_line,
            lambda i: f"field '{name}' value {float(values[i])!r} is not a {kind} number",
        )
        check_rows(
            self.path,
            off_grid,
            self.first_line,
            lambda i: f"field '{name}' value {float(values[i])!r} has more than {precision} decimals",
        )

    def check_ohlc(self, prefix: str = "") -> None:
        """High is the bar's highest price and low its lowest."""
        o, h, lo, c = (self.values[prefix + k] for k in ("open", "high", "low", "close"))
        bad = (h < np.maximum(o, c)) | (lo > np.minimum(o, c)) | (lo > h)

        def describe(i: int) -> str:
            prices = "/".join(str(float(x[i])) for x in (o, h, lo, c))
            return f"bar {prefix}open/high/low/close {prices} is inconsistent"

        check_rows(self.path, bad, self.first_line, describe)

    def sorted_by_time(self) -> Columns:
        order = np.argsort(self.ts, kind="stable")
        if np.all(order[:-1] < order[1:]):
            return self
        return Columns(self.path, self.first_line, self.ts[order], {k: v[order] for k, v in self.values.items()})


def quotes(cols: Columns, instrument_id: InstrumentId, price_precision: int, size_precision: int) -> list:
    v = cols.values
    return QuoteTick.from_raw_arrays_to_list(
        instrument_id,
        price_precision,
        size_precision,
        v["bid"],
        v["ask"],
        v["bid_size"],
        v["ask_size"],
        cols.ts,
        cols.ts,
    )


def bars(cols: Columns, bar_type: BarType, price_precision: int, size_precision: int, prefix: str = "") -> list:
    v = cols.values
    return Bar.from_raw_arrays_to_list(
        bar_type,
        price_precision,
        size_precision,
        v[prefix + "open"],
        v[prefix + "high"],
        v[prefix + "low"],
        v[prefix + "close"],
        v[prefix + "volume"],
        cols.ts,
        cols.ts,
    )


def trades(
    cols: Columns,
    instrument_id: InstrumentId,
    price_precision: int,
    size_precision: int,
    trade_ids: list[str],
    sides: np.ndarray | None = None,
) -> list:
    if sides is None:
        sides = np.full(len(cols), AggressorSide.NO_AGGRESSOR, dtype=np.uint8)
    return TradeTick.from_raw_arrays_to_list(
        instrument_id,
        price_precision,
        size_precision,
        cols.values["price"],
        cols.values["size"],
        sides.astype(np.uint8),
        list(trade_ids),
        cols.ts,
        cols.ts,
    )
