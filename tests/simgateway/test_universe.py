"""The generated universe as plain function calls: what the product table makes of stocks, FX pairs and futures
months, IB's last-trade-date rules, and the continuous future (CONTFUT) standing for its front month."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from nautilus_node.ib.expiries import last_trade_date
from nautilus_node.simgateway.bars import ROLL_PREMIUM, continuous_bars
from nautilus_node.simgateway.contracts import ContractQuery, Universe, build_universe
from nautilus_node.simgateway.products import FUTURES, FX_PAIRS, STOCKS

TODAY = dt.date(2026, 12, 7)
UNIVERSE = Universe(build_universe(TODAY))
MOST_TRADED = {"SPY", "QQQ", "IWM", "AAPL", "MSFT", "NVDA", "AMZN", "TSLA", "META", "GOOGL", "AMD"}
MAJORS_AND_CROSSES = {
    "EUR.USD", "GBP.USD", "USD.JPY", "USD.CHF", "AUD.USD", "USD.CAD", "NZD.USD",
    "EUR.GBP", "EUR.JPY", "GBP.JPY", "EUR.CHF", "AUD.JPY",
}  # fmt: skip


def _at(day: str, hour: int = 12) -> float:
    return dt.datetime.strptime(day, "%Y%m%d").replace(hour=hour, tzinfo=dt.UTC).timestamp()


def _isin_check_digit_ok(isin: str) -> bool:
    """ISO 6166: letters to numbers (A=10), then the Luhn check over the digits."""
    digits = "".join(str(int(c, 36)) for c in isin)
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def test_the_universe_has_the_most_traded_stocks_every_major_pair_and_the_futures_families() -> None:
    stocks = {s.symbol for s in UNIVERSE if s.sec_type == "STK"}
    pairs = {s.local_symbol for s in UNIVERSE if s.sec_type == "CASH"}
    families = {s.symbol for s in UNIVERSE if s.sec_type == "FUT"}
    assert len(stocks) >= 30 and stocks >= MOST_TRADED
    assert pairs >= MAJORS_AND_CROSSES
    assert {"ES", "NQ", "RTY", "YM", "MES", "MNQ", "CL", "NG", "GC", "SI", "ZN", "ZB", "ZC", "ZS"} <= families
    assert len(STOCKS) + len(FX_PAIRS) + sum(f.listed for f in FUTURES) == len(list(UNIVERSE))


def test_con_ids_are_ibs_where_public_and_otherwise_generated_above_ibs_range_without_collisions() -> None:
    ids = Counter(s.con_id for s in UNIVERSE)
    assert max(ids.values()) == 1
    real = {"SPY": 756733, "AAPL": 265598, "MSFT": 272093, "QQQ": 320227952, "EUR.USD": 12087792}
    for local_symbol, con_id in real.items():
        assert UNIVERSE.by_local_symbol(local_symbol).con_id == con_id
    known = {row.real_con_id for row in (*STOCKS, *FX_PAIRS) if row.real_con_id}
    assert all(s.con_id in known or 2_000_000_000 <= s.con_id < 2**31 for s in UNIVERSE)
    assert Universe(build_universe(TODAY)).by_local_symbol("NQH7").con_id == UNIVERSE.by_local_symbol("NQH7").con_id


def test_every_stock_is_a_us_listing_on_smart_with_a_valid_isin_and_stock_hours() -> None:
    for spec in (s for s in UNIVERSE if s.sec_type == "STK"):
        assert spec.exchange == "SMART" and spec.primary_exchange in {"NASDAQ", "NYSE", "ARCA"}, spec.symbol
        assert spec.min_tick == 0.01 and spec.currency == "USD" and spec.time_zone_id == "US/Eastern"
        assert _isin_check_digit_ok(spec.sec_ids["ISIN"]) and spec.sec_ids["ISIN"].startswith("US"), spec.symbol
        assert spec.trading_week.calendar == "XNYS" and spec.liquid_week.calendar == "XNYS"
    assert UNIVERSE.by_local_symbol("AAPL").primary_exchange == "NASDAQ"
    assert UNIVERSE.by_local_symbol("JPM").primary_exchange == "NYSE"


def test_fx_pairs_tick_in_half_pips_except_yen_pairs_and_trade_in_units_of_one() -> None:
    for spec in (s for s in UNIVERSE if s.sec_type == "CASH"):
        base, quote = spec.local_symbol.split(".")
        assert (spec.symbol, spec.currency, spec.exchange) == (base, quote, "IDEALPRO")
        assert spec.min_tick == (0.005 if quote == "JPY" else 0.00005), spec.local_symbol
        assert spec.min_size == 1 and spec.size_increment == 1 and not spec.has_trades
    assert UNIVERSE.by_local_symbol("GBP.USD").long_name == "British pound"


@pytest.mark.parametrize(
    ("symbol", "months"),
    [("ES", "ZHMU"), ("ZN", "ZHM"), ("CL", "FGHJKM"), ("NG", "FGHJKM"), ("GC", "ZGJM"), ("SI", "ZHKN"), ("ZS", "FHKN")],
)
def test_futures_list_their_real_month_cycles_from_the_front(symbol: str, months: str) -> None:
    listed = [s.local_symbol for s in UNIVERSE if s.sec_type == "FUT" and s.symbol == symbol]
    assert [code[len(symbol)] for code in listed] == list(months)
    assert all(code[-1] in "67" for code in listed)


@pytest.mark.parametrize(
    ("rule", "year", "month", "expected"),
    [
        ("third_friday", 2025, 12, "20251219"),  # ESZ5
        ("crude_oil", 2025, 5, "20250422"),  # CLK5: three business days before April 25
        ("natural_gas", 2026, 1, "20251229"),  # NGF6
        ("third_last_weekday", 2025, 12, "20251229"),  # GCZ5
        ("treasury_note", 2026, 3, "20260320"),  # ZNH6
        ("before_15th", 2026, 3, "20260313"),  # ZCH6: the 15th is a Sunday
    ],
)
def test_last_trade_dates_follow_the_exchanges_rules(rule: str, year: int, month: int, expected: str) -> None:
    assert f"{last_trade_date(rule, year, month):%Y%m%d}" == expected


def test_futures_carry_their_terms_and_globex_hours_in_chicago() -> None:
    terms = {"ESZ6": ("CME", "50", 0.25), "NQZ6": ("CME", "20", 0.25), "MESZ6": ("CME", "5", 0.25),
             "YMZ6": ("CBOT", "5", 1.0), "CLF7": ("NYMEX", "1000", 0.01), "GCG7": ("COMEX", "100", 0.1),
             "ZNH7": ("CBOT", "1000", 0.015625)}  # fmt: skip
    for local_symbol, (exchange, multiplier, tick) in terms.items():
        spec = UNIVERSE.by_local_symbol(local_symbol)
        assert (spec.exchange, spec.multiplier, spec.min_tick) == (exchange, multiplier, tick), local_symbol
        assert spec.time_zone_id == "US/Central" and spec.trading_week.calendar == "CMES"
    sunday_evening = dt.datetime(2026, 12, 6, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=-6))).timestamp()
    assert UNIVERSE.by_local_symbol("CLF7").trading_week.is_open(sunday_evening)
    assert not UNIVERSE.by_local_symbol("ZCH7").trading_week.is_open(sunday_evening)  # grains open at 19:00
    assert UNIVERSE.by_local_symbol("ZCH7").trading_week.is_open(sunday_evening + 2 * 3600)


def test_a_contfut_request_is_answered_with_the_front_month_until_its_roll_date() -> None:
    query = ContractQuery(symbol="ES", sec_type="CONTFUT", exchange="CME")
    before, after = UNIVERSE.match(query, _at("20261209")), UNIVERSE.match(query, _at("20261210"))
    assert [(s.sec_type, s.local_symbol, s.last_trade_date) for s in before] == [("CONTFUT", "ESZ6", "20261218")]
    assert [(s.sec_type, s.local_symbol) for s in after] == [("CONTFUT", "ESH7")]
    assert before[0].con_id == UNIVERSE.by_local_symbol("ESZ6").con_id
    by_id = ContractQuery(con_id=UNIVERSE.by_local_symbol("ESH7").con_id, sec_type="CONTFUT")
    assert [s.local_symbol for s in UNIVERSE.match(by_id, _at("20261207"))] == ["ESZ6"]  # the family's front
    assert UNIVERSE.match(ContractQuery(symbol="XX", sec_type="CONTFUT", exchange="CME"), _at("20261207")) == []


def test_continuous_history_is_each_months_own_bars_stitched_at_the_roll() -> None:
    end = _at("20261207", 0)
    months = UNIVERSE.continuous_months("CL", "NYMEX", end - 40 * 86400, end)
    assert [spec.local_symbol for _, spec in months] == ["CLZ6", "CLF7"]  # the front until its roll, then the next
    assert months[0][1] not in list(UNIVERSE)  # expired months are generated from the family's rules
    rolled_at = months[1][0]
    bars = continuous_bars(months, end, 40 * 86400, 3600, "MIDPOINT", 70.0, seed=7)
    starts = [b.start for b in bars]
    assert starts == sorted(set(starts)) and starts[0] >= end - 40 * 86400 and starts[-1] < end
    assert bars[-1].close == pytest.approx(70.0, abs=0.01)
    first_new = next(i for i, b in enumerate(bars) if b.start >= rolled_at)
    step = bars[first_new].open / bars[first_new - 1].close - 1
    assert step == pytest.approx(ROLL_PREMIUM, abs=0.0002)  # the calendar spread, not back-adjusted
