"""`ManualOrders`: the node's own strategy for orders placed from the status page and the control API.

It trades nothing by itself. Each request is checked against the instrument NautilusTrader has loaded (its
price and size grids) and the account (paper only), then submitted or cancelled through NautilusTrader, so
the risk engine and the execution client treat it like any strategy's order: no second gateway connection.
Its methods run on the node's event loop (the web server hands requests over with `OrderDesk`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Literal

import msgspec
from nautilus_trader.common.component import LiveClock
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.enums import OrderSide, OrderType, TimeInForce
from nautilus_trader.model.events import OrderEvent, OrderFilled
from nautilus_trader.model.identifiers import ClientOrderId, InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.model.orders import Order
from nautilus_trader.trading.strategy import Strategy

from nautilus_node.ib.accounts import PAPER_ACCOUNT_PREFIX, is_paper_account
from nautilus_node.ib.instrument_ids import suggestions
from nautilus_node.ib.orders import DEFAULT_TIME_IN_FORCE
from nautilus_node.ib.orders import TimeInForce as Tif

RequestType = Literal["MARKET", "LIMIT", "STOP"]
ON_STOP_TAG = "ON_STOP"  # the desk's own closing orders at stop
Side = Literal["BUY", "SELL"]


class OrderRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A control-API order: numbers as JSON strings or numbers (decimals are kept exactly as strings)."""

    instrument_id: str
    side: Side
    quantity: str | int | float
    type: RequestType = "MARKET"
    price: str | int | float | None = None
    time_in_force: Tif = DEFAULT_TIME_IN_FORCE


