"""EUR/USD as Interactive Brokers defines it, parsed by NautilusTrader's own IB instrument parser."""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.adapters.interactive_brokers.common import IBContract, IBContractDetails
from nautilus_trader.adapters.interactive_brokers.parsing.instruments import parse_instrument
from nautilus_trader.model.instruments import CurrencyPair

EURUSD_CON_ID = 12087792
IB_VENUE = "IDEALPRO"


def eurusd_contract_details() -> IBContractDetails:
    """IB's contract details for EUR.USD CASH on IDEALPRO (conId 12087792, minTick 0.00005)."""
    contract = IBContract(
        secType="CASH",
        conId=EURUSD_CON_ID,
        symbol="EUR",
        exchange=IB_VENUE,
        currency="USD",
        localSymbol="EUR.USD",
        tradingClass="EUR.USD",
    )
    return IBContractDetails(
        contract=contract,
        marketName="EUR.USD",
        minTick=0.00005,
        validExchanges=IB_VENUE,
        priceMagnifier=1,
        longName="European Monetary Union Euro",
        timeZoneId="US/Eastern",
        aggGroup=4,
        marketRuleIds="239",
        minSize=Decimal(1),
        sizeIncrement=Decimal(1),
        suggestedSizeIncrement=Decimal(1),
    )


def eurusd_instrument(ts: int = 0) -> CurrencyPair:
    """The `EUR/USD.IDEALPRO` CurrencyPair exactly as the IB adapter parses it, stamped at `ts` (ns).

    The adapter stamps instruments with the wall clock; a fixed stamp keeps the catalog reproducible.
    """
    parsed = parse_instrument(eurusd_contract_details(), IB_VENUE)
    values = CurrencyPair.to_dict(parsed)
    values["ts_event"] = ts
    values["ts_init"] = ts
    return CurrencyPair.from_dict(values)
