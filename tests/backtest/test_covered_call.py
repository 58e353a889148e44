"""The covered call example backtests on a catalog: SPY quotes on a seeded walk and quotes of SPY's weekly calls
priced from them with the simulated gateway's Black-Scholes model and volatility surface (synthetic: no option
data ships), written to a catalog in a temp folder; the options are defined there by `catalog instruments
define` from their OCC symbols. The strategy buys 100 shares, sells the ~0.30-delta call, rolls it before it expires
(or once deep in the money) and sells the next one, paying IB's option and stock commissions."""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path

import pandas as pd
import pytest
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.backtest.command import backtest_command
from nautilus_node.catalog.instruments import define_instruments
from nautilus_node.simgateway.option_pricing import YEAR_SECONDS, VolSurface, black_scholes
from nautilus_node.simgateway.options import expiry_close, occ_symbol, quote_prices

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAYS = [dt.date(2030, 1, d) for d in (2, 3, 4, 7, 8, 9, 10, 11, 14, 15)]  # two trading weeks
EXPIRIES = [dt.date(2030, 1, 11), dt.date(2030, 1, 18), dt.date(2030, 1, 25)]
STRIKES = [580, 585, 590, 595, 600, 605]
SURFACE = VolSurface(base=0.16)


def _quote(instrument_id: InstrumentId, bid: float, ask: float, ts: pd.Timestamp, precision: int) -> QuoteTick:
    return QuoteTick(
        instrument_id,
        Price(bid, precision),
        Price(ask, precision),
        Quantity.from_int(50),
        Quantity.from_int(50),
        ts.value,
        ts.value,
    )


def _catalog(folder: Path) -> list[str]:
    """SPY and its calls with five-minute quotes over the two weeks; returns the option ids."""
    calls = [f"{occ_symbol('SPY', e, 'C', k)}.SMART" for e in EXPIRIES for k in STRIKES]
    define_instruments(folder, ["SPY.ARCA", *calls])
    rng, spot = random.Random(11), 580.0
    quotes: list[QuoteTick] = []
    for day in DAYS:
        opens = pd.Timestamp(f"{day} 09:30", tz="America/New_York").tz_convert("UTC")
        for step in range(78):  # 09:30 to 16:00
            ts = opens + pd.Timedelta(minutes=5 * step)
            spot *= math.exp(rng.gauss(0.0, 0.0008))
            quotes.append(
                _quote(InstrumentId.from_str("SPY.ARCA"), round(spot - 0.01, 2), round(spot + 0.01, 2), ts, 2)
            )
            for call in calls:
                expiry = dt.datetime.strptime(call[6:12], "%y%m%d").date()
                years = (expiry_close(expiry) - ts.timestamp()) / YEAR_SECONDS
                if years <= 0:
                    continue
                strike = int(call[13:21]) / 1000
                fair = black_scholes("C", spot, strike, years, SURFACE.vol(strike, spot, years)).price
                bid, ask = quote_prices(fair, wide=False)
                quotes.append(_quote(InstrumentId.from_str(call), bid, ask, ts, 2))
    ParquetDataCatalog(str(folder)).write_data(sorted(quotes, key=lambda q: q.ts_init))
    return calls


def _config(tmp_path: Path, calls: list[str]) -> Path:
    shipped = (PROJECT_ROOT / "configs" / "covered_call.toml").read_text(encoding="utf-8")
    strategy = shipped[shipped.index("[[strategies]]") : shipped.index("[status]")]
    strategy = strategy.replace("max_days = 45", "max_days = 10")  # only the next weekly: a roll each week
    data = "".join(f'[[backtest.data]]\nkind = "quotes"\ninstrument_id = "{i}"\n\n' for i in ["SPY.ARCA", *calls])
    venues = "".join(
        f'[[backtest.venues]]\nname = "{venue}"\naccount_type = "margin"\noms_type = "netting"\n'
        f'starting_balances = ["100000 USD"]\nleverage = 4\nfee_model = "ib"\n\n'
        for venue in ("ARCA", "SMART")
    )
    path = tmp_path / "covered_call_backtest.toml"
    path.write_text(
        f'{strategy}\n[backtest]\ncatalog = "{tmp_path / "catalog"}"\nresults = "{tmp_path / "results"}"\n'
        f'start = "2030-01-02"\nend = "2030-01-16"\n\n{data}{venues}',
        encoding="utf-8",
    )
    return path


def test_the_covered_call_sells_a_call_against_its_shares_and_rolls_it_before_expiry(tmp_path: Path) -> None:
    calls = _catalog(tmp_path / "catalog")
    outcome = backtest_command(_config(tmp_path, calls), progress=False)
    fills = pd.read_csv(outcome.directory / "fills.csv")
    fills["fee"] = fills["commission"].str.removesuffix(" USD").astype(float)
    stock = fills[fills["instrument_id"] == "SPY.ARCA"]
    assert set(stock["order_side"]) == {"BUY"} and stock["last_qty"].sum() == 100
    assert stock["fee"].sum() == pytest.approx(1.00)  # 100 shares x 0.005, IB's 1.00 per-order minimum
    options = fills[fills["instrument_id"] != "SPY.ARCA"]
    assert (options["last_qty"] == 1).all() and (options["fee"] == 1.00).all()  # 0.65, raised to the 1.00 minimum
    sides = list(zip(options["instrument_id"], options["order_side"], strict=True))
    first = sides[0]
    assert first[1] == "SELL" and first[0].startswith("SPY   300111C")
    assert 585 <= int(first[0][13:21]) / 1000 <= 600  # a ~0.30-delta call: out of the money
    rolls = [i for i, (instrument, side) in enumerate(sides) if side == "BUY"]
    assert rolls and all(sides[i + 1][1] == "SELL" for i in rolls if i + 1 < len(sides))  # bought back, resold
    expiry_of_first = pd.Timestamp(expiry_close(EXPIRIES[0]), unit="s", tz="UTC")
    bought_back_first = options[
        (options["instrument_id"].str.startswith("SPY   300111C")) & (options["order_side"] == "BUY")
    ]
    assert (pd.to_datetime(bought_back_first["ts_event"]) < expiry_of_first).all() and len(bought_back_first) >= 1
    assert any(i.startswith("SPY   300118C") and side == "SELL" for i, side in sides)  # rolled into the next weekly
