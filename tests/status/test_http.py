"""The HTTP surface over a real socket: /status, /healthz, the page, and unknown paths."""

from __future__ import annotations

import json
import re
import time

import msgspec
import pytest

from nautilus_node.status.board import StatusBoard
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
