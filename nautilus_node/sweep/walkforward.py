"""Walk-forward folds: an in-sample window to choose parameters, then the next out-of-sample window to score them,
rolled forward by the out-of-sample length until the range is used up (so the out-of-sample windows tile it)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from nautilus_node.errors import InputError


@dataclass(frozen=True)
class Fold:
    """One step of a walk-forward: number (from 1), in-sample and out-of-sample windows, half-open."""

    number: int
    in_start: pd.Timestamp
    in_end: pd.Timestamp
    out_start: pd.Timestamp
    out_end: pd.Timestamp

    @property
    def out_has_trading_day(self) -> bool:
        """True when the out-of-sample window holds a weekday: a window of only a weekend is not scored."""
        days = pd.date_range(self.out_start.normalize(), (self.out_end - pd.Timedelta(1)).normalize(), freq="D")
        return any(day.dayofweek < 5 for day in days)


def parse_length(value: str, option: str) -> pd.Timedelta:
    """A window length such as `5D`, `36h` or `2W`; `InputError` naming the option."""
    try:
        length = pd.Timedelta(value)
    except ValueError:
        raise InputError(f"{option} {value!r}: expected a length such as 5D, 36h or 2W") from None
    if length <= pd.Timedelta(0):
        raise InputError(f"{option} {value!r}: the length must be positive")
    return length


def make_folds(
    start: pd.Timestamp, end: pd.Timestamp, in_sample: pd.Timedelta, out_of_sample: pd.Timedelta
) -> list[Fold]:
    """Every fold whose out-of-sample window ends by `end`; `InputError` when not even one fits."""
    folds = []
    cursor = start
    while cursor + in_sample + out_of_sample <= end:
        out_start = cursor + in_sample
        folds.append(Fold(len(folds) + 1, cursor, out_start, out_start, out_start + out_of_sample))
        cursor += out_of_sample
    if not folds:
        raise InputError(
            f"--in-sample {in_sample} plus --out-of-sample {out_of_sample} is longer than the period {start} .. {end}"
        )
    return folds
