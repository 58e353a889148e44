"""Flows driven by IB's official Python API as installed in a venv of its own (``ibapi-latest``), run as
``python ibapi_latest_flows.py PORT``: it prints one JSON object of what the client saw, for
test_gateway_ibapi_latest.py to judge. It imports only ``ibapi``, never this project."""

from __future__ import annotations

import json
import sys
import threading
import time
from decimal import Decimal

from ibapi.client import EClient
from ibapi.contract import Contract
from ibapi.execution import ExecutionFilter
from ibapi.order import Order
from ibapi.order_cancel import OrderCancel
from ibapi.wrapper import EWrapper


class Recorder(EWrapper):
    """Every callback as ``(name, args)``; the protobuf twins (``...ProtoBuf``) included."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, tuple]] = []
        self.cond = threading.Condition()

    def __getattribute__(self, name: str):
        attr = super().__getattribute__(name)
        if name.startswith("_") or name in ("calls", "cond", "wait_for", "of") or not callable(attr):
            return attr

        def record(*args):
            with self.cond:
                self.calls.append((name, args))
                self.cond.notify_all()

        return record

    def of(self, name: str) -> list[tuple]:
        with self.cond:
            return [a for n, a in self.calls if n == name]

    def wait_for(self, name: str, predicate=lambda a: True, count: int = 1, timeout: float = 15.0) -> list[tuple]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [a for n, a in self.calls if n == name and predicate(a)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {count} x {name}; seen {sorted({n for n, _ in self.calls})}")
                self.cond.wait(left)


def stock(symbol: str) -> Contract:
    c = Contract()
    c.symbol, c.secType, c.exchange, c.primaryExchange, c.currency = symbol, "STK", "SMART", "ARCA", "USD"
    return c


def order(action: str, qty: int, kind: str, lmt: float | None = None, aux: float | None = None) -> Order:
    o = Order()
    o.action, o.totalQuantity, o.orderType, o.tif = action, Decimal(qty), kind, "GTC"
    if lmt is not None:
        o.lmtPrice = lmt
    if aux is not None:
        o.auxPrice = aux
    return o


def main(port: int) -> dict:
    rec = Recorder()
    client = EClient(rec)
    client.connect("127.0.0.1", port, 17)
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    seen: dict = {"server_version": client.serverVersion()}
    base = rec.wait_for("nextValidId")[0][0]
    spy = stock("SPY")

    client.reqContractDetails(1, spy)
    details = rec.wait_for("contractDetails", lambda a: a[0] == 1)[0][1]
    rec.wait_for("contractDetailsEnd", lambda a: a[0] == 1)
    seen["contract"] = [details.contract.conId, details.contract.symbol, details.minTick, details.longName]
    client.reqContractDetails(2, stock("NOSUCHTHING"))
    seen["unknown_contract"] = rec.wait_for("error", lambda a: a[0] == 2)[0][2]

    client.reqMktData(3, spy, "", False, False, [])
    bid = rec.wait_for("tickPrice", lambda a: a[0] == 3 and a[1] == 1)[-1][2]
    ask = rec.wait_for("tickPrice", lambda a: a[0] == 3 and a[1] == 2)[-1][2]
    seen["quote"] = [bid, ask]
    client.reqTickByTickData(4, spy, "BidAsk", 0, False)
    tbt = rec.wait_for("tickByTickBidAsk", lambda a: a[0] == 4, count=2)
    seen["tick_by_tick"] = [[t[2], t[3]] for t in tbt[:2]]

    client.reqHistoricalData(5, spy, "", "300 S", "5 secs", "MIDPOINT", 0, 2, True, [])
    bars = rec.wait_for("historicalData", lambda a: a[0] == 5, count=10)
    rec.wait_for("historicalDataEnd", lambda a: a[0] == 5)
    updates = rec.wait_for("historicalDataUpdate", lambda a: a[0] == 5, count=2, timeout=20)
    seen["history"] = {"bars": len(bars), "updates": len(updates), "update_date": updates[-1][1].date}
    client.cancelHistoricalData(5)

    client.placeOrder(base, spy, order("BUY", 10, "MKT"))
    ex = rec.wait_for("execDetails", lambda a: a[2].orderId == base)[0]
    fees = rec.wait_for("commissionAndFeesReport", lambda a: a[0].execId == ex[2].execId)[0][0]
    seen["market_fill"] = [ex[2].side, str(ex[2].shares), ex[2].price, fees.commissionAndFees]

    limit_id, stop_id = base + 1, base + 2
    client.placeOrder(limit_id, spy, order("BUY", 5, "LMT", lmt=round(bid - 5, 2)))
    rec.wait_for("orderStatus", lambda a: a[0] == limit_id and a[1] == "Submitted")
    client.placeOrder(limit_id, spy, order("BUY", 7, "LMT", lmt=round(bid - 6, 2)))
    modified = rec.wait_for("openOrder", lambda a: a[0] == limit_id and a[2].totalQuantity == Decimal(7))[0][2]
    client.placeOrder(stop_id, spy, order("SELL", 3, "STP", aux=round(bid - 20, 2)))
    rec.wait_for("orderStatus", lambda a: a[0] == stop_id and a[1] == "Submitted")
    for oid in (limit_id, stop_id):
        client.cancelOrder(oid, OrderCancel())
        rec.wait_for("orderStatus", lambda a, o=oid: a[0] == o and a[1] == "Cancelled")
    seen["modify_cancel"] = [modified.lmtPrice, str(modified.totalQuantity), "Cancelled"]

    client.reqExecutions(6, ExecutionFilter())
    rec.wait_for("execDetailsEnd", lambda a: a[0] == 6)
    seen["executions"] = [a[2].orderId for a in rec.of("execDetails") if a[0] == 6]
    client.reqPositions()
    rec.wait_for("positionEnd")
    seen["positions"] = [[a[1].symbol, str(a[2])] for a in rec.of("position")]
    client.reqAccountSummary(7, "All", "NetLiquidation,TotalCashValue")
    rec.wait_for("accountSummaryEnd", lambda a: a[0] == 7)
    seen["account_summary"] = sorted(a[2] for a in rec.of("accountSummary") if a[0] == 7)
    client.reqAccountUpdates(True, "")
    rec.wait_for("accountDownloadEnd")
    seen["account_updates"] = sorted({a[0] for a in rec.of("updateAccountValue")} & {"NetLiquidation", "BuyingPower"})
    seen["portfolio"] = [a[0].symbol for a in rec.of("updatePortfolio")]
    seen["protobuf_callbacks"] = sorted({n for n, _ in rec.calls if n.endswith("ProtoBuf")})
    client.disconnect()
    return seen


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
