"""Instrument definitions for any IB contract, offline: an id (plus a few facts IB would state) → IB contract
details → NautilusTrader's own IB instrument parser, so a defined instrument is what the adapter builds live.

The id is read with the adapter's simplified symbology (`GBP/USD.IDEALPRO`, `AAPL.NASDAQ`, `ESH6.CME`,
`BTC/USD.PAXOS`). IB's conventions fill in what is not stated:

- FX on IDEALPRO: tick 0.00005 (0.005 for JPY-quoted pairs), size increment 1 — nothing else is needed.
- Stocks: currency USD on US exchanges, tick 0.01, no ISIN.
- Futures: need `multiplier`, `tick` and `expiry`; currency USD; underlying from the local symbol (ESH6 → ES).
- Crypto on PAXOS: need `tick`; size increment 0.00000001.
- US equity options, by their OCC symbol (`SPY   261218C00600000.SMART`: root padded to six, YYMMDD, C or P,
  strike x 1000 in eight digits): multiplier 100, tick 0.01, currency USD, underlying the root.

A definitions file is TOML with one `[[instruments]]` table per instrument:

    [[instruments]]
    id = "ESH6.CME"
    multiplier = "50"
    tick = "0.25"
    expiry = "2026-03-20"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import msgspec
import pandas as pd
from ibapi.tag_value import TagValue
from nautilus_trader.adapters.interactive_brokers.common import IBContract, IBContractDetails
from nautilus_trader.adapters.interactive_brokers.parsing.instruments import (
    instrument_id_to_ib_contract,
    parse_instrument,
)
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument

from nautilus_node.catalog.errors import CatalogInputError
from nautilus_node.ib.instrument_ids import STOCK_VENUES, id_problem, suggestions

DEFINE_HINT = "state it: catalog instruments define ID --tick .. --multiplier .. --expiry .. (or a TOML file)"


class InstrumentDefinition(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What to state about one contract; anything left out takes IB's convention for its type."""

    id: str
    tick: str | None = None
    multiplier: str | None = None
    expiry: str | None = None
    currency: str | None = None
    size_increment: str | None = None
    underlying: str | None = None
    isin: str | None = None
    con_id: int = 0
    name: str = ""


class _DefinitionsFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    instruments: list[InstrumentDefinition]


@dataclass(frozen=True)
class Defined:
    """An instrument built from a definition, and the conventions assumed for what was not stated."""

    instrument: Instrument
    assumed: list[str]


class DefinitionError(CatalogInputError):
    """A definition that lacks what its type needs, or an id no IB contract matches."""


