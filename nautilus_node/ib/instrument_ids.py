"""IB's rules for an instrument id in the adapter's simplified symbology (`EUR/USD.IDEALPRO`, `SPY.ARCA`,
`ESH6.CME`, `BTC/USD.PAXOS`), checked wherever an id enters (import, define, fetch, order, config):

- IDEALPRO trades FX pairs only, written `BASE/QUOTE` in two different ISO 4217 currency codes;
- the crypto venues (PAXOS, ZEROHASH) trade pairs written `BASE/QUOTE`;
- stock exchanges list stocks, whose symbols have no `/`;
- a venue without a rule here (futures exchanges, foreign stock exchanges) is left to IB to judge.

A refused id comes with a "did you mean" from the id itself (`EURUSD.IDEALPRO` → `EUR/USD.IDEALPRO`) and from
the instruments the caller knows (the catalog's, the gateway's, the config's).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from nautilus_trader.model import currencies
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Currency

from nautilus_node.errors import InputError

FX_VENUES = frozenset({"IDEALPRO"})
CRYPTO_VENUES = frozenset({"PAXOS", "ZEROHASH"})
STOCK_VENUES = frozenset({"NASDAQ", "NYSE", "ARCA", "AMEX", "BATS", "IEX", "SMART", "ISLAND", "NYSEARCA"})
FIAT_CODES = tuple(  # NautilusTrader's built-in fiat currencies: the codes a typo is matched against
    sorted(
        {
            value.code
            for value in vars(currencies).values()
            if isinstance(value, Currency) and Currency.is_fiat(value.code)
        }
    )
)
FALLBACK_QUOTE = "USD"  # what an FX pair with one bad leg is most likely quoted in


class InstrumentIdError(InputError):
    """An id IB's symbology refuses: one line naming it, why, and what was probably meant."""


def id_problem(text: str) -> str | None:
    """Why IB would refuse `text` as an instrument id; `None` when it follows IB's rules."""
    try:
        instrument_id = InstrumentId.from_str(text)
    except ValueError:
        return 'not an instrument id (SYMBOL.VENUE, e.g. "EUR/USD.IDEALPRO" or "SPY.ARCA")'
    symbol, venue = instrument_id.symbol.value, instrument_id.venue.value
    if venue in FX_VENUES:
        base, slash, quote = symbol.partition("/")
        if not slash:
            return f"{venue} trades FX pairs only, written BASE/QUOTE (e.g. EUR/USD.{venue}); {symbol} is not one"
        bad = [code for code in (base, quote) if not _is_iso_4217(code)]
        if bad:
            return (
                f"{', '.join(bad)} {'is not an ISO 4217 currency code' if len(bad) == 1 else 'are not ISO 4217 codes'}"
            )
        if base == quote:
            return f"an FX pair needs two different currencies, not {base} twice"
    elif venue in CRYPTO_VENUES and "/" not in symbol:
        return f"{venue} trades crypto pairs, written BASE/QUOTE (e.g. BTC/USD.{venue})"
    elif venue in STOCK_VENUES and "/" in symbol:
        return f"{venue} lists stocks; BASE/QUOTE is a pair (FX pairs trade on IDEALPRO, e.g. {symbol}.IDEALPRO)"
    return None


def suggestions(text: str, known: Iterable[str] = ()) -> list[str]:
    """Ids `text` probably meant: a valid form of the id itself, then the closest of the `known` ids."""
    shaped = [candidate for candidate in _reshaped(text) if id_problem(candidate) is None]
    known = [k for k in dict.fromkeys(known) if k != text]
    by_key = {_key(k): k for k in known}
    same = [by_key[_key(text)]] if _key(text) in by_key else []
    symbols = {k: k.rpartition(".")[0].upper() for k in known}
    symbol = text.rpartition(".")[0] or text
    close = difflib.get_close_matches(symbol.upper(), list(symbols.values()), n=3, cutoff=0.6)
    near = [k for c in close for k in known if symbols[k] == c]
    return list(dict.fromkeys([*same, *shaped] or near))[:3]


def check_instrument_id(text: str, known: Iterable[str] = (), where: str = "instrument") -> InstrumentId:
    """`text` as an InstrumentId when IB's rules allow it; otherwise `InstrumentIdError` naming `where`, the id,
    the reason and what was probably meant."""
    problem = id_problem(text)
    if problem is None:
        return InstrumentId.from_str(text)
    meant = suggestions(text, known)
    hint = f"; did you mean {' or '.join(meant)}?" if meant else ""
    raise InstrumentIdError(f"{where} {text!r}: {problem}{hint}")


def _key(text: str) -> str:
    return text.upper().replace("/", "")


def _reshaped(text: str) -> list[str]:
    """The id written as IB's symbology wants it, where its shape tells: `EURUSD.IDEALPRO` → `EUR/USD.IDEALPRO`,
    `AUD/XYZ.IDEALPRO` → `AUD/USD.IDEALPRO` (the nearest code, else USD), `EUR/USD.NASDAQ` → `EUR/USD.IDEALPRO`."""
    symbol, dot, venue = text.upper().rpartition(".")
    if not dot:
        return []
    if venue in FX_VENUES or (venue in STOCK_VENUES and "/" in symbol):
        base, slash, quote = symbol.partition("/")
        if not slash and len(symbol) == 6:
            base, quote = symbol[:3], symbol[3:]
        if not (base and quote):
            return []
        base = _nearest_fiat(base, quote)
        quote = _nearest_fiat(quote, base) if quote != base else _other_than(base)
        return [f"{base}/{quote}.IDEALPRO"]
    if venue in CRYPTO_VENUES and len(symbol) in (6, 7):
        return [f"{symbol[:-3]}/{symbol[-3:]}.{venue}"]
    return []


def _is_iso_4217(code: str) -> bool:
    """A fiat currency NautilusTrader knows by its ISO 4217 code."""
    return len(code) == 3 and code.isalpha() and code.isupper() and Currency.is_fiat(code)


def _nearest_fiat(code: str, other: str) -> str:
    if _is_iso_4217(code):
        return code
    close = difflib.get_close_matches(code, [c for c in FIAT_CODES if c != other], n=1, cutoff=0.67)
    return close[0] if close else _other_than(other)


def _other_than(code: str) -> str:
    return FALLBACK_QUOTE if code != FALLBACK_QUOTE else "EUR"
