"""Equity option chains on every stock of the universe, generated on demand from the underlying's spec and the
gateway's market clock (nothing is stored).

- Expirations: the next ``WEEKLIES`` Fridays and the monthly third Fridays of the next ``MONTHLIES`` months
  (the Thursday before when the Friday is an NYSE holiday), each listed until its close on the expiry date
  (16:00 New York, or NYSE's early close); so the chain rolls with the clock.
- Strikes: a fixed grid around the underlying's reference price (its ``start_price``): IB's near-the-money
  spacing (1 for ETFs, else by price: 0.5 under 25, 1 under 100, 2.5 under 250, 5 above) within
  ``NEAR_BAND`` of it, five times that spacing out to ``FAR_BAND``.
- Con ids encode the option: ``2**30 | slot << 22 | day << 10 | put << 9 | strike index``, where ``slot`` is
  the underlying's place among the universe's stocks and ``day`` the expiry's day number from 2024-01-01; so
  any listed option is found again from its con id alone, in any process.
- Local symbols are OCC's: the root padded to six characters, YYMMDD, C or P and the strike times 1000 in
  eight digits (``SPY   261218C00600000``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from nautilus_node.ib.hours import US_STOCK_LIQUID, exchange_day, zone_of
from nautilus_node.simgateway.contracts import ContractQuery, ContractSpec, Universe
from nautilus_node.simgateway.option_pricing import (
    YEAR_SECONDS,
    Greeks,
    VolSurface,
    black_scholes,
    implied_vol,
    option_tick,
)

WEEKLIES = 5
MONTHLIES = 6
NEAR_BAND = 0.08
FAR_BAND = 0.30
MULTIPLIER = "100"
NEW_YORK = zone_of("US/Eastern")
# The option exchanges IB lists for US equity options (reqSecDefOptParams answers one row per exchange).
OPTION_EXCHANGES = (
    "SMART",
    "AMEX",
    "BATS",
    "BOX",
    "CBOE",
    "CBOE2",
    "EDGX",
    "EMERALD",
    "GEMINI",
    "IBUSOPT",
    "ISE",
    "MEMX",
    "MERCURY",
    "MIAX",
    "NASDAQOM",
    "PEARL",
    "PHLX",
    "PSE",
    "SAPPHIRE",
)
VALID_EXCHANGES = ",".join(OPTION_EXCHANGES)
CON_ID_BASE = 1 << 30
MAX_UNDERLYINGS, MAX_DAYS, MAX_STRIKES = 1 << 8, 1 << 12, 1 << 9  # the con id's fields
_EPOCH = dt.date(2024, 1, 1)
_ETF_SURFACE = VolSurface(base=0.16)
_STOCK_SURFACE = VolSurface(base=0.28, skew=0.6, smile=1.5)


def near_spacing(spec: ContractSpec) -> float:
    """IB's strike spacing near the money for ``spec``'s options."""
    price = spec.start_price
    if spec.stock_type == "ETF":
        return 1.0
    return 0.5 if price < 25 else 1.0 if price < 100 else 2.5 if price < 250 else 5.0


def strikes(spec: ContractSpec) -> list[float]:
    """The listed strikes of ``spec``'s options, ascending."""
    near = near_spacing(spec)
    far = near * 5
    ref = spec.start_price
    low_near, high_near = ref * (1 - NEAR_BAND), ref * (1 + NEAR_BAND)
    grid: set[float] = set()
    k = math.ceil(ref * (1 - FAR_BAND) / far) * far
    while k <= ref * (1 + FAR_BAND):
        grid.add(round(k, 2))
        k += far
    k = math.ceil(low_near / near) * near
    while k <= high_near:
        grid.add(round(k, 2))
        k += near
    return sorted(grid)


def _third_friday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)


