"""Reading client requests: the fields of each supported message into typed values.

Every parser takes the fields after the message id and raises :class:`MalformedRequest` when they do
not fit the layout, so a session can answer with IB's error 320 instead of failing. Across server
versions 157..200 a client changes these layouts only in fields after the ones read here (reqContractDetails'
issuerId, reqExecutions' lastNDays), with one exception whose parser takes the session's :class:`Wire`:
cancelOrder, whose leading version field goes away at ``CME_TAGGING_FIELDS``. placeOrder, read whole at
every version, is in :mod:`place_order`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from nautilus_node.ib.pacing import HistoricalRequest
from nautilus_node.simgateway.codec import UNSET_DOUBLE, UNSET_INTEGER
from nautilus_node.simgateway.contracts import ContractQuery
from nautilus_node.simgateway.versions import LATEST, Feature, Wire


class MalformedRequest(ValueError):
    """The request's fields do not match its layout."""


class UnsupportedRequest(ValueError):
    """The request reads, but asks for something this gateway does not serve (IB's 321 names it)."""


class FieldReader:
    """Sequential typed access to a request's text fields."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self._fields = fields
        self._pos = 0

    def text(self) -> str:
        if self._pos >= len(self._fields):
            raise MalformedRequest(f"expected more than {len(self._fields)} fields")
        value = self._fields[self._pos]
        self._pos += 1
        return value

    @property
    def at_end(self) -> bool:
        return self._pos >= len(self._fields)

    def int(self) -> int:
        raw = self.text()
        try:
            return int(raw) if raw else 0
        except ValueError:
            raise MalformedRequest(f"field {self._pos} is not an integer: {raw[:20]!r}") from None

    def bool(self) -> bool:
        return self.int() != 0

    def price(self) -> float | None:
        """A double that may be empty or IB's unset marker."""
        raw = self.text()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise MalformedRequest(f"field {self._pos} is not a number: {raw[:20]!r}") from None
        if not math.isfinite(value):
            raise MalformedRequest(f"field {self._pos} is not a finite number: {raw[:20]!r}")
        return None if value >= UNSET_DOUBLE or value == UNSET_INTEGER else value

    def decimal(self) -> Decimal:
        raw = self.text()
        try:
            value = Decimal(raw) if raw else Decimal(0)
        except InvalidOperation:
            raise MalformedRequest(f"field {self._pos} is not a decimal: {raw[:20]!r}") from None
        if not value.is_finite():
            raise MalformedRequest(f"field {self._pos} is not a finite decimal: {raw[:20]!r}")
        return value

    def contract(self, *, con_id: bool = True, primary_exchange: bool = True) -> ContractQuery:
        """The common contract block: [conId,] symbol .. localSymbol, tradingClass."""
        cid = self.int() if con_id else 0
        symbol, sec_type, last_trade_date = self.text(), self.text(), self.text()
        strike, right, multiplier, exchange = self.text(), self.text(), self.text(), self.text()
        primary = self.text() if primary_exchange else ""
        currency, local_symbol, trading_class = self.text(), self.text(), self.text()
        return ContractQuery(
            con_id=cid,
            symbol=symbol,
            sec_type=sec_type,
            last_trade_date=last_trade_date,
            strike=strike,
            right=right,
            multiplier=multiplier,
            exchange=exchange,
            primary_exchange=primary,
            currency=currency,
            local_symbol=local_symbol,
            trading_class=trading_class,
        )


@dataclass(frozen=True, slots=True)
class StartApi:
    client_id: int
    capabilities: str


@dataclass(frozen=True, slots=True)
class ContractDetailsRequest:
    req_id: int
    contract: ContractQuery


@dataclass(frozen=True, slots=True)
class ComboLeg:
    """One leg of a BAG contract: the leg's contract, how many of it per combo, and its side."""

    con_id: int
    ratio: int
    action: str
    exchange: str


@dataclass(frozen=True, slots=True)
class MarketDataRequest:
    req_id: int
    contract: ContractQuery
    generic_ticks: str
    snapshot: bool
    combo_legs: tuple[ComboLeg, ...] = ()


