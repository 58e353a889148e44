"""The control API over HTTP, served by the status actor of a real backtest node whose `ManualOrders`
strategy is running (the backtest is paused, not finished): the token, each bad input, submit and cancel."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request

import pytest
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.model.identifiers import ClientOrderId

from nautilus_node.status.actor import StatusActor
from nautilus_node.status.control import ControlToken
from nautilus_node.status.manual_orders import ManualOrders, live_account_problem
from tests.status.conftest import backtest_engine, eurusd, quotes, status_config


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: object = None, token: str | None = "default") -> tuple[int, dict]:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Bearer {self.token if token == 'default' else token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """A backtest node paused after 200 quotes: its StatusActor serving, its ManualOrders running."""
    tmp_path = tmp_path_factory.mktemp("control")
    engine: BacktestEngine = backtest_engine(with_strategy=False)
    actor = StatusActor(status_config(tmp_path))
    engine.add_actor(actor)
    desk = ManualOrders()
    engine.add_strategy(desk)
    engine.add_data(quotes(eurusd().id, 200))
    engine.run(streaming=True)
    host, port = actor.http_address
    token = (tmp_path / "control.token").read_text().strip()
    yield Api(f"http://{host}:{port}", token), desk, actor, tmp_path
    actor.close()
    engine.dispose()


ORDER = {"instrument_id": "EUR/USD.SIM", "side": "BUY", "quantity": "10000", "type": "LIMIT", "price": "1.05000"}


def test_the_token_file_is_private_and_the_page_url_carries_it(node):
    api, _, actor, tmp_path = node
    path = tmp_path / "control.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(api.token) >= 32
    assert actor.page_url == f"{api.base}/?token={api.token}"


@pytest.mark.parametrize("token", [None, "wrong-token", ""])
def test_control_requests_without_the_token_are_401_and_do_nothing(node, token):
    api, desk, _, _ = node
    before = len(desk.cache.orders())
    status, body = api.call("POST", "/api/orders", ORDER, token=token)
    assert status == 401 and "control token" in body["error"]
    status, _ = api.call("DELETE", "/api/orders/O-1", token=token)
    assert status == 401
    assert len(desk.cache.orders()) == before


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8000", "192.168.1.7"])
def test_a_request_for_another_host_name_is_421_even_with_the_token(node, host):
    """A page elsewhere that rebinds its own name to 127.0.0.1 sends its name in `Host`: refused."""
    api, desk, _, _ = node
    before = len(desk.cache.orders())
    for method, path, body in (("GET", "/status", None), ("POST", "/api/orders", ORDER)):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{api.base}{path}", data=data, method=method)
        request.add_header("Host", host)
        request.add_header("Authorization", f"Bearer {api.token}")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 421
        assert f"not for Host {host!r}" in json.loads(refused.value.read())["error"]
    assert len(desk.cache.orders()) == before
    for name in ("localhost", "127.0.0.1"):
        request = urllib.request.Request(f"{api.base}/status", headers={"Host": f"{name}:{api.base.rsplit(':', 1)[1]}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200


def test_the_token_file_is_removed_when_the_node_stops(tmp_path):
    engine: BacktestEngine = backtest_engine(with_strategy=False)
    actor = StatusActor(status_config(tmp_path))
    engine.add_actor(actor)
    engine.add_data(quotes(eurusd().id, 20))
    engine.run(streaming=True)
    assert (tmp_path / "control.token").read_text().strip() == actor.page_url.split("token=")[1]
    actor.close()
    engine.dispose()
    assert not (tmp_path / "control.token").exists()


def test_a_token_in_another_scheme_is_refused():
    token = ControlToken("abc")
    assert token.accepts("Bearer abc") and token.accepts("bearer abc")
    assert not token.accepts("Basic abc") and not token.accepts("abc") and not token.accepts(None)


def test_read_only_endpoints_stay_open(node):
    api, _, _, _ = node
    for path in ("/status", "/api/history"):
        with urllib.request.urlopen(f"{api.base}{path}", timeout=5) as response:
            assert response.status == 200
    with urllib.request.urlopen(f"{api.base}/metrics", timeout=5) as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"instrument_id": "NOPE"}, 422, "instrument_id 'NOPE' is not an instrument id"),
        ({"instrument_id": "GBP/USD.SIM"}, 422, "instrument GBP/USD.SIM is not loaded (loaded: EUR/USD.SIM"),
        ({"quantity": "10000.5"}, 422, "quantity 10000.5 is off the instrument's grid (multiples of 1)"),
        ({"quantity": "-5"}, 422, "quantity must be a number greater than 0"),
        ({"quantity": "lots"}, 422, "quantity 'lots' is not a number"),
        ({"quantity": "500"}, 422, "quantity 500 is below the minimum 1000"),
        ({"price": "1.050005"}, 422, "price 1.050005 is off the instrument's grid (multiples of 0.00001)"),
        ({"price": None}, 422, "price: a LIMIT order needs a price"),
        ({"type": "MARKET"}, 422, "price: a MARKET order takes no price"),
        ({"side": "HOLD"}, 400, "bad order request: Invalid enum value 'HOLD' - at `$.side`"),
        ({"time_in_force": "GTD"}, 400, "$.time_in_force"),
        ({"colour": "red"}, 400, "unknown field `colour`"),
    ],
)
def test_bad_orders_are_4xx_with_one_line_naming_the_problem(node, change, status, message):
    api, desk, _, _ = node
    before = len(desk.cache.orders())
    answer_status, body = api.call("POST", "/api/orders", {**ORDER, **change})
    assert answer_status == status, body
    assert message in body["error"] and "\n" not in body["error"]
    assert len(desk.cache.orders()) == before


def test_a_body_that_is_not_json_is_400(node):
    api, _, _, _ = node
    status, body = api.call("POST", "/api/orders", b"{not json")
    assert status == 400 and body["error"].startswith("bad order request: JSON is malformed")


def test_a_limit_order_is_submitted_through_the_node_and_cancelled(node):
    api, desk, _, _ = node
    status, body = api.call("POST", "/api/orders", {**ORDER, "time_in_force": "GTC"})
    assert status == 201
    order = desk.cache.order(ClientOrderId(body["client_order_id"]))
    assert order is not None and order.strategy_id == desk.id  # through ManualOrders, NautilusTrader's order
    assert str(order.price) == "1.05000" and order.time_in_force.name == "GTC"
    status, body = api.call("DELETE", f"/api/orders/{order.client_order_id}")
    assert status == 202 and body == {"client_order_id": str(order.client_order_id), "cancel": "requested"}


def test_cancelling_an_unknown_order_is_404(node):
    api, _, _, _ = node
    status, body = api.call("DELETE", "/api/orders/O-nope")
    assert status == 404 and body["error"] == "no order 'O-nope'"


def test_a_live_account_is_refused():
    assert live_account_problem(["DU1234567"]) is None
    problem = live_account_problem(["DU1234567", "U7654321"])
    assert problem is not None and problem.startswith("account U7654321 is not a paper account")


def test_unknown_methods_are_405(node):
    api, _, _, _ = node
    status, body = api.call("PUT", "/api/orders", ORDER)
    assert status == 405 and "PUT is not allowed on /api/orders" in body["error"]