def expiry_close(expiry: dt.date) -> float:
    """The Unix time an option expiring on ``expiry`` stops trading: the close of that day's regular session
    (16:00 New York, or NYSE's early close)."""
    start_of_day = dt.datetime.combine(expiry, dt.time(0), NEW_YORK).timestamp()
    close = US_STOCK_LIQUID.next_close(start_of_day)
    assert close is not None, "regular US stock hours always close"
    return close


def _before_holidays(day: dt.date) -> dt.date:
    """An expiry falling on an NYSE holiday moves to the trading day before it (Good Friday, Christmas)."""
    while exchange_day("XNYS", day)[0] == "holiday":
        day -= dt.timedelta(days=1)
    return day


def expirations(now: float) -> list[dt.date]:
    """The expiries listed at ``now``: weeklies and monthlies whose close is still ahead, ascending."""
    today = dt.datetime.fromtimestamp(now, NEW_YORK).date()
    first_friday = today + dt.timedelta(days=(4 - today.weekday()) % 7)
    dates = {first_friday + dt.timedelta(weeks=w) for w in range(WEEKLIES + 1)}
    year, month = today.year, today.month
    for _ in range(MONTHLIES + 1):
        dates.add(_third_friday(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    fridays = sorted(d for d in dates if expiry_close(_before_holidays(d)) > now)
    weeklies = [d for d in fridays if d <= first_friday + dt.timedelta(weeks=WEEKLIES)][:WEEKLIES]
    monthlies = [d for d in fridays if d == _third_friday(d.year, d.month)][:MONTHLIES]
    return sorted({_before_holidays(d) for d in (*weeklies, *monthlies)})


def occ_symbol(root: str, expiry: dt.date, right: str, strike: float) -> str:
    """OCC's option symbol: ``SPY   261218C00600000``."""
    return f"{root:<6}{expiry:%y%m%d}{right}{round(strike * 1000):08d}"


def surface_for(spec: ContractSpec) -> VolSurface:
    """The volatility surface of ``spec``'s options: an index ETF's, or a single stock's (higher, less skewed)."""
    return _ETF_SURFACE if spec.stock_type == "ETF" else _STOCK_SURFACE


class OptionChains:
    """The options of every stock in ``underlyings`` (the universe's STK specs, in its order)."""

    def __init__(self, underlyings: list[ContractSpec]) -> None:
        self._underlyings = [s for s in underlyings if s.sec_type == "STK"]
        if len(self._underlyings) > MAX_UNDERLYINGS:
            raise ValueError(f"option con ids hold {MAX_UNDERLYINGS} underlyings, the universe has more stocks")
        self._by_under_id = {s.con_id: s for s in self._underlyings}
        self._strikes: dict[int, list[float]] = {}

    def underlying(self, con_id: int) -> ContractSpec | None:
        return self._by_under_id.get(con_id)

    def underlying_named(self, symbol: str) -> ContractSpec | None:
        return next((s for s in self._underlyings if s.symbol == symbol), None)

    def strikes(self, under: ContractSpec) -> list[float]:
        if under.con_id not in self._strikes:
            grid = strikes(under)
            if len(grid) > MAX_STRIKES:
                raise ValueError(f"{under.symbol}: {len(grid)} strikes, option con ids hold {MAX_STRIKES}")
            self._strikes[under.con_id] = grid
        return self._strikes[under.con_id]

    def option(self, under: ContractSpec, expiry: dt.date, right: str, strike: float) -> ContractSpec | None:
        """The listed option, or None when the strike is not on the grid."""
        grid = self.strikes(under)
        try:
            index = grid.index(round(strike, 2))
        except ValueError:
            return None
        slot, day = self._underlyings.index(under), (expiry - _EPOCH).days
        if not 0 <= day < MAX_DAYS:
            raise ValueError(f"expiry {expiry} is outside the days option con ids hold (from {_EPOCH}, {MAX_DAYS})")
        con_id = CON_ID_BASE | slot << 22 | day << 10 | (right == "P") << 9 | index
        return _option_spec(under, con_id, expiry, right, grid[index])

    def by_con_id(self, con_id: int) -> ContractSpec | None:
        """The option ``con_id`` encodes (listed or already expired), or None."""
        if not CON_ID_BASE <= con_id < CON_ID_BASE << 1:
            return None
        slot, day = (con_id >> 22) & 0xFF, (con_id >> 10) & 0xFFF
        index, right = con_id & 0x1FF, "P" if con_id >> 9 & 1 else "C"
        if slot >= len(self._underlyings):
            return None
        under = self._underlyings[slot]
        grid = self.strikes(under)
        if index >= len(grid):
            return None
        return self.option(under, _EPOCH + dt.timedelta(days=day), right, grid[index])

    def chain(self, under: ContractSpec, now: float) -> Iterator[ContractSpec]:
        """Every listed option of ``under`` at ``now``, by expiry, strike, then call before put."""
        for expiry in expirations(now):
            for strike in self.strikes(under):
                for right in "CP":
                    spec = self.option(under, expiry, right, strike)
                    assert spec is not None
                    yield spec

    def match(self, q: ContractQuery, now: float) -> list[ContractSpec]:
        """The listed options an OPT query describes (by con id, OCC local symbol, or symbol with any of
        expiry, strike, right)."""
        if q.con_id > 0:
            spec = self.by_con_id(q.con_id)
            return [spec] if spec and expiry_of(spec) in expirations(now) else []
        if q.local_symbol:
            return self._by_local_symbol(q.local_symbol, now)
        under = self.underlying_named(q.symbol)
        if under is None or (q.currency and q.currency != under.currency):
            return []
        if (q.trading_class and q.trading_class != under.symbol) or (q.multiplier and float(q.multiplier) != 100):
            return []
        if q.exchange and q.exchange not in OPTION_EXCHANGES:
            return []
        strike = float(q.strike) if q.strike else 0.0
        right = {"CALL": "C", "PUT": "P"}.get(q.right.upper(), q.right.upper())
        return [
            spec
            for expiry in expirations(now)
            if not q.last_trade_date or f"{expiry:%Y%m%d}".startswith(q.last_trade_date)
            for spec in self._at_expiry(under, expiry, strike, right)
        ]

    def _at_expiry(self, under: ContractSpec, expiry: dt.date, strike: float, right: str) -> Iterator[ContractSpec]:
        for k in self.strikes(under):
            if strike and abs(k - strike) > 1e-9:
                continue
            for r in "CP":
                if not right or r == right:
                    spec = self.option(under, expiry, r, k)
                    assert spec is not None
                    yield spec

    def _by_local_symbol(self, local_symbol: str, now: float) -> list[ContractSpec]:
        text = local_symbol.replace(" ", "")
        root, rest = text[:-15], text[-15:]
        under = self.underlying_named(root)
        if under is None or len(rest) != 15 or rest[6] not in "CP" or not (rest[:6] + rest[7:]).isdigit():
            return []
        try:
            expiry = dt.datetime.strptime(rest[:6], "%y%m%d").date()
        except ValueError:
            return []
        spec = self.option(under, expiry, rest[6], int(rest[7:]) / 1000)
        return [spec] if spec and expiry in expirations(now) else []


def expiry_of(spec: ContractSpec) -> dt.date:
    """An option's expiry date."""
    return dt.datetime.strptime(spec.last_trade_date, "%Y%m%d").date()


def _option_spec(under: ContractSpec, con_id: int, expiry: dt.date, right: str, strike: float) -> ContractSpec:
    return dataclasses.replace(
        under,
        con_id=con_id,
        sec_type="OPT",
        exchange="SMART",
        primary_exchange="",
        local_symbol=occ_symbol(under.symbol, expiry, right, strike),
        trading_class=under.symbol,
        min_tick=0.01,
        valid_exchanges=VALID_EXCHANGES,
        trading_week=US_STOCK_LIQUID,
        liquid_week=US_STOCK_LIQUID,
        multiplier=MULTIPLIER,
        last_trade_date=f"{expiry:%Y%m%d}",
        industry=under.industry,
        under_symbol=under.symbol,
        under_sec_type="STK",
        stock_type="",
        market_rule_ids=",".join(["32"] * len(OPTION_EXCHANGES)),
        min_size=under.min_size,
        size_increment=under.size_increment,
        start_price=0.0,
        spread_ticks=2,
        size_range=(1, 150),
        sec_ids={},
        strike=strike,
        right=right,
        under_con_id=under.con_id,
    )


def years_left(spec: ContractSpec, now: float) -> float:
    """The option's time to its expiry's close, in years (0 once it has passed)."""
    return max(expiry_close(expiry_of(spec)) - now, 0.0) / YEAR_SECONDS


def model(spec: ContractSpec, under: ContractSpec, spot: float, now: float) -> Greeks:
    """The model's price and greeks of option ``spec`` with its underlying ``under`` at ``spot``."""
    years = years_left(spec, now)
    vol = surface_for(under).vol(spec.strike, spot, years)
    return black_scholes(spec.right, spot, spec.strike, years, vol)


def computed_at(spec: ContractSpec, spot: float, now: float, price: float) -> Greeks | None:
    """The computation IB sends for a bid, ask or last ``price``: the implied volatility at that price and
    the greeks there; None when no volatility gives the price."""
    years = years_left(spec, now)
    vol = implied_vol(spec.right, spot, spec.strike, years, price)
    if vol is None:
        return None
    g = black_scholes(spec.right, spot, spec.strike, years, vol)
    return dataclasses.replace(g, price=price)


def quote_prices(fair: float, wide: bool) -> tuple[float, float]:
    """Bid and ask around the model price ``fair`` on the option's ticks: about 1 % wide (2 % when
    ``wide``), at least one tick, never below 0.01 bid."""
    tick = option_tick(fair)
    ticks = max(1, round(fair * (0.02 if wide else 0.01) / tick))
    bid = max(math.floor((fair - ticks * tick / 2) / tick + 1e-9) * tick, 0.01)
    bid = round(math.floor(bid / option_tick(bid) + 1e-9) * option_tick(bid), 2)
    ask = max(bid + ticks * tick, bid + 0.01)
    ask = round(math.ceil(ask / option_tick(ask) - 1e-9) * option_tick(ask), 2)
    return bid, ask


@dataclass(frozen=True, slots=True)
class OptionTicks:
    """IB's four option computations on one quote: at the bid, the ask, the last trade, and the model's."""

    bid: Greeks | None
    ask: Greeks | None
    last: Greeks | None
    model: Greeks


def option_ticks(
    spec: ContractSpec, under: ContractSpec, spot: float, bid: float, ask: float, last: float | None, now: float
) -> OptionTicks:
    """The computations for an option quoted ``bid``/``ask`` (and traded at ``last``) with the underlying at
    ``spot``."""
    return OptionTicks(
        computed_at(spec, spot, now, bid),
        computed_at(spec, spot, now, ask),
        computed_at(spec, spot, now, last) if last is not None else None,
        model(spec, under, spot, now),
    )


class UniverseWithOptions(Universe):
    """The universe plus its stocks' listed options at the gateway clock's time (found on demand)."""

    def __init__(self, specs: list[ContractSpec], clock: Callable[[], float]) -> None:
        super().__init__(specs)
        self.options = OptionChains(specs)
        self._clock = clock

    def by_con_id(self, con_id: int) -> ContractSpec | None:
        return super().by_con_id(con_id) or self.options.by_con_id(con_id)

    def match(self, query: ContractQuery, now: float | None = None) -> list[ContractSpec]:
        now = self._clock() if now is None else now
        if query.con_id > 0 and super().by_con_id(query.con_id) is None:
            return self.options.match(query, now)
        if query.sec_type == "OPT":
            return self.options.match(query, now)
        return super().match(query, now)