@dataclass(frozen=True, slots=True)
class TickByTickRequest:
    req_id: int
    contract: ContractQuery
    tick_type: str
    number_of_ticks: int
    ignore_size: bool


@dataclass(frozen=True, slots=True)
class RealTimeBarsRequest:
    req_id: int
    contract: ContractQuery
    bar_size: int
    what_to_show: str
    use_rth: bool


@dataclass(frozen=True, slots=True)
class HistoricalDataRequest:
    req_id: int
    contract: ContractQuery
    end: str
    bar_size: str
    duration: str
    use_rth: bool
    what_to_show: str
    format_date: int
    keep_up_to_date: bool

    @property
    def pacing(self) -> HistoricalRequest:
        c = self.contract
        query = (self.end, self.bar_size, self.duration, self.use_rth)
        return HistoricalRequest(_series(c, self.what_to_show), self.what_to_show, query)


@dataclass(frozen=True, slots=True)
class HistoricalTicksRequest:
    req_id: int
    contract: ContractQuery
    start: str
    end: str
    number_of_ticks: int
    what_to_show: str
    use_rth: bool
    ignore_size: bool

    @property
    def pacing(self) -> HistoricalRequest:
        query = ("ticks", self.start, self.end, self.number_of_ticks, self.use_rth)
        return HistoricalRequest(_series(self.contract, self.what_to_show), self.what_to_show, query)


def _series(c: ContractQuery, what: str) -> tuple[object, ...]:
    """What IB's burst rule groups requests by: the contract, its exchange and the data type."""
    return (c.con_id, c.symbol, c.sec_type, c.local_symbol, c.exchange, what)


@dataclass(frozen=True, slots=True)
class ExecutionFilter:
    req_id: int
    client_id: int
    account: str
    time: str
    symbol: str
    sec_type: str
    exchange: str
    side: str


@dataclass(frozen=True, slots=True)
class AccountSummaryRequest:
    req_id: int
    group: str
    tags: tuple[str, ...]


def parse_start_api(fields: tuple[str, ...]) -> StartApi:
    r = FieldReader(fields)
    r.int()  # version
    client_id = r.int()
    capabilities = r.text() if len(fields) > 2 else ""
    return StartApi(client_id, capabilities)


def parse_contract_details(fields: tuple[str, ...]) -> ContractDetailsRequest:
    r = FieldReader(fields)
    r.int()  # version
    req_id = r.int()
    c = r.contract()
    r.bool()  # includeExpired
    return ContractDetailsRequest(req_id, with_sec_id(c, r.text(), r.text()))


def with_sec_id(query: ContractQuery, sec_id_type: str, sec_id: str) -> ContractQuery:
    """``query`` with the security id fields a request sends after the contract block."""
    values = {name: getattr(query, name) for name in query.__dataclass_fields__}
    return ContractQuery(**{**values, "sec_id_type": sec_id_type, "sec_id": sec_id})


def _skip_combo_legs(r: FieldReader, contract: ContractQuery, per_leg: int) -> None:
    if contract.sec_type == "BAG":
        for _ in range(r.int()):
            for _ in range(per_leg):
                r.text()


def parse_market_data(fields: tuple[str, ...]) -> MarketDataRequest:
    r = FieldReader(fields)
    r.int()  # version
    req_id = r.int()
    c = r.contract()
    legs: tuple[ComboLeg, ...] = ()
    if c.sec_type == "BAG":
        legs = tuple(ComboLeg(r.int(), r.int(), r.text(), r.text()) for _ in range(r.int()))
    if r.bool():  # delta-neutral contract
        r.text(), r.text(), r.text()
    generic_ticks = r.text()
    snapshot = r.bool()
    return MarketDataRequest(req_id, c, generic_ticks, snapshot, legs)


def parse_tick_by_tick(fields: tuple[str, ...]) -> TickByTickRequest:
    r = FieldReader(fields)
    req_id = r.int()
    c = r.contract()
    tick_type = r.text()
    number_of_ticks = r.int()
    ignore_size = r.bool()
    return TickByTickRequest(req_id, c, tick_type, number_of_ticks, ignore_size)


