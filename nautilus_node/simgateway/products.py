"""The simulated gateway's product table: one row per product (a stock, an FX pair, a futures family), from which
``contracts.build_universe`` generates the contracts.

Con ids are IB's own where they are public and well known (``real_con_id``); every other contract gets a stable id
generated from its symbol in 2,000,000,000..2,147,483,647, above the ids IB has handed out, so a generated id
never names a real contract (``contracts.generated_con_id``). Prices are late-2025 levels; the walk moves on
from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from nautilus_node.ib.hours import (
    CBOT_GRAINS_LIQUID,
    CBOT_GRAINS_TRADING,
    CBOT_RATES_LIQUID,
    CME_GLOBEX_LIQUID,
    CME_GLOBEX_TRADING,
    COMEX_METALS_LIQUID,
    NYMEX_ENERGY_LIQUID,
    WeeklyHours,
)


@dataclass(frozen=True, slots=True)
class StockRow:
    """A US stock or ETF on SMART with its primary listing."""

    symbol: str
    primary_exchange: str
    long_name: str
    price: float
    isin: str
    real_con_id: int = 0
    stock_type: str = "COMMON"
    industry: str = ""


@dataclass(frozen=True, slots=True)
class FxRow:
    """A spot FX pair on IDEALPRO, ``BASE.QUOTE``."""

    pair: str
    price: float
    real_con_id: int = 0


@dataclass(frozen=True, slots=True)
class FuturesFamily:
    """A futures product: its listed month cycle, how its last trade date falls, and its contract terms.

    ``months`` are IB's month codes of the cycle; ``listed`` how many months from the front are served;
    ``last_trade`` names a rule of ``expiries.last_trade_date``; ``roll_days`` how many calendar days before the
    last trade date IB's continuous future (CONTFUT) moves on to the next month."""

    symbol: str
    exchange: str
    long_name: str
    multiplier: str
    min_tick: float
    price: float
    months: str
    last_trade: str
    listed: int
    roll_days: int
    under_sec_type: str
    trading_week: WeeklyHours
    liquid_week: WeeklyHours
    step_vol: float = 0.00005
    size_range: tuple[int, int] = (5, 60)


