"""Messages field for field as IB sends them, read by IB's own Decoder: openOrder's unset markers and margin
texts, execution times in the gateway's time zone, positions without an exchange, and order-type lists that
name only what the broker serves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from ibapi.const import UNSET_DOUBLE
from ibapi.order import Order as IbOrder

from nautilus_node.simgateway import messages as m
from nautilus_node.simgateway.broker import ORDER_TYPES as BROKER_ORDER_TYPES
from nautilus_node.simgateway.broker import Broker, Fill, OrderRequest
from nautilus_node.simgateway.contracts import Universe, build_universe
from nautilus_node.simgateway.market import Quote
from nautilus_node.simgateway.versions import TEXT_MAX_VERSION, Feature

from .conftest import TWO_STACKS
from .ibapp import spy
from .test_gateway_versions import decoded

UNIVERSE = Universe(build_universe())
SPY = UNIVERSE.by_con_id(756733)
QUOTE = Quote(99.99, 100.01, 10, 10, 0.0)
JULY_NOON_UTC = dt.datetime(2030, 7, 1, 12, 0, tzinfo=dt.UTC).timestamp()


def _market_fill(broker: Broker) -> Fill:
    request = OrderRequest(1, 1, SPY, "BUY", Decimal(5), "MKT")
    return next(e for e in broker.place(request, QUOTE, JULY_NOON_UTC) if isinstance(e, Fill))


def test_a_market_orders_open_order_has_zero_prices_and_unset_markers_like_ib() -> None:
    fill = _market_fill(Broker("DU1"))
    [(name, (_, _, order, state))] = decoded(TEXT_MAX_VERSION, m.open_order(fill.order, "DU1"))
    assert name == "openOrder"
    assert (order.lmtPrice, order.auxPrice) == (0.0, 0.0)
    assert order.trailStopPrice == UNSET_DOUBLE and order.triggerPrice == UNSET_DOUBLE
    assert order.lmtPriceOffset == UNSET_DOUBLE and order.adjustedStopPrice == UNSET_DOUBLE
    assert state.initMarginBefore == "1.7976931348623157E308" and float(state.maintMarginAfter) == UNSET_DOUBLE


def test_execution_times_are_written_in_the_gateways_time_zone() -> None:
    eastern = _market_fill(Broker("DU1")).execution
    utc = _market_fill(Broker("DU1", time_zone="UTC")).execution
    [(_, (_, _, eastern_ex))] = decoded(TEXT_MAX_VERSION, m.exec_details(-1, eastern, m.LATEST))
    assert eastern_ex.time == "20300701 08:00:00 US/Eastern"
    assert utc.time_text == "20300701 12:00:00 UTC"


def test_position_messages_carry_an_empty_exchange() -> None:
    broker = Broker("DU1")
    _market_fill(broker)
    [(_, (account, contract, quantity, _))] = decoded(TEXT_MAX_VERSION, m.position("DU1", broker.position(SPY.con_id)))
    assert (account, contract.exchange, contract.conId, quantity) == ("DU1", "", SPY.con_id, Decimal(5))


def test_every_contract_lists_only_order_types_the_broker_serves() -> None:
    served = {t.replace(" ", "").replace("LIMIT", "LMT") for t in BROKER_ORDER_TYPES}  # IB lists TRAILLMT
    attributes = {"DAY", "GTC", "IOC", "FOK", "GTD", "OCA", "COND", "CONDORDER", "WHATIF"}
    for spec in UNIVERSE:
        listed = set(spec.order_types.split(","))
        assert listed - attributes <= served, (spec.local_symbol, listed - attributes - served)


@pytest.mark.parametrize("gateway", TWO_STACKS, indirect=True)
def test_ibapi_reads_the_same_fields_over_a_real_socket(ib) -> None:
    order = IbOrder()
    order.action, order.orderType, order.totalQuantity = "BUY", "MKT", Decimal(2)
    oid = ib.of("nextValidId")[0][0]
    ib.client.placeOrder(oid, spy(), order)
    ex = ib.wait_for("execDetails", lambda a: a[2].orderId == oid)[0][2]
    ib.client.reqPositions()
    ib.wait_for("positionEnd")
    opened = ib.wait_for("openOrder", lambda a: a[0] == oid)[0]
    assert (opened[2].lmtPrice, opened[2].auxPrice, opened[2].triggerPrice) == (0.0, 0.0, UNSET_DOUBLE)
    # The text form writes an unset margin as max-double; the protobuf form leaves it out (ibapi reads "").
    protobuf = ib.client.serverVersion() >= Feature.PROTOBUF
    if protobuf:
        assert opened[3].initMarginAfter == ""
    else:
        assert float(opened[3].initMarginAfter) == UNSET_DOUBLE
    assert ex.time.endswith(" US/Eastern")
    assert [a[1].exchange for a in ib.of("position")] == [""]
