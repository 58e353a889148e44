"""Black-Scholes prices and greeks on a simple volatility surface, in plain floats (no I/O, no pandas).

The surface is a base volatility per underlying with a skew (puts richer below the money), a smile (both
wings richer) and a term structure (short expiries a little cheaper than long ones in calm markets):

    vol(k, t) = base * (1 + term * (sqrt(t) - sqrt(0.25))) * (1 - skew * k + smile * k**2),  k = ln(K / S)

The risk-free rate and dividend yield are fixed (``RATE``, ``DIVIDEND_YIELD``); greeks are IB's: vega per
1 % of volatility, theta per calendar day, both per share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

RATE = 0.04
DIVIDEND_YIELD = 0.013
MIN_YEARS = 1.0 / (365.0 * 24.0)  # an hour: the model's floor for an option in its last minutes
YEAR_SECONDS = 365.0 * 86_400.0


@dataclass(frozen=True, slots=True)
class VolSurface:
    """Implied volatility by log-moneyness and time to expiry (years)."""

    base: float = 0.16
    skew: float = 0.9
    smile: float = 2.0
    term: float = 0.10

    def vol(self, strike: float, spot: float, years: float) -> float:
        k = math.log(strike / spot)
        level = self.base * (1.0 + self.term * (math.sqrt(max(years, MIN_YEARS)) - 0.5))
        return max(level * (1.0 - self.skew * k + self.smile * k * k), 0.03)


@dataclass(frozen=True, slots=True)
class Greeks:
    """One model computation, as ``tickOptionComputation`` carries it (per share)."""

    implied_vol: float
    delta: float
    gamma: float
    vega: float
    theta: float
    price: float
    pv_dividend: float
    underlying: float


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def black_scholes(right: str, spot: float, strike: float, years: float, vol: float) -> Greeks:
    """Price and greeks of a European call (``right`` "C") or put ("P") with continuous dividend yield."""
    t = max(years, MIN_YEARS)
    sqrt_t = math.sqrt(t)
    disc_q, disc_r = math.exp(-DIVIDEND_YIELD * t), math.exp(-RATE * t)
    d1 = (math.log(spot / strike) + (RATE - DIVIDEND_YIELD + 0.5 * vol * vol) * t) / (vol * sqrt_t)
    d2 = d1 - vol * sqrt_t
    pdf = _norm_pdf(d1)
    if right == "C":
        price = spot * disc_q * _norm_cdf(d1) - strike * disc_r * _norm_cdf(d2)
        delta = disc_q * _norm_cdf(d1)
        theta_year = (
            -spot * disc_q * pdf * vol / (2 * sqrt_t)
            - RATE * strike * disc_r * _norm_cdf(d2)
            + DIVIDEND_YIELD * spot * disc_q * _norm_cdf(d1)
        )
    else:
        price = strike * disc_r * _norm_cdf(-d2) - spot * disc_q * _norm_cdf(-d1)
        delta = -disc_q * _norm_cdf(-d1)
        theta_year = (
            -spot * disc_q * pdf * vol / (2 * sqrt_t)
            + RATE * strike * disc_r * _norm_cdf(-d2)
            - DIVIDEND_YIELD * spot * disc_q * _norm_cdf(-d1)
        )
    gamma = disc_q * pdf / (spot * vol * sqrt_t)
    vega = spot * disc_q * pdf * sqrt_t / 100.0
    pv_dividend = spot * (1.0 - disc_q)
    return Greeks(vol, delta, gamma, vega, theta_year / 365.0, max(price, 0.0), pv_dividend, spot)


def implied_vol(right: str, spot: float, strike: float, years: float, price: float) -> float | None:
    """The volatility at which the model gives ``price``; None when no volatility does (below intrinsic)."""
    low, high = 0.005, 5.0
    if (
        not black_scholes(right, spot, strike, years, low).price
        <= price
        <= black_scholes(right, spot, strike, years, high).price
    ):
        return None
    for _ in range(60):
        mid = (low + high) / 2
        if black_scholes(right, spot, strike, years, mid).price < price:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def option_tick(price: float) -> float:
    """The price increment of a US equity option in the penny program: 0.01 below 3.00, 0.05 from 3.00."""
    return 0.01 if price < 3.0 else 0.05
