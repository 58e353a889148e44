"""The simulated gateway's universe of contracts and how a contract request is matched against it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from nautilus_node.ib.hours import (
    CME_GLOBEX_LIQUID,
    CME_GLOBEX_TRADING,
    FX,
    US_STOCK_LIQUID,
    US_STOCK_TRADING,
    WeeklyHours,
)

# IB's orderTypes list names order types and attributes; each contract lists only what the broker serves.
SERVED_ORDER_TYPES = "COND,CONDORDER,DAY,FOK,GTC,GTD,IOC,LMT,MKT,OCA,STP,STPLMT,TRAIL,TRAILLMT,WHATIF"


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
    expiries: list[dt.date] = []
    year, month = today.year, today.month
    while len(expiries) < count:
        if month in (3, 6, 9, 12):
            first = dt.date(year, month, 1)
            third_friday = first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)
            if third_friday >= today:
                expiries.append(third_friday)
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return expiries


_MONTH_CODES = "FGHJKMNQUVXZ"


def build_universe(today: dt.date | None = None) -> list[ContractSpec]:
    """SPY on ARCA, EUR.USD on IDEALPRO and the two front ES futures on CME."""
    today = today or dt.datetime.now(dt.UTC).date()
    spy = ContractSpec(
        con_id=756733,
        symbol="SPY",
        sec_type="STK",
        exchange="SMART",
        primary_exchange="ARCA",
        currency="USD",
        local_symbol="SPY",
        trading_class="SPY",
        min_tick=0.01,
        long_name="SPDR S&P 500 ETF TRUST",
        time_zone_id="US/Eastern",
        trading_week=US_STOCK_TRADING,
        liquid_week=US_STOCK_LIQUID,
        market_name="SPY",
        valid_exchanges="SMART,AMEX,NYSE,CBOE,PHLX,ISE,CHX,ARCA,NASDAQ,DRCTEDGE,BEX,BATS,EDGEA,IEX",
        industry="Funds",
        category="Equity Fund",
        subcategory="Large Cap",
        stock_type="ETF",
        market_rule_ids="26,26,26,26,26,26,26,26,26,26,26,26,26,26",
        start_price=580.0,
        spread_ticks=1,
        step_vol=0.0002,
        size_range=(1, 30),
        sec_ids={"ISIN": "US78462F1030"},
    )
    eurusd = ContractSpec(
        con_id=12087792,
        symbol="EUR",
        sec_type="CASH",
        exchange="IDEALPRO",
        primary_exchange="",
        currency="USD",
        local_symbol="EUR.USD",
        trading_class="EUR.USD",
        min_tick=0.00005,
        long_name="European Monetary Union Euro",
        time_zone_id="US/Eastern",
        trading_week=FX,
        liquid_week=FX,
        market_name="EUR.USD",
        valid_exchanges="IDEALPRO",
        market_rule_ids="239",
        min_size=Decimal(1),
        size_increment=Decimal(1),
        start_price=1.08,
        spread_ticks=1,
        step_vol=0.00004,
        size_range=(1_000_000, 10_000_000),
        has_trades=False,
    )
    futures = []
    for expiry in quarterly_expiries(today, 2):
        code = f"ES{_MONTH_CODES[expiry.month - 1]}{expiry.year % 10}"
        futures.append(
            ContractSpec(
                con_id=495512551 + expiry.year * 100 + expiry.month,
                symbol="ES",
                sec_type="FUT",
                exchange="CME",
                primary_exchange="",
                currency="USD",
                local_symbol=code,
                trading_class="ES",
                min_tick=0.25,
                long_name="E-mini S&P 500",
                time_zone_id="US/Central",
                trading_week=CME_GLOBEX_TRADING,
                liquid_week=CME_GLOBEX_LIQUID,
                market_name="ES",
                valid_exchanges="CME,QBALGO",
                multiplier="50",
                last_trade_date=expiry.strftime("%Y%m%d"),
                under_symbol="ES",
                under_sec_type="IND",
                market_rule_ids="67",
                start_price=5800.0,
                spread_ticks=1,
                step_vol=0.0002,
                size_range=(5, 60),
            )
        )
    return [spy, eurusd, *futures]


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
    """Look contracts up the way IB does: by conId, or by the descriptive fields given."""

    def __init__(self, specs: list[ContractSpec]) -> None:
        self._specs = list(specs)
        self._by_id = {s.con_id: s for s in specs}

    def __iter__(self):
        return iter(self._specs)

    def by_con_id(self, con_id: int) -> ContractSpec | None:
        return self._by_id.get(con_id)

    def by_local_symbol(self, local_symbol: str) -> ContractSpec | None:
        return next((s for s in self._specs if s.local_symbol == local_symbol), None)

    def match(self, query: ContractQuery) -> list[ContractSpec]:
        """All contracts the query describes (empty when none: IB's error 200)."""
        if query.con_id > 0:
            spec = self._by_id.get(query.con_id)
            return [spec] if spec and self._exchange_ok(spec, query.exchange) else []
        return [s for s in self._specs if self._matches(s, query)]

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