def parse_real_time_bars(fields: tuple[str, ...]) -> RealTimeBarsRequest:
    r = FieldReader(fields)
    r.int()  # version
    req_id = r.int()
    c = r.contract()
    bar_size = r.int()
    what = r.text()
    use_rth = r.bool()
    return RealTimeBarsRequest(req_id, c, bar_size, what, use_rth)


def parse_historical_data(fields: tuple[str, ...]) -> HistoricalDataRequest:
    r = FieldReader(fields)
    req_id = r.int()
    c = r.contract()
    r.bool()  # includeExpired
    end, bar_size, duration = r.text(), r.text(), r.text()
    use_rth = r.bool()
    what = r.text()
    format_date = r.int()
    _skip_combo_legs(r, c, 4)
    keep_up_to_date = r.bool()
    return HistoricalDataRequest(req_id, c, end, bar_size, duration, use_rth, what, format_date, keep_up_to_date)


def parse_historical_ticks(fields: tuple[str, ...]) -> HistoricalTicksRequest:
    """reqHistoricalTicks: reqId, contract, includeExpired, start, end, numberOfTicks, whatToShow, useRth,
    ignoreSize, miscOptions (no version field; the same layout at every server version 157..200)."""
    r = FieldReader(fields)
    req_id = r.int()
    c = r.contract()
    r.bool()  # includeExpired
    start, end = r.text(), r.text()
    number_of_ticks = r.int()
    what = r.text()
    use_rth = r.bool()
    ignore_size = r.bool()
    r.text()  # miscOptions
    return HistoricalTicksRequest(req_id, c, start, end, number_of_ticks, what, use_rth, ignore_size)


def parse_cancel_order(fields: tuple[str, ...], v: Wire = LATEST) -> int:
    """cancelOrder [version,] orderId, ...: the version field is sent before ``CME_TAGGING_FIELDS``."""
    r = FieldReader(fields)
    if not v.has(Feature.CME_TAGGING_FIELDS):
        r.int()  # version
    return r.int()


def parse_executions(fields: tuple[str, ...]) -> ExecutionFilter:
    r = FieldReader(fields)
    r.int()  # version
    req_id = r.int()
    client_id = r.int()
    account, time, symbol, sec_type, exchange, side = (r.text() for _ in range(6))
    return ExecutionFilter(req_id, client_id, account, time, symbol, sec_type, exchange, side)


def parse_account_summary(fields: tuple[str, ...]) -> AccountSummaryRequest:
    r = FieldReader(fields)
    r.int()  # version
    req_id = r.int()
    group = r.text()
    tags = tuple(t.strip() for t in r.text().split(",") if t.strip())
    return AccountSummaryRequest(req_id, group, tags)


@dataclass(frozen=True, slots=True)
class SecDefOptParamsRequest:
    """reqSecDefOptParams: the option chains of one underlying."""

    req_id: int
    underlying_symbol: str
    fut_fop_exchange: str
    underlying_sec_type: str
    underlying_con_id: int


def parse_sec_def_opt_params(fields: tuple[str, ...]) -> SecDefOptParamsRequest:
    """[reqId, underlyingSymbol, futFopExchange, underlyingSecType, underlyingConId] (no version field)."""
    r = FieldReader(fields)
    return SecDefOptParamsRequest(r.int(), r.text(), r.text(), r.text(), r.int())


def parse_versioned_id(fields: tuple[str, ...]) -> int:
    """Requests laid out as [version, id] (cancels, reqIds, market data type, ...)."""
    r = FieldReader(fields)
    r.int()
    return r.int()


def parse_plain_id(fields: tuple[str, ...]) -> int:
    """Requests laid out as [id] (cancelTickByTick, cancelPnL, ...)."""
    return FieldReader(fields).int()


def parse_account_updates(fields: tuple[str, ...]) -> tuple[bool, str]:
    r = FieldReader(fields)
    r.int()  # version
    return r.bool(), r.text()


def parse_pnl(fields: tuple[str, ...]) -> tuple[int, str, int]:
    """reqPnL [reqId, account, modelCode] or reqPnLSingle [... , conId]; conId 0 for reqPnL."""
    r = FieldReader(fields)
    req_id, account = r.int(), r.text()
    r.text()  # modelCode
    con_id = r.int() if len(fields) > 3 else 0
    return req_id, account, con_id
