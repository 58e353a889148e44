"""Option chains, option contract details, option quotes with tickOptionComputation, option fills and their
commission: requests written by IB's own EClient, answered by the gateway's handlers and read back by IB's own
Decoder, on the text stack (200) and the protobuf stack (205 text-behind-binary-ids for chains, 212 and 223)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from decimal import Decimal

import pytest
from ibapi.contract import Contract
from ibapi.order import Order

from nautilus_node.simgateway.contracts import ContractQuery, build_universe
from nautilus_node.simgateway.handlers import market_data
from nautilus_node.simgateway.market import Market
from nautilus_node.simgateway.options import UniverseWithOptions, expiry_close

from .sansio import NOON, SansIOGateway
from .wire_stacks import StackSession

VERSIONS = [200, 205, 212, 223]
SPY_CON_ID = 756733
# At NOON (Wednesday 2030-01-02): five weeklies, then the monthlies; April's third Friday is Good Friday.
EXPIRATIONS = [
    "20300104",
    "20300111",
    "20300118",
    "20300125",
    "20300201",
    "20300215",
    "20300315",
    "20300418",
    "20300517",
    "20300621",
]


def _gateway(now: float = NOON) -> SansIOGateway:
    gateway = SansIOGateway(now)
    universe = UniverseWithOptions(build_universe(dt.datetime.fromtimestamp(now, dt.UTC).date()), lambda: gateway.now)
    gateway.state.universe = universe
    gateway.state.market = Market(universe, seed=7)
    return gateway


def _session(gateway: SansIOGateway, version: int) -> StackSession:
    session = StackSession(gateway, version)
    session.call(lambda c: c.startApi())
    return session


def _option(expiry: str = "20300118", strike: float = 580.0, right: str = "C") -> Contract:
    c = Contract()
    c.symbol, c.secType, c.exchange, c.currency = "SPY", "OPT", "SMART", "USD"
    c.lastTradeDateOrContractMonth, c.strike, c.right, c.multiplier = expiry, strike, right, "100"
    return c


def _named(calls: list[tuple[str, tuple]], name: str) -> list[tuple]:
    return [args for n, args in calls if n == name]


@pytest.mark.parametrize("version", VERSIONS)
def test_sec_def_opt_params_lists_each_option_exchange_with_the_chain(version: int) -> None:
    s = _session(_gateway(), version)
    calls = s.call(lambda c: c.reqSecDefOptParams(7, "SPY", "", "STK", SPY_CON_ID))
    rows = _named(calls, "securityDefinitionOptionParameter")
    assert [name for name, _ in calls if not name.endswith("ProtoBuf")][-1] == "securityDefinitionOptionParameterEnd"
    exchanges = [row[1] for row in rows]
    assert exchanges[0] == "SMART" and {"CBOE", "AMEX", "ISE", "PHLX", "BOX"} <= set(exchanges)
    for req_id, _, under, trading_class, multiplier, expirations, strikes in rows:
        assert (req_id, under, trading_class, multiplier) == (7, SPY_CON_ID, "SPY", "100")
        assert sorted(expirations) == EXPIRATIONS
        ordered = sorted(strikes)
        assert {575.0, 576.0, 580.0, 600.0, 700.0} <= strikes and 577.5 not in strikes
        near = [k for k in ordered if 540 <= k <= 620]
        assert all(b - a == 1.0 for a, b in itertools.pairwise(near))  # 1 apart near the money
        assert {k for k in ordered if k > 640} <= {float(x) for x in range(645, 755, 5)}  # 5 apart further out


@pytest.mark.parametrize("version", [200, 223])
def test_sec_def_opt_params_for_an_unknown_underlying_is_200_and_for_a_future_is_refused(version: int) -> None:
    s = _session(_gateway(), version)
    calls = s.call(lambda c: c.reqSecDefOptParams(8, "NOPE", "", "STK", 0))
    assert [(a[0], a[2]) for a in _named(calls, "error")] == [(8, 200)]
    calls = s.call(lambda c: c.reqSecDefOptParams(9, "SPY", "", "STK", 12345))  # a conId not SPY's
    assert [(a[0], a[2]) for a in _named(calls, "error")] == [(9, 200)]
    calls = s.call(lambda c: c.reqSecDefOptParams(10, "ES", "CME", "FUT", 0))
    [(_, _, code, text, *_)] = _named(calls, "error")
    assert code == 321 and "option chains of FUT secType are not served" in text


@pytest.mark.parametrize("version", VERSIONS)
def test_option_contract_details_by_description_con_id_and_occ_local_symbol(version: int) -> None:
    s = _session(_gateway(), version)
    [(_, by_fields)] = _named(s.call(lambda c: c.reqContractDetails(1, _option())), "contractDetails")
    c = by_fields.contract
    assert (c.symbol, c.secType, c.strike, c.right, c.multiplier) == ("SPY", "OPT", 580.0, "C", "100")
    assert (c.lastTradeDateOrContractMonth, c.localSymbol, c.tradingClass) == (
        "20300118",
        "SPY   300118C00580000",
        "SPY",
    )
    assert (c.exchange, c.currency) == ("SMART", "USD")
    under_con_id = by_fields.underConId or getattr(by_fields, "underConid", 0)
    assert (under_con_id, by_fields.underSymbol, by_fields.underSecType) == (SPY_CON_ID, "SPY", "STK")
    assert by_fields.minTick == 0.01 and "CBOE" in by_fields.validExchanges.split(",")
    assert by_fields.timeZoneId == "US/Eastern" and "0930-" in by_fields.tradingHours
    assert by_fields.realExpirationDate == "20300118" and by_fields.contractMonth == "203001"

    by_id = Contract()
    by_id.conId = c.conId
    [(_, again)] = _named(s.call(lambda cl: cl.reqContractDetails(2, by_id)), "contractDetails")
    assert again.contract.localSymbol == c.localSymbol and again.contract.conId == c.conId

    a_saturday = Contract()
    a_saturday.conId = c.conId + (1 << 10)  # the same option a day later: no such expiry is listed
    assert [a[2] for a in _named(s.call(lambda cl: cl.reqContractDetails(4, a_saturday)), "error")] == [200]

    occ = Contract()
    occ.secType, occ.exchange, occ.localSymbol = "OPT", "SMART", "SPY   300118P00600000"
    [(_, put)] = _named(s.call(lambda cl: cl.reqContractDetails(3, occ)), "contractDetails")
    assert (put.contract.strike, put.contract.right) == (600.0, "P") and put.contract.conId != c.conId


@pytest.mark.parametrize("version", [200, 223])
def test_a_whole_expiry_lists_every_strike_as_call_and_put_and_an_unlisted_option_is_200(version: int) -> None:
    s = _session(_gateway(), version)
    whole = _option()
    whole.strike, whole.right = 0.0, ""
    details = [d for _, d in _named(s.call(lambda c: c.reqContractDetails(4, whole)), "contractDetails")]
    [(_, _, _, _, _, _, strikes)] = _named(
        s.call(lambda c: c.reqSecDefOptParams(5, "SPY", "SMART", "STK", SPY_CON_ID)),
        "securityDefinitionOptionParameter",
    )
    assert len(details) == 2 * len(strikes)
    assert {d.contract.strike for d in details} == strikes and {d.contract.right for d in details} == {"C", "P"}
    assert len({d.contract.conId for d in details}) == len(details)
    for missing in (_option(strike=577.5), _option(expiry="20300105")):
        assert [a[2] for a in _named(s.call(lambda c, q=missing: c.reqContractDetails(6, q)), "error")] == [200]


def test_the_chain_moves_with_the_market_clock_and_an_expired_option_is_no_longer_listed() -> None:
    gateway = _gateway()
    s = _session(gateway, 223)
    [(_, detail)] = _named(s.call(lambda c: c.reqContractDetails(1, _option("20300104"))), "contractDetails")
    gateway.now = expiry_close(dt.date(2030, 1, 4)) + 60  # a minute past Friday's close
    calls = s.call(lambda c: c.reqSecDefOptParams(2, "SPY", "SMART", "STK", SPY_CON_ID))
    [(_, _, _, _, _, expirations, _)] = _named(calls, "securityDefinitionOptionParameter")
    assert "20300104" not in expirations and "20300208" in expirations  # a new weekly listed at the far end
    by_id = Contract()
    by_id.conId = detail.contract.conId
    assert [a[2] for a in _named(s.call(lambda c: c.reqContractDetails(3, by_id)), "error")] == [200]


@pytest.mark.parametrize("version", VERSIONS)
def test_option_quotes_come_with_bid_ask_and_model_computations(version: int) -> None:
    gateway = _gateway()
    s = _session(gateway, version)
    calls = s.call(lambda c: c.reqMktData(11, _option(strike=580.0, right="C"), "", False, False, []))
    prices = {args[1]: args[2] for args in _named(calls, "tickPrice")}
    bid, ask = prices[1], prices[2]
    assert 0 < bid < ask and ask - bid <= 0.2 and ask >= 3.0  # a month out at the money: several dollars
    assert round(bid / 0.05) * 0.05 == pytest.approx(bid) and round(ask / 0.05) * 0.05 == pytest.approx(ask)
    comps = {args[1]: args for args in _named(calls, "tickOptionComputation")}
    assert set(comps) == {10, 11, 13}
    spot = gateway.state.market.quote(gateway.state.universe.by_con_id(SPY_CON_ID), gateway.now).mid
    for tick_type, price in ((10, bid), (11, ask)):
        _, _, attrib, iv, delta, opt_price, pv_div, gamma, vega, theta, und = comps[tick_type]
        assert attrib == 1 and opt_price == pytest.approx(price) and und == pytest.approx(spot)
        assert 0.05 < iv < 0.5 and 0.4 < delta < 0.6 and gamma > 0 and vega > 0 and theta < 0 and pv_div > 0
    _, _, attrib, iv, delta, model_price, _, gamma, vega, theta, und = comps[13]
    assert attrib == 0 and bid - 0.5 < model_price < ask + 0.5 and 0.10 < iv < 0.25
    assert comps[10][4] < comps[11][4] or math.isclose(comps[10][4], comps[11][4], rel_tol=0.05)

    put = s.call(lambda c: c.reqMktData(12, _option(strike=560.0, right="P"), "", False, False, []))
    model_put = next(a for a in _named(put, "tickOptionComputation") if a[1] == 13)
    assert -0.5 < model_put[4] < 0 and model_put[3] > iv  # skew: the lower strike's put is richer


@pytest.mark.parametrize("version", [200, 223])
def test_pushed_option_quotes_carry_the_computations_and_a_price_no_vol_gives_is_not_computed(version: int) -> None:
    gateway = _gateway()
    s = _session(gateway, version)
    s.call(lambda c: c.reqMktData(11, _option(), "", False, False, []))
    query = ContractQuery(symbol="SPY", sec_type="OPT", last_trade_date="20300118", strike="580", right="C")
    [spec] = gateway.state.universe.match(query)
    quote, trade = gateway.state.market.advance(spec, gateway.now + 1)
    ticks = gateway.state.market.option_ticks(spec, quote, trade, gateway.now + 1)
    pushed = s.deliver(market_data.on_market(s.state, spec, quote, trade, ticks))
    assert {a[1] for a in _named(pushed, "tickOptionComputation")} >= {10, 11, 13}
    below_intrinsic = market_data.option_computation(11, 10, None)
    [args] = _named(s.deliver([below_intrinsic]), "tickOptionComputation")
    # ibapi reads IB's "not computed" markers (-1 and -2) as None
    assert args[3:] == (None, None, None, None, None, None, None, None)


@pytest.mark.parametrize("version", [200, 223])
def test_an_option_order_fills_per_share_with_ibs_option_commission(version: int) -> None:
    gateway = _gateway()
    s = _session(gateway, version)
    cash_before = gateway.state.broker.account_values()["TotalCashValue"][0]
    order = Order()
    order.action, order.orderType, order.totalQuantity, order.tif = "BUY", "MKT", Decimal(3), "DAY"
    calls = s.call(lambda c: c.placeOrder(1, _option(), order))
    [(_, contract, execution)] = _named(calls, "execDetails")
    assert (contract.secType, contract.strike, contract.right, contract.multiplier) == ("OPT", 580.0, "C", "100")
    assert contract.localSymbol == "SPY   300118C00580000" and execution.shares == Decimal(3)
    price = execution.price
    assert 3.0 < price < 20.0  # per share
    [(report,)] = _named(calls, "commissionAndFeesReport") or _named(calls, "commissionReport")
    assert report.commissionAndFees == pytest.approx(1.95)  # 3 contracts x USD 0.65
    cash_after = gateway.state.broker.account_values()["TotalCashValue"][0]
    assert float(cash_before) - float(cash_after) == pytest.approx(price * 100 * 3 + 1.95, abs=0.01)
    positions = s.call(lambda c: c.reqPositions())
    [(_, pos_contract, quantity, avg_cost)] = _named(positions, "position")
    assert pos_contract.localSymbol == "SPY   300118C00580000" and quantity == Decimal(3)
    assert avg_cost == pytest.approx(price * 100)
