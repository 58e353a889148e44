"""The simulated gateway's universe: its contracts generated from the product table (`products.py`), and how a
contract request is matched against them, a continuous future (CONTFUT) standing for its front month."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import time
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from nautilus_node.ib.expiries import contract_months, local_symbol
from nautilus_node.ib.hours import FX, US_STOCK_LIQUID, US_STOCK_TRADING, WeeklyHours
from nautilus_node.simgateway.products import (
    CURRENCY_NAMES,
    FUTURES,
    FX_PAIRS,
    STOCKS,
    FuturesFamily,
    FxRow,
    StockRow,
)

# IB's orderTypes list names order types and attributes; each contract lists only what the broker serves.
SERVED_ORDER_TYPES = "COND,CONDORDER,DAY,FOK,GTC,GTD,IOC,LMT,MKT,OCA,STP,STPLMT,TRAIL,TRAILLMT,WHATIF"
STOCK_EXCHANGES = "SMART,AMEX,NYSE,CBOE,PHLX,ISE,CHX,ARCA,NASDAQ,DRCTEDGE,BEX,BATS,EDGEA,IEX"


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """Everything the gateway reports about one tradable contract, plus the walk's parameters."""

    con_id: int
    symbol: str
    sec_type: str
    exchange: str
    primary_exchange: str
    currency: str
    local_symbol: str
    trading_class: str
    min_tick: float
    long_name: str
    time_zone_id: str
    market_name: str
    valid_exchanges: str
    trading_hours: str = ""  # IB's texts as last sent; written from the weeks below at each request
    liquid_hours: str = ""
    order_types: str = SERVED_ORDER_TYPES
    multiplier: str = ""
    last_trade_date: str = ""
    industry: str = ""
    category: str = ""
    subcategory: str = ""
    under_symbol: str = ""
    under_sec_type: str = ""
    stock_type: str = ""
    market_rule_ids: str = ""
    trading_week: WeeklyHours | None = None  # None: always open
    liquid_week: WeeklyHours | None = None
    min_size: Decimal = Decimal(1)
    size_increment: Decimal = Decimal(1)
    # Random-walk parameters: starting mid, typical spread in ticks, per-step volatility, quote sizes.
    start_price: float = 100.0
    spread_ticks: int = 1
    step_vol: float = 0.0001
    size_range: tuple[int, int] = (100, 1000)
    has_trades: bool = True
    sec_ids: dict[str, str] = field(default_factory=dict)
    # Options only (``simgateway.options`` makes them): strike, right (C or P) and the underlying's conId.
    strike: float = 0.0
    right: str = ""
    under_con_id: int = 0
    contract_month: str = ""  # a future's YYYYMM
    roll_date: str = ""  # a future's YYYYMMDD from which IB's continuous future is the next month

    @property
    def price_decimals(self) -> int:
        text = f"{self.min_tick:.10f}".rstrip("0")
        return len(text.split(".")[1]) if "." in text else 0

    def hours_text(self, now: float) -> tuple[str, str]:
        """IB's tradingHours and liquidHours texts for the week from ``now`` (the fixed texts of a contract
        without weekly hours)."""
        if self.trading_week is None or self.liquid_week is None:
            return self.trading_hours, self.liquid_hours
        return self.trading_week.text(now), self.liquid_week.text(now)

    def hours_for(self, outside_rth: bool) -> WeeklyHours | None:
        """The sessions an order works in: a stock's regular hours unless ``outside_rth``, else trading hours."""
        if self.sec_type == "STK" and not outside_rth:
            return self.liquid_week
        return self.trading_week

    def names(self, name: str) -> bool:
        """Whether ``name`` is this contract's local symbol, symbol or conId."""
        return name in (self.local_symbol, self.symbol, str(self.con_id))

    def round_price(self, price: float) -> float:
        """Round to the nearest multiple of the minimum tick."""
        return round(round(price / self.min_tick) * self.min_tick, self.price_decimals)


def quarterly_expiries(today: dt.date, count: int) -> list[dt.date]:
    """The next ``count`` equity-index futures expiries (third Friday of Mar/Jun/Sep/Dec)."""
    months = contract_months("HMUZ", "third_friday", today.year, today.month)
    return [expiry for _, _, expiry in itertools.islice((m for m in months if m[2] >= today), count)]


def generated_con_id(key: str) -> int:
    """A stable con id for a contract IB's public id is not known for, in 2,060,000,000..2,139,999,999 (above
    IB's ids so far; futures months take 2,000,000,000..2,047,999,999)."""
    return 2_060_000_000 + zlib.crc32(key.encode()) % 80_000_000


def future_con_id(symbol: str, year: int, month: int) -> int:
    """A stable con id for one futures month: a slot per family, a number per month within it."""
    return 2_000_000_000 + zlib.crc32(symbol.encode()) % 40_000 * 1200 + year % 100 * 12 + month - 1


