"""The status page in a real headless browser (Debian's chromium driven by Playwright), served by the actor
of a real backtest node: the snapshot's tables, the price chart with the fill marked, the feed-health strip."""

from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def test_page_renders_status_account_position_and_a_stale_feed(run_backtest, page):
    actor, _ = run_backtest(count=600, required_feeds=("EUR/USD.SIM", "GBP/USD.SIM"), stale_after_secs=10.0)
    host, port = actor.http_address
    page.goto(f"http://{host}:{port}/")
    page.wait_for_function("document.getElementById('overall').textContent !== 'LOADING'", timeout=15_000)

    assert page.text_content("#overall") == "UNHEALTHY"
    reasons = page.text_content("#reasons")
    assert "status snapshot is" in reasons  # a backtest's snapshot is old by the browser's clock
    assert "required feed GBP/USD.SIM (quotes) stale" in reasons
    [account] = actor.build_snapshot().accounts
    accounts = page.text_content("#accounts")
    assert account.account_id == "SIM-001" and f"SIM-001 \u2014 reported {account.reported_at}" in accounts
    balance = account.balances[0]
    assert isinstance(balance.total, float)  # a number in the JSON, formatted by the page
    assert f"balance USD{balance.total:,.2f} USD" in accounts
    position = page.locator("#positions tr", has_text="EUR/USD.SIM").locator("td").all_text_contents()
    assert position[:4] == ["EUR/USD.SIM", "LONG", "10000", "1.10010"]
    feeds = page.eval_on_selector_all("#feeds tr.feed", "rows => rows.map(r => [r.cells[0].textContent, r.className])")
    assert dict(feeds) == {"EUR/USD.SIM": "feed feed-fresh", "GBP/USD.SIM": "feed feed-stale"}
    assert "disconnected" in page.text_content("#gateway")

    # The chart drew the quotes the node received (one mid per second of the backtest) and marks its fill.
    points = page.evaluate("window.dashboard.charts['EUR/USD.SIM'].line.data().length")
    assert points >= 250  # 600 quotes over 300 s
    assert page.evaluate("window.dashboard.charts['EUR/USD.SIM'].markers.markers().length") == 1
    assert page.locator("#charts canvas").count() > 0
    strip = page.locator("#feed-health .strip").all_text_contents()
    assert any(text.startswith("GBP/USD.SIM quotes") and text.endswith("stale") for text in strip)
    assert page.locator("#ticket-submit").is_disabled()  # no token in the address: read-only

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "status_page.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000


def test_the_page_shows_the_state_before_the_event_streams_first_push(run_backtest, page):
    actor, _ = run_backtest(count=600, required_feeds=("EUR/USD.SIM", "GBP/USD.SIM"), stale_after_secs=10.0)
    host, port = actor.http_address
    page.route("**/events", lambda route: None)  # the stream never answers: only /status can tell the state
    page.goto(f"http://{host}:{port}/")
    page.wait_for_function("document.getElementById('overall').textContent !== 'LOADING'", timeout=15_000)
    assert page.text_content("#overall") == "UNHEALTHY"
    assert "required feed GBP/USD.SIM (quotes) stale" in page.text_content("#reasons")