STOCKS: tuple[StockRow, ...] = (
    StockRow("SPY", "ARCA", "SPDR S&P 500 ETF TRUST", 580.0, "US78462F1030", 756733, "ETF", "Funds"),
    StockRow("QQQ", "NASDAQ", "INVESCO QQQ TRUST SERIES 1", 500.0, "US46090E1038", 320227952, "ETF", "Funds"),
    StockRow("IWM", "ARCA", "ISHARES RUSSELL 2000 ETF", 225.0, "US4642876555", 0, "ETF", "Funds"),
    StockRow("DIA", "ARCA", "SPDR DOW JONES INDUSTRIAL AVERAGE ETF", 440.0, "US78467X1090", 0, "ETF", "Funds"),
    StockRow("GLD", "ARCA", "SPDR GOLD SHARES", 245.0, "US78463V1070", 0, "ETF", "Funds"),
    StockRow("TLT", "NASDAQ", "ISHARES 20+ YEAR TREASURY BOND ETF", 92.0, "US4642874329", 0, "ETF", "Funds"),
    StockRow("XLF", "ARCA", "FINANCIAL SELECT SECTOR SPDR FUND", 48.0, "US81369Y6059", 0, "ETF", "Funds"),
    StockRow("AAPL", "NASDAQ", "APPLE INC", 230.0, "US0378331005", 265598, industry="Technology"),
    StockRow("MSFT", "NASDAQ", "MICROSOFT CORP", 420.0, "US5949181045", 272093, industry="Technology"),
    StockRow("NVDA", "NASDAQ", "NVIDIA CORP", 140.0, "US67066G1040", 4815747, industry="Technology"),
    StockRow("AMZN", "NASDAQ", "AMAZON.COM INC", 200.0, "US0231351067", 3691937, industry="Communications"),
    StockRow("TSLA", "NASDAQ", "TESLA INC", 350.0, "US88160R1014", 76792991, industry="Consumer, Cyclical"),
    StockRow(
        "META", "NASDAQ", "META PLATFORMS INC-CLASS A", 580.0, "US30303M1027", 107113386, industry="Communications"
    ),
    StockRow("GOOGL", "NASDAQ", "ALPHABET INC-CL A", 175.0, "US02079K3059", 208813719, industry="Communications"),
    StockRow("AMD", "NASDAQ", "ADVANCED MICRO DEVICES", 140.0, "US0079031078", 4391, industry="Technology"),
    StockRow("INTC", "NASDAQ", "INTEL CORP", 22.0, "US4581401001", 270639, industry="Technology"),
    StockRow("AVGO", "NASDAQ", "BROADCOM INC", 170.0, "US11135F1012", industry="Technology"),
    StockRow("NFLX", "NASDAQ", "NETFLIX INC", 900.0, "US64110L1061", industry="Communications"),
    StockRow("COST", "NASDAQ", "COSTCO WHOLESALE CORP", 950.0, "US22160K1051", industry="Consumer, Non-cyclical"),
    StockRow("CSCO", "NASDAQ", "CISCO SYSTEMS INC", 58.0, "US17275R1023", industry="Communications"),
    StockRow("PLTR", "NASDAQ", "PALANTIR TECHNOLOGIES INC-A", 65.0, "US69608A1088", industry="Technology"),
    StockRow("COIN", "NASDAQ", "COINBASE GLOBAL INC -CLASS A", 280.0, "US19260Q1076", industry="Financial"),
    StockRow("JPM", "NYSE", "JPMORGAN CHASE & CO", 240.0, "US46625H1005", industry="Financial"),
    StockRow("BAC", "NYSE", "BANK OF AMERICA CORP", 45.0, "US0605051046", industry="Financial"),
    StockRow("V", "NYSE", "VISA INC-CLASS A SHARES", 300.0, "US92826C8394", industry="Financial"),
    StockRow("MA", "NYSE", "MASTERCARD INC - A", 520.0, "US57636Q1040", industry="Financial"),
    StockRow("XOM", "NYSE", "EXXON MOBIL CORP", 115.0, "US30231G1022", industry="Energy"),
    StockRow("JNJ", "NYSE", "JOHNSON & JOHNSON", 155.0, "US4781601046", industry="Consumer, Non-cyclical"),
    StockRow("UNH", "NYSE", "UNITEDHEALTH GROUP INC", 520.0, "US91324P1021", industry="Consumer, Non-cyclical"),
    StockRow("WMT", "NYSE", "WALMART INC", 90.0, "US9311421039", industry="Consumer, Cyclical"),
    StockRow("KO", "NYSE", "COCA-COLA CO/THE", 63.0, "US1912161007", industry="Consumer, Non-cyclical"),
    StockRow("DIS", "NYSE", "WALT DISNEY CO/THE", 110.0, "US2546871060", industry="Communications"),
    StockRow("PFE", "NYSE", "PFIZER INC", 26.0, "US7170811035", industry="Consumer, Non-cyclical"),
    StockRow("ORCL", "NYSE", "ORACLE CORP", 170.0, "US68389X1054", industry="Technology"),
    StockRow("CRM", "NYSE", "SALESFORCE INC", 330.0, "US79466L3024", industry="Technology"),
    StockRow("BA", "NYSE", "BOEING CO/THE", 170.0, "US0970231058", industry="Industrial"),
    StockRow("UBER", "NYSE", "UBER TECHNOLOGIES INC", 70.0, "US90353T1007", industry="Communications"),
)

# IB's longName of a CASH pair is its base currency's name.
CURRENCY_NAMES = {
    "EUR": "European Monetary Union Euro",
    "GBP": "British pound",
    "USD": "US dollar",
    "JPY": "Japanese yen",
    "CHF": "Swiss franc",
    "AUD": "Australian dollar",
    "CAD": "Canadian dollar",
    "NZD": "New Zealand dollar",
}