def stock_spec(row: StockRow) -> ContractSpec:
    return ContractSpec(
        con_id=row.real_con_id or generated_con_id(f"STK:{row.symbol}"),
        symbol=row.symbol,
        sec_type="STK",
        exchange="SMART",
        primary_exchange=row.primary_exchange,
        currency="USD",
        local_symbol=row.symbol,
        trading_class="NMS" if row.primary_exchange == "NASDAQ" and row.stock_type != "ETF" else row.symbol,
        min_tick=0.01,
        long_name=row.long_name,
        time_zone_id="US/Eastern",
        trading_week=US_STOCK_TRADING,
        liquid_week=US_STOCK_LIQUID,
        market_name="NMS" if row.primary_exchange == "NASDAQ" and row.stock_type != "ETF" else row.symbol,
        valid_exchanges=STOCK_EXCHANGES,
        industry=row.industry,
        category="Equity Fund" if row.stock_type == "ETF" else "",
        subcategory="Large Cap" if row.stock_type == "ETF" else "",
        stock_type=row.stock_type,
        market_rule_ids=",".join(["26"] * len(STOCK_EXCHANGES.split(","))),
        start_price=row.price,
        spread_ticks=1,
        step_vol=0.0002,
        size_range=(1, 30),
        sec_ids={"ISIN": row.isin},
    )


def fx_spec(row: FxRow) -> ContractSpec:
    base, quote = row.pair.split(".")
    return ContractSpec(
        con_id=row.real_con_id or generated_con_id(f"CASH:{row.pair}"),
        symbol=base,
        sec_type="CASH",
        exchange="IDEALPRO",
        primary_exchange="",
        currency=quote,
        local_symbol=row.pair,
        trading_class=row.pair,
        min_tick=0.005 if quote == "JPY" else 0.00005,
        long_name=CURRENCY_NAMES[base],
        time_zone_id="US/Eastern",
        trading_week=FX,
        liquid_week=FX,
        market_name=row.pair,
        valid_exchanges="IDEALPRO",
        market_rule_ids="239",
        min_size=Decimal(1),
        size_increment=Decimal(1),
        start_price=row.price,
        spread_ticks=1,
        step_vol=0.00004,
        size_range=(1_000_000, 10_000_000),
        has_trades=False,
    )


def future_spec(family: FuturesFamily, year: int, month: int, last_trade: dt.date) -> ContractSpec:
    return ContractSpec(
        con_id=future_con_id(family.symbol, year, month),
        symbol=family.symbol,
        sec_type="FUT",
        exchange=family.exchange,
        primary_exchange="",
        currency="USD",
        local_symbol=local_symbol(family.symbol, month, year),
        trading_class=family.symbol,
        min_tick=family.min_tick,
        long_name=family.long_name,
        time_zone_id="US/Central",
        trading_week=family.trading_week,
        liquid_week=family.liquid_week,
        market_name=family.symbol,
        valid_exchanges=f"{family.exchange},QBALGO",
        multiplier=family.multiplier,
        last_trade_date=last_trade.strftime("%Y%m%d"),
        contract_month=f"{year}{month:02d}",
        roll_date=(last_trade - dt.timedelta(days=family.roll_days)).strftime("%Y%m%d"),
        under_symbol=family.symbol,
        under_sec_type=family.under_sec_type,
        market_rule_ids="67",
        start_price=family.price,
        spread_ticks=1,
        step_vol=family.step_vol,
        size_range=family.size_range,
    )


def listed_months(family: FuturesFamily, today: dt.date) -> list[ContractSpec]:
    """The ``family.listed`` months trading on ``today`` (last trade date not yet past), front first."""
    months = contract_months(family.months, family.last_trade, today.year, today.month)
    live = (m for m in months if m[2] >= today)
    return [future_spec(family, *month) for month in itertools.islice(live, family.listed)]


def build_universe(today: dt.date | None = None) -> list[ContractSpec]:
    """Every product of the table (``products``): its stocks, FX pairs and the listed months of its futures."""
    today = today or dt.datetime.now(dt.UTC).date()
    return [
        *(stock_spec(row) for row in STOCKS),
        *(fx_spec(row) for row in FX_PAIRS),
        *(spec for family in FUTURES for spec in listed_months(family, today)),
    ]


@dataclass(frozen=True, slots=True)
class ContractQuery:
    """The contract fields a client sends in a request."""

    con_id: int = 0
    symbol: str = ""
    sec_type: str = ""
    last_trade_date: str = ""
    strike: str = ""
    right: str = ""
    multiplier: str = ""
    exchange: str = ""
    primary_exchange: str = ""
    currency: str = ""
    local_symbol: str = ""
    trading_class: str = ""
    sec_id_type: str = ""
    sec_id: str = ""