class OrderRefused(Exception):
    """A request the desk will not act on; `status` is the HTTP status, the message one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


OnStop = Literal["cancel", "flatten", "keep"]


class ManualOrdersConfig(StrategyConfig, frozen=True):
    """Configuration for `ManualOrders`: what it does with its orders and positions when the node stops
    (`[node] on_stop`): cancel its working orders, flatten (cancel, then close its positions), or keep both."""

    on_stop: OnStop = "cancel"


class ManualOrders(Strategy):
    """Submits and cancels the status page's and the control API's orders through NautilusTrader."""

    def __init__(self, config: ManualOrdersConfig | None = None) -> None:
        super().__init__(config or ManualOrdersConfig())
        self._settling: set[ClientOrderId] = set()
        self._cancelled_after_stop: set[ClientOrderId] = set()

    def on_start(self) -> None:
        """Nothing to subscribe to: the desk acts on requests only (orders left settling by a stop are its own
        again)."""
        if self._settling:
            self._settling.clear()
            self.msgbus.unsubscribe(topic=f"events.order.{self.id}", handler=self._settle_after_stop)

    def on_stop(self) -> None:
        """Cancel its working orders, and with `flatten` close its positions too; `keep` leaves both.

        IB's adapter cancels only orders the venue has acknowledged, so an order still in flight at stop (or not
        yet handed to the adapter) is settled when its answer arrives (during NautilusTrader's post-stop wait):
        cancelled once accepted, and with `flatten` a fill it gets is closed again."""
        if self.config.on_stop == "keep":
            return
        inflight = [o for o in self.cache.orders(strategy_id=self.id) if not o.is_open and not o.is_closed]
        orders = self.cache.orders_open(strategy_id=self.id) + inflight
        positions = self.cache.positions_open(strategy_id=self.id) if self.config.on_stop == "flatten" else []
        for instrument_id in sorted({o.instrument_id for o in orders} | {p.instrument_id for p in positions}, key=str):
            self.cancel_all_orders(instrument_id)
            if self.config.on_stop == "flatten":
                self.close_all_positions(instrument_id, tags=[ON_STOP_TAG])
        if orders or positions:
            self.log.info(f"on_stop = {self.config.on_stop}: {len(orders)} orders, {len(positions)} positions")
        self._settling = {o.client_order_id for o in inflight}
        if self._settling:
            self.msgbus.subscribe(topic=f"events.order.{self.id}", handler=self._settle_after_stop)

    def _settle_after_stop(self, event: OrderEvent) -> None:
        """An answer to an order that was in flight at stop: cancel it once working, close what it filled."""
        if event.client_order_id not in self._settling:
            return
        order = self.cache.order(event.client_order_id)
        if isinstance(event, OrderFilled) and self.config.on_stop == "flatten":
            closing = self.order_factory.market(
                event.instrument_id,
                OrderSide.SELL if event.order_side == OrderSide.BUY else OrderSide.BUY,
                event.last_qty,
                tags=[ON_STOP_TAG],
            )
            self.log.info(f"on_stop = flatten: closing {event.last_qty} filled after stop by {event.client_order_id}")
            self.submit_order(closing)
        if order is None or order.is_closed:
            self._settling.discard(event.client_order_id)
        elif self._is_working(order) and order.client_order_id not in self._cancelled_after_stop:
            self.log.info(f"on_stop = {self.config.on_stop}: cancelling {order.client_order_id}, accepted after stop")
            self._cancelled_after_stop.add(order.client_order_id)
            self.cancel_order(order)
        if not self._settling:
            self.msgbus.unsubscribe(topic=f"events.order.{self.id}", handler=self._settle_after_stop)

    @staticmethod
    def _is_working(order: Order) -> bool:
        """Resting at the venue (a market order fills at once: there is nothing to cancel)."""
        return order.is_open and order.venue_order_id is not None and order.order_type != OrderType.MARKET

    def submit(self, request: OrderRequest, source: str) -> str:
        """Check and submit `request`; the new order's client order id. Raises `OrderRefused`."""
        if not self.is_running:
            raise OrderRefused(503, f"the node is not trading yet ({self.state.name.lower()}): try again shortly")
        instrument = self._instrument(request.instrument_id)
        self._require_paper_account()
        quantity = _on_grid(request.quantity, "quantity", instrument.size_increment.as_decimal())
        if instrument.min_quantity is not None and quantity < instrument.min_quantity.as_decimal():
            raise OrderRefused(422, f"quantity {quantity} is below the minimum {instrument.min_quantity}")
        if instrument.max_quantity is not None and quantity > instrument.max_quantity.as_decimal():
            raise OrderRefused(422, f"quantity {quantity} is above the maximum {instrument.max_quantity}")
        qty = Quantity(quantity, instrument.size_precision)
        side = OrderSide[request.side]
        tif = TimeInForce[request.time_in_force]
        if request.type == "MARKET":
            if request.price is not None:
                raise OrderRefused(422, "price: a MARKET order takes no price")
            order = self.order_factory.market(instrument.id, side, qty, time_in_force=tif)
        else:
            if request.price is None:
                raise OrderRefused(422, f"price: a {request.type} order needs a price")
            px = Price(
                _on_grid(request.price, "price", instrument.price_increment.as_decimal()), instrument.price_precision
            )
            if request.type == "LIMIT":
                order = self.order_factory.limit(instrument.id, side, qty, px, time_in_force=tif)
            else:
                order = self.order_factory.stop_market(instrument.id, side, qty, px, time_in_force=tif)
        self.log.info(
            f"control ({source}): submit {request.side} {qty} {instrument.id} {request.type}"
            f"{f' @ {request.price}' if request.price is not None else ''} {request.time_in_force} "
            f"as {order.client_order_id}",
        )
        self.submit_order(order)
        return str(order.client_order_id)

    def cancel(self, client_order_id: str, source: str) -> None:
        """Cancel one of this strategy's open orders. Raises `OrderRefused`."""
        order = self.cache.order(ClientOrderId(client_order_id)) if client_order_id else None
        if order is None:
            raise OrderRefused(404, f"no order {client_order_id!r}")
        if order.strategy_id != self.id:
            raise OrderRefused(403, f"order {client_order_id} belongs to {order.strategy_id}, not to the manual desk")
        if order.is_closed:
            raise OrderRefused(409, f"order {client_order_id} is already {order.status_string().lower()}")
        self.log.info(f"control ({source}): cancel {client_order_id}")
        self.cancel_order(order)

    def _instrument(self, text: str) -> Instrument:
        try:
            instrument_id = InstrumentId.from_str(text)
        except ValueError:
            raise OrderRefused(
                422, f'instrument_id {text!r} is not an instrument id (e.g. "EUR/USD.IDEALPRO")'
            ) from None
        instrument = self.cache.instrument(instrument_id)
        if instrument is None:
            known = sorted(str(i.id) for i in self.cache.instruments())
            meant = suggestions(text, known)
            hint = f"; did you mean {' or '.join(meant)}?" if meant else ""
            loaded = ", ".join(known) or "none"
            raise OrderRefused(422, f"instrument {text} is not loaded (loaded: {loaded}; see instruments.load){hint}")
        return instrument

    def _require_paper_account(self) -> None:
        if not isinstance(self.clock, LiveClock):  # a backtest: every account is simulated
            return
        accounts = self.cache.accounts()
        if not accounts:
            raise OrderRefused(503, "no account reported by the gateway yet")
        problem = live_account_problem([account.id.get_id() for account in accounts])
        if problem is not None:
            raise OrderRefused(403, problem)


def live_account_problem(account_numbers: list[str]) -> str | None:
    """Why the control API will not trade these accounts (a live one among them), or `None`."""
    for number in account_numbers:
        if not is_paper_account(number):
            return (
                f"account {number} is not a paper account (paper accounts start with {PAPER_ACCOUNT_PREFIX}): "
                "the control API trades paper only"
            )
    return None


def _on_grid(value: str | int | float, field: str, increment: Decimal) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise OrderRefused(422, f"{field} {value!r} is not a number") from None
    if not number.is_finite() or number <= 0:
        raise OrderRefused(422, f"{field} must be a number greater than 0, got {value!r}")
    if number % increment != 0:
        raise OrderRefused(422, f"{field} {value} is off the instrument's grid (multiples of {increment})")
    return number