FX_PAIRS: tuple[FxRow, ...] = (
    FxRow("EUR.USD", 1.08, 12087792),
    FxRow("GBP.USD", 1.27, 12087797),
    FxRow("USD.JPY", 150.0, 15016059),
    FxRow("AUD.USD", 0.66, 14433401),
    FxRow("USD.CHF", 0.88),
    FxRow("USD.CAD", 1.38),
    FxRow("NZD.USD", 0.60),
    FxRow("EUR.GBP", 0.85),
    FxRow("EUR.JPY", 162.0),
    FxRow("GBP.JPY", 190.5),
    FxRow("EUR.CHF", 0.95),
    FxRow("AUD.JPY", 99.0),
    FxRow("EUR.AUD", 1.64),
    FxRow("EUR.CAD", 1.49),
    FxRow("GBP.CHF", 1.12),
    FxRow("CHF.JPY", 170.5),
    FxRow("CAD.JPY", 108.7),
    FxRow("NZD.JPY", 90.0),
    FxRow("AUD.NZD", 1.10),
    FxRow("AUD.CAD", 0.91),
    FxRow("GBP.AUD", 1.92),
)

_GLOBEX = (CME_GLOBEX_TRADING, CME_GLOBEX_LIQUID)
_ENERGY = (CME_GLOBEX_TRADING, NYMEX_ENERGY_LIQUID)
_METALS = (CME_GLOBEX_TRADING, COMEX_METALS_LIQUID)
_RATES = (CME_GLOBEX_TRADING, CBOT_RATES_LIQUID)
_GRAINS = (CBOT_GRAINS_TRADING, CBOT_GRAINS_LIQUID)
MONTHLY = "FGHJKMNQUVXZ"

_F = FuturesFamily
# fmt: off
FUTURES: tuple[FuturesFamily, ...] = (
    # symbol, exchange, long name, multiplier, tick, price, months, last trade rule, listed, roll days, underlying
    # type, trading and regular hours, walk volatility
    _F("ES", "CME", "E-mini S&P 500", "50", 0.25, 5800.0, "HMUZ", "third_friday", 4, 8, "IND", *_GLOBEX),
    _F("NQ", "CME", "E-mini Nasdaq-100", "20", 0.25, 20500.0, "HMUZ", "third_friday", 4, 8, "IND", *_GLOBEX),
    _F("RTY", "CME", "E-mini Russell 2000", "50", 0.1, 2250.0, "HMUZ", "third_friday", 4, 8, "IND", *_GLOBEX),
    _F("MES", "CME", "Micro E-mini S&P 500", "5", 0.25, 5800.0, "HMUZ", "third_friday", 4, 8, "IND", *_GLOBEX),
    _F("MNQ", "CME", "Micro E-mini Nasdaq-100", "2", 0.25, 20500.0, "HMUZ", "third_friday", 4, 8, "IND", *_GLOBEX),
    _F("YM", "CBOT", "E-mini Dow Jones ($5)", "5", 1.0, 43000.0, "HMUZ", "third_friday", 4, 8, "IND", *_GLOBEX),
    _F("CL", "NYMEX", "Light Sweet Crude Oil", "1000", 0.01, 70.0, MONTHLY, "crude_oil", 6, 3, "CMDTY", *_ENERGY, 8e-5),
    _F("NG", "NYMEX", "Henry Hub Natural Gas", "10000", 0.001, 3.2, MONTHLY, "natural_gas", 6, 3, "CMDTY", *_ENERGY),
    _F("GC", "COMEX", "Gold", "100", 0.1, 2650.0, "GJMQVZ", "third_last_weekday", 4, 30, "CMDTY", *_METALS),
    _F("SI", "COMEX", "Silver", "5000", 0.005, 31.0, "HKNUZ", "third_last_weekday", 4, 30, "CMDTY", *_METALS, 8e-5),
    _F("ZN", "CBOT", "10-Year T-Note", "1000", 0.015625, 110.0, "HMUZ", "treasury_note", 3, 30, "BOND", *_RATES, 2e-5),
    _F("ZB", "CBOT", "US Treasury Bond", "1000", 0.03125, 117.0, "HMUZ", "treasury_note", 3, 30, "BOND", *_RATES, 3e-5),
    _F("ZC", "CBOT", "Corn", "50", 0.25, 450.0, "HKNUZ", "before_15th", 4, 15, "CMDTY", *_GRAINS),  # cents
    _F("ZS", "CBOT", "Soybeans", "50", 0.25, 1000.0, "FHKNQUX", "before_15th", 4, 15, "CMDTY", *_GRAINS),  # cents
)
# fmt: on