class Universe:
    """Look contracts up the way IB does: by conId, or by the descriptive fields given. A CONTFUT request names a
    futures family and is answered with its front month (IB's continuous future)."""

    def __init__(self, specs: list[ContractSpec], families: tuple[FuturesFamily, ...] = FUTURES) -> None:
        self._specs = list(specs)
        self._by_id = {s.con_id: s for s in specs}
        self._by_local = {s.local_symbol: s for s in specs}
        self._by_symbol: dict[str, list[ContractSpec]] = {}
        for spec in specs:
            self._by_symbol.setdefault(spec.symbol, []).append(spec)
        self._families = {(f.symbol, f.exchange): f for f in families}

    def __iter__(self):
        return iter(self._specs)

    def by_con_id(self, con_id: int) -> ContractSpec | None:
        return self._by_id.get(con_id)

    def by_local_symbol(self, local_symbol: str) -> ContractSpec | None:
        return self._by_local.get(local_symbol)

    def match(self, query: ContractQuery, now: float | None = None) -> list[ContractSpec]:
        """All contracts the query describes (empty when none: IB's error 200); for CONTFUT, the family's front
        month at ``now`` (default: the wall clock) as a CONTFUT contract."""
        if query.sec_type == "CONTFUT":
            return self._continuous(query, time.time() if now is None else now)
        if query.con_id > 0:
            spec = self._by_id.get(query.con_id)
            return [spec] if spec and self._exchange_ok(spec, query.exchange) else []
        if query.local_symbol and not (query.sec_id_type and query.sec_id):
            spec = self._by_local.get(query.local_symbol.replace(" ", ""))
            candidates = [spec] if spec else []
        elif query.symbol and not (query.sec_id_type and query.sec_id):
            candidates = self._by_symbol.get(query.symbol, [])
        else:
            candidates = self._specs
        return [s for s in candidates if self._matches(s, query)]

    def front_month(self, symbol: str, exchange: str, now: float) -> ContractSpec | None:
        """The month IB's continuous future for ``symbol`` on ``exchange`` stands for at ``now``: the first whose
        roll date is still ahead."""
        family = self._families.get((symbol, exchange))
        if family is None:
            return None
        return self.continuous_months(family.symbol, family.exchange, now, now)[0][1]

    def continuous_months(
        self, symbol: str, exchange: str, start: float, end: float
    ) -> list[tuple[float, ContractSpec]]:
        """The months the continuous future stood for over [start, end], each with the time (Unix seconds, 00:00
        UTC of its predecessor's roll date) from which it did; the first from ``start``. Expired months are
        generated from the family's rules like the listed ones."""
        family = self._families[(symbol, exchange)]
        first = dt.datetime.fromtimestamp(start, dt.UTC).date()
        months = contract_months(family.months, family.last_trade, first.year - 1, first.month)
        result: list[tuple[float, ContractSpec]] = []
        since = start
        for month in months:
            spec = self._by_id.get(future_con_id(family.symbol, month[0], month[1])) or future_spec(family, *month)
            rolls = dt.datetime.strptime(spec.roll_date, "%Y%m%d").replace(tzinfo=dt.UTC).timestamp()
            if rolls <= start:
                continue
            result.append((since, spec))
            if rolls > end:
                return result
            since = rolls
        raise AssertionError("a month cycle never ends")  # pragma: no cover

    def _continuous(self, query: ContractQuery, now: float) -> list[ContractSpec]:
        named = self._by_id.get(query.con_id) if query.con_id > 0 else None
        symbol = named.symbol if named else query.symbol
        exchanges = [named.exchange] if named else [f.exchange for f in self._families.values() if f.symbol == symbol]
        if query.exchange:
            exchanges = [e for e in exchanges if e == query.exchange]
        fronts = [self.front_month(symbol, exchange, now) for exchange in exchanges]
        found = [spec for spec in fronts if spec is not None]
        if query.currency:
            found = [spec for spec in found if spec.currency == query.currency]
        return [dataclasses.replace(spec, sec_type="CONTFUT") for spec in found]

    @staticmethod
    def _exchange_ok(spec: ContractSpec, exchange: str) -> bool:
        if not exchange:
            return True
        valid = {*spec.valid_exchanges.split(","), spec.exchange, spec.primary_exchange, "SMART"}
        return exchange in valid - {""}

    def _matches(self, spec: ContractSpec, q: ContractQuery) -> bool:
        if q.sec_id_type and q.sec_id:
            return spec.sec_ids.get(q.sec_id_type.upper()) == q.sec_id
        if q.sec_type and q.sec_type != spec.sec_type:
            return False
        if q.local_symbol:
            if q.local_symbol.replace(" ", "") != spec.local_symbol:
                return False
        elif not q.symbol or q.symbol != spec.symbol:
            return False
        if q.currency and q.currency != spec.currency:
            return False
        if q.trading_class and q.trading_class != spec.trading_class:
            return False
        if q.last_trade_date and not spec.last_trade_date.startswith(q.last_trade_date):
            return False
        if q.multiplier and spec.multiplier and float(q.multiplier) != float(spec.multiplier):
            return False
        if q.primary_exchange and spec.primary_exchange and q.primary_exchange != spec.primary_exchange:
            return False
        return self._exchange_ok(spec, q.exchange)
