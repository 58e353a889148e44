"""Performance figures from the account's whole balance record: daily returns from the starting balance through
every trading day of the period (commissions included, as the balance includes them), and the ratios built on them.

NautilusTrader's `PortfolioAnalyzer` drops the first day (see `nautilus_internals.ANALYZER_DAILY_RETURNS`); these
figures do not. The definitions, all on simple daily returns `r` with no risk-free rate:
- a trading day is a weekday (Monday to Friday); a weekend's balance changes count on the next weekday, or on the
  last day of the period when it ends on a weekend; day `d`'s return is its closing balance over the previous
  day's (the first day's: over the starting balance), so the returns compound exactly to the total return;
- Sharpe = mean(r) / std(r, ddof=1) · √252; Sortino = mean(r) / √(Σ min(r, 0)² / n) · √252;
- profit factor = the sum of the winning days' balance gains over the sum of the losing days' losses, so it is
  above 1 exactly when the period made money;
- max drawdown: the deepest fall of the balance (after every account event) from its running peak, starting
  balance included;
- CAGR = (final / starting)^(365.25 / calendar days of the period) - 1.
A figure over fewer than `MIN_RELIABLE_DAILY_RETURNS` daily returns is reported but marked unreliable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

TRADING_DAYS_PER_YEAR = 252
MIN_RELIABLE_DAILY_RETURNS = 20


@dataclass(frozen=True)
class Performance:
    """The figures of one account in one currency over one period; `None` where a figure is undefined."""

    daily_returns: pd.Series
    total_return: float
    sharpe_ratio: float | None
    sortino_ratio: float | None
    profit_factor: float | None
    max_drawdown: float
    cagr: float | None

    @property
    def reliable(self) -> bool:
        """True when the ratios rest on at least `MIN_RELIABLE_DAILY_RETURNS` daily returns."""
        return len(self.daily_returns) >= MIN_RELIABLE_DAILY_RETURNS

    def as_dict(self) -> dict[str, float | int | bool | None]:
        """The figures as plain numbers, with how many daily returns they rest on and whether that is enough."""
        return {
            "total_return": self.total_return,
            "sharpe_ratio": self.sharpe_ratio,
            "sortino_ratio": self.sortino_ratio,
            "profit_factor": self.profit_factor,
            "max_drawdown": self.max_drawdown,
            "cagr": self.cagr,
            "daily_returns": len(self.daily_returns),
            "reliable": self.reliable,
        }


def trading_days(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """The days the period's returns are counted on: its weekdays, and its last day whatever day that is."""
    first, last = start.normalize(), end.normalize()
    days = pd.bdate_range(first, last, tz=first.tz)
    if len(days) == 0 or days[-1] != last:
        days = days.append(pd.DatetimeIndex([last]))
    return days


def daily_balances(balances: pd.Series, starting: float, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """The balance at the close of each trading day (`balances`: the balance after each account event, indexed by
    time), the starting balance where no event came yet; a weekend's events count on the next day."""
    days = trading_days(start, end)
    record = balances.sort_index(kind="stable")
    positions = record.index.searchsorted(days + pd.Timedelta(days=1), side="left") - 1
    positions[-1] = len(record) - 1  # the last day closes the period: every event counts
    values = [float(record.iloc[p]) if p >= 0 else starting for p in positions]
    return pd.Series(values, index=days, dtype=float)


def performance(balances: pd.Series, starting: float, start: pd.Timestamp, end: pd.Timestamp) -> Performance:
    """Every figure of the module docstring from one account's balance record over the period `start`..`end`."""
    closes = daily_balances(balances, starting, start, end)
    previous = pd.Series([starting, *closes.iloc[:-1]], index=closes.index, dtype=float)
    returns = closes / previous - 1.0
    changes = closes - previous
    final = float(closes.iloc[-1])
    record = pd.concat([pd.Series([starting], dtype=float), balances.astype(float).reset_index(drop=True)])
    drawdown = float((record / record.cummax() - 1.0).min())
    days = (end.normalize() - start.normalize()).days + 1
    return Performance(
        daily_returns=returns,
        total_return=final / starting - 1.0,
        sharpe_ratio=_sharpe(returns),
        sortino_ratio=_sortino(returns),
        profit_factor=_ratio(float(changes[changes > 0].sum()), -float(changes[changes < 0].sum())),
        max_drawdown=drawdown,
        cagr=_finite((final / starting) ** (365.25 / days) - 1.0) if final > 0 else None,
    )


def _sharpe(returns: pd.Series) -> float | None:
    if len(returns) < 2:
        return None
    return _ratio(float(returns.mean()), float(returns.std(ddof=1)), math.sqrt(TRADING_DAYS_PER_YEAR))


def _sortino(returns: pd.Series) -> float | None:
    downside = math.sqrt(float(np.square(np.minimum(returns.to_numpy(), 0.0)).sum()) / len(returns))
    return _ratio(float(returns.mean()), downside, math.sqrt(TRADING_DAYS_PER_YEAR))


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    """`numerator / denominator · scale`, or `None` when the denominator is zero (no spread, no loss)."""
    if denominator == 0.0 or math.isnan(denominator):
        return None
    return _finite(numerator / denominator * scale)


def _finite(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else value
