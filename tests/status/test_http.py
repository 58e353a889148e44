"""The HTTP surface over a real socket: /status, /healthz, the page, /events, /metrics, /api/history, unknown
paths (the control API: test_control_api.py)."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

from nautilus_node.status import charts
from nautilus_node.status.board import StatusBoard
from nautilus_node.status.charts import ChartUpdate, PricePoint
from nautilus_node.status.health import assess
from nautilus_node.status.server import StatusServer
from nautilus_node.status.snapshot import decode, iso
from tests.status.conftest import http_get, http_json, sample_snapshot


def _now_snapshot(**overrides):
    return sample_snapshot(generated_at=iso(time.time_ns()), **overrides)


def test_before_the_first_snapshot_status_and_healthz_answer_503(served):
    _, url = served
    assert http_json(f"{url}/status") == (
        503,
        {"healthy": False, "reasons": ["no status snapshot yet: the node is starting"]},
    )
    assert http_json(f"{url}/healthz")[0] == 503


def test_status_serves_the_published_snapshot_as_json(served):
    board, url = served
    snapshot = _now_snapshot()
    board.publish(snapshot)
    status, content_type, body = http_get(f"{url}/status")
    assert (status, content_type) == (200, "application/json")
    assert decode(body) == snapshot


def test_healthz_is_200_when_healthy_and_503_with_reasons_otherwise(served):
    board, url = served
    board.publish(_now_snapshot())
    assert http_json(f"{url}/healthz") == (200, {"healthy": True, "reasons": []})
    snapshot = _now_snapshot()
    gateway = msgspec.structs.replace(snapshot.gateway, state="disconnected", since="2026-11-25T13:00:00.000Z")
    health = assess(snapshot.node, gateway, snapshot.feeds, snapshot.strategies)
    board.publish(msgspec.structs.replace(snapshot, gateway=gateway, health=health))
    assert http_json(f"{url}/healthz") == (
        503,
        {"healthy": False, "reasons": ["gateway 127.0.0.1:4002 disconnected since 2026-11-25T13:00:00.000Z"]},
    )


def test_healthz_turns_503_when_the_snapshot_stops_being_updated(served):
    board, url = served
    board.publish(sample_snapshot(generated_at=iso(time.time_ns() - 30_000_000_000)))
    status, body = http_json(f"{url}/healthz")
    assert status == 503
    assert body["reasons"][0].startswith("status snapshot is 30 s old")


def test_the_page_and_everything_it_loads_are_served_by_the_node(served):
    _, url = served
    status, content_type, body = http_get(f"{url}/")
    page = body.decode()
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert "http://" not in page and "https://" not in page  # works offline: no CDN
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "static/vendor/lightweight-charts.standalone.production.js" in sources and "static/app.js" in sources
    for source in sources:
        status, _, asset = http_get(f"{url}/{source}")
        assert status == 200 and asset, source
    status, _, licence = http_get(f"{url}/static/vendor/lightweight-charts.LICENSE")
    assert status == 200 and b"Apache License" in licence


def test_unknown_paths_are_404(served):
    _, url = served
    status, _, body = http_get(f"{url}/nothing-here")
    assert status == 404 and json.loads(body) == {"error": "no such path: /nothing-here"}


def test_a_port_in_use_is_a_one_line_error_naming_the_address(served):
    _, url = served
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError, match=rf"status HTTP server cannot listen on 127.0.0.1:{port}: "):
        StatusServer(StatusBoard(), "127.0.0.1", port)


def _events(url: str, count: int, publish=None, timeout: float = 10.0) -> list[tuple[str, bytes]]:
    """The first `count` Server-Sent Events of `url`/events; `publish()` runs once the stream is open."""
    events: list[tuple[str, bytes]] = []
    with urllib.request.urlopen(f"{url}/events", timeout=timeout) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        event, published = None, False
        while len(events) < count:
            line = response.readline().rstrip(b"\n")
            if line.startswith(b"event: "):
                event = line.removeprefix(b"event: ").decode()
            elif line.startswith(b"data: "):
                events.append((event, line.removeprefix(b"data: ")))
                if publish is not None and not published:
                    published = True
                    publish()
    return events


def test_the_event_stream_sends_the_history_and_status_then_pushes_each_publication(served):
    board, url = served
    first = _now_snapshot()
    board.publish(first, ChartUpdate(prices={"EUR/USD.IDEALPRO": [PricePoint(time=1.0, value=1.1)]}))
    second = msgspec.structs.replace(_now_snapshot(), warnings=["pushed"])
    update = ChartUpdate(prices={"EUR/USD.IDEALPRO": [PricePoint(time=2.0, value=1.2)]})
    events = _events(url, 4, publish=lambda: board.publish(second, update))
    assert [name for name, _ in events] == ["history", "status", "status", "chart"]
    history = charts.decode(events[0][1])
    assert history.prices["EUR/USD.IDEALPRO"] == [PricePoint(time=1.0, value=1.1)]
    assert decode(events[1][1]).generated_at == first.generated_at
    assert decode(events[2][1]).warnings == ["pushed"]
    assert charts.decode(events[3][1]).prices["EUR/USD.IDEALPRO"] == [PricePoint(time=2.0, value=1.2)]
    status, body = http_json(f"{url}/api/history")  # the history kept both points
    assert status == 200 and body["prices"]["EUR/USD.IDEALPRO"] == [[1.0, 1.1], [2.0, 1.2]]


def test_metrics_are_prometheus_text_from_the_snapshot(served):
    board, url = served
    status, content_type, body = http_get(f"{url}/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    assert "nautilus_node_snapshot_available 0.0" in body.decode()
    board.publish(_now_snapshot(order_events={"filled": 3, "rejected": 1}))
    _, _, body = http_get(f"{url}/metrics")
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }
    assert samples[("nautilus_node_gateway_connected", ())] == 1
    assert samples[("nautilus_node_order_events_total", (("event", "filled"),))] == 3
    assert samples[("nautilus_node_order_events_total", (("event", "rejected"),))] == 1
    assert samples[("nautilus_node_fills_total", ())] == 3
    assert samples[("nautilus_node_feed_age_seconds", (("feed", "EUR/USD.IDEALPRO"), ("type", "quotes")))] == 0.2
    assert samples[("nautilus_node_snapshot_age_seconds", ())] < 5
    gateway = msgspec.structs.replace(_now_snapshot().gateway, state="disconnected")
    board.publish(_now_snapshot(gateway=gateway))
    _, _, body = http_get(f"{url}/metrics")
    assert "nautilus_node_gateway_connected 0.0" in body.decode()