def read_file(path: Path) -> list[InstrumentDefinition]:
    """The definitions in a TOML file; errors name the file and the key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return list(msgspec.convert(raw, _DefinitionsFile).instruments)
    except OSError as exc:
        raise CatalogInputError(path, f"cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogInputError(path, f"not TOML ({exc})") from None
    except msgspec.ValidationError as exc:
        raise CatalogInputError(path, str(exc)) from None


def contract_for(instrument_id: str) -> IBContract:
    """The IB contract an id names under the adapter's simplified symbology; IB's rules for ids checked first."""
    problem = id_problem(instrument_id)
    if problem is not None:
        meant = suggestions(instrument_id)
        hint = f"; did you mean {' or '.join(meant)}?" if meant else ""
        raise DefinitionError(instrument_id, f"{problem}{hint}")
    try:
        iid = InstrumentId.from_str(instrument_id)
        return instrument_id_to_ib_contract(iid, iid.venue.value)
    except ValueError as exc:
        raise DefinitionError(instrument_id, f"not an IB instrument id ({exc})") from None


def define(definition: InstrumentDefinition) -> Defined:
    """A NautilusTrader instrument from `definition`, parsed by the IB adapter; DefinitionError if it is short."""
    contract = contract_for(definition.id)
    assumed: list[str] = []

    def value(name: str, stated: str | None, default: str | None) -> str:
        if stated is not None:
            return stated
        if default is None:
            raise DefinitionError(
                definition.id, f"a {_KIND.get(contract.secType, contract.secType)} needs {name}; {DEFINE_HINT}"
            )
        assumed.append(f"{name} {default}")
        return default

    sec_type = contract.secType
    fields: dict = {"conId": definition.con_id, "exchange": contract.exchange or contract.primaryExchange}
    details: dict = {"longName": definition.name, "timeZoneId": "UTC", "priceMagnifier": 1}
    if sec_type in ("CASH", "CRYPTO"):
        fields["symbol"], fields["currency"] = contract.localSymbol.split(".")
        default_tick = ("0.005" if fields["currency"] == "JPY" else "0.00005") if sec_type == "CASH" else None
        details["minTick"] = _tick(definition, value("tick", definition.tick, default_tick))
        size = _size(
            definition, value("size increment", definition.size_increment, "1" if sec_type == "CASH" else "0.00000001")
        )
    elif sec_type in ("FUT", "CONTFUT"):
        fields["currency"] = value("currency", definition.currency, "USD")
        fields["multiplier"] = str(_size(definition, value("multiplier", definition.multiplier, None), "multiplier"))
        details["minTick"] = _tick(definition, value("tick", definition.tick, None))
        fields["lastTradeDateOrContractMonth"] = _expiry(definition, value("expiry", definition.expiry, None))
        symbol = contract.localSymbol or contract.symbol
        underlying = value("underlying", definition.underlying, symbol[:-2] if sec_type == "FUT" else symbol)
        fields["symbol"] = details["underSymbol"] = underlying
        size = Decimal(1)
    elif sec_type == "STK":
        us = contract.primaryExchange in STOCK_VENUES
        fields["currency"] = value("currency", definition.currency, "USD" if us else None)
        details["minTick"] = _tick(definition, value("tick", definition.tick, "0.01"))
        details["secIdList"] = [TagValue("ISIN", definition.isin or "-")]  # the parser insists on one
        size = Decimal(1)
    elif sec_type == "OPT":
        root, expiry, right, strike = _occ(definition, contract.localSymbol)
        fields.update(symbol=root, tradingClass=root, lastTradeDateOrContractMonth=expiry, right=right, strike=strike)
        fields["currency"] = value("currency", definition.currency, "USD")
        fields["multiplier"] = str(_size(definition, value("multiplier", definition.multiplier, "100"), "multiplier"))
        details["minTick"] = _tick(definition, value("tick", definition.tick, "0.01"))
        details["underSymbol"] = value("underlying", definition.underlying, root)
        details["underSecType"] = "STK"
        # The expiry day's regular session: the adapter's parser stamps the expiry at its close, in New York.
        details["timeZoneId"], details["tradingHours"] = "US/Eastern", f"{expiry}:0930-{expiry}:1600"
        size = Decimal(1)
    else:
        raise DefinitionError(definition.id, f"{sec_type} contracts are not defined offline; fetch them from IB")
    full = IBContractDetails(
        contract=msgspec.structs.replace(contract, **fields),
        minSize=size,
        sizeIncrement=size,
        suggestedSizeIncrement=size,
        **details,
    )
    try:
        parsed = parse_instrument(full, definition.id.rsplit(".", 1)[1])
    except (ValueError, TypeError) as exc:
        raise DefinitionError(definition.id, f"cannot build the instrument ({exc})") from None
    if str(parsed.id) != definition.id:
        raise DefinitionError(definition.id, f"IB's symbology reads this id as {parsed.id}; use that id")
    return Defined(_stamped(parsed, definition.isin), assumed)


_KIND = {
    "CASH": "FX pair",
    "CRYPTO": "crypto pair",
    "FUT": "future",
    "CONTFUT": "future",
    "STK": "stock",
    "OPT": "option",
}


def describe(defined: Defined) -> str:
    """One line: what was defined, and the conventions assumed for what was not stated."""
    instrument = defined.instrument
    kind = type(instrument).__name__
    assumed = f" (assumed IB conventions: {', '.join(defined.assumed)})" if defined.assumed else ""
    return f"defined {instrument.id} as {kind}{assumed}"


def _occ(definition: InstrumentDefinition, local_symbol: str) -> tuple[str, str, str, float]:
    """Root, expiry (YYYYMMDD), right and strike of an OCC option symbol (``SPY   261218C00600000``); an expiry
    stated besides the id's must agree with it."""
    root, rest = local_symbol[:6].strip(), local_symbol[6:]
    expiry = pd.Timestamp(f"20{rest[:6]}").strftime("%Y%m%d")
    if definition.expiry is not None and _expiry(definition, definition.expiry) != expiry:
        raise DefinitionError(definition.id, f"expiry {definition.expiry!r} is not the id's {expiry}")
    return root, expiry, rest[6], int(rest[7:]) / 1000


def _tick(definition: InstrumentDefinition, text: str) -> float:
    try:
        tick = float(text)
    except ValueError:
        tick = 0.0
    if not tick > 0:
        raise DefinitionError(definition.id, f"tick {text!r} is not a positive number")
    return tick


def _size(definition: InstrumentDefinition, text: str, name: str = "size increment") -> Decimal:
    try:
        size = Decimal(text)
    except ArithmeticError:
        size = Decimal(0)
    if not size > 0:
        raise DefinitionError(definition.id, f"{name} {text!r} is not a positive number")
    return size


def _expiry(definition: InstrumentDefinition, text: str) -> str:
    try:
        return pd.Timestamp(text).strftime("%Y%m%d")
    except ValueError:
        raise DefinitionError(definition.id, f"expiry {text!r} is not a date (YYYY-MM-DD)") from None


def _stamped(instrument: Instrument, isin: str | None) -> Instrument:
    """The instrument stamped at 0 (a definition is not an event; this keeps the catalog reproducible)."""
    values = type(instrument).to_dict(instrument)
    values["ts_event"] = values["ts_init"] = 0
    if "isin" in values and not isin:
        values["isin"] = None
    return type(instrument).from_dict(values)
