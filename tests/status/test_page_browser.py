"""The status page in a real headless browser (Debian's chromium), served by the actor of a real node."""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium(chromium: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    command = [str(chromium), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


class _Text(HTMLParser):
    """The text of each element with an id, and the class of each table row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self._row: tuple[str, list[str]] | None = None
        self.by_id: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "tr":
            self._row = (values.get("class") or "", [])
            self.rows.append(self._row)
        self._open.append(values.get("id"))
        if values.get("id"):
            self.by_id.setdefault(values["id"], "")

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in filter(None, self._open):
            self.by_id[element_id] += data
        if self._row is not None and data.strip():
            self._row[1].append(data.strip())


def test_page_renders_status_account_position_and_a_stale_feed(run_backtest, chromium: Path, tmp_path: Path):
    actor, _ = run_backtest(count=600, required_feeds=("EUR/USD.SIM", "GBP/USD.SIM"), stale_after_secs=10.0)
    host, port = actor.http_address
    url = f"http://{host}:{port}/"

    dom = _chromium(chromium, tmp_path, "--virtual-time-budget=5000", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = _Text()
    page.feed(dom.stdout)

    assert page.by_id["overall"] == "UNHEALTHY"
    reasons = page.by_id["reasons"]
    assert "status snapshot is" in reasons  # a backtest's snapshot is old by the browser's clock
    assert "required feed GBP/USD.SIM (quotes) stale" in reasons
    [account] = actor.build_snapshot().accounts
    accounts = page.by_id["accounts"]
    assert account.account_id == "SIM-001" and f"SIM-001 \u2014 reported {account.reported_at}" in accounts
    assert f"balance USD{account.balances[0].total}" in accounts
    position_rows = [cells for cls, cells in page.rows if cells[:3] == ["EUR/USD.SIM", "LONG", "10000"]]
    assert position_rows and position_rows[0][3] == "1.10010"
    feeds = {cells[0]: cls for cls, cells in page.rows if cls.startswith("feed ")}
    assert feeds == {"EUR/USD.SIM": "feed feed-fresh", "GBP/USD.SIM": "feed feed-stale"}
    assert "disconnected" in page.by_id["gateway"]

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "status_page.png"
    screenshot.unlink(missing_ok=True)
    shot = _chromium(
        chromium, tmp_path, "--virtual-time-budget=5000", "--window-size=1200,1800", f"--screenshot={screenshot}", url
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.stat().st_size > 10_000
