"""One trading-hours calendar: only `nautilus_node/ib/` states when a market trades. The simulated gateway, the
status actor and the liveness watchdog all go through it, and a weekday/hour rule anywhere else fails here."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from nautilus_node.ib.market_state import hours_in_info, market_state
from nautilus_node.simgateway.contracts import build_universe

PACKAGE = Path(__file__).resolve().parents[2] / "nautilus_node"
CALENDAR = PACKAGE / "ib"
CLOCK_TIME = re.compile(r"^([01]\d|2[0-4]):?[0-5]\d(-([01]\d|2[0-4]):?[0-5]\d)?$")  # "17:00", "1715-1700"
# Dated, not a market calendar: the simulated gateway's daily bars are stamped Monday to Friday.
NOT_A_CALENDAR = {("simgateway/bars.py", "weekday")}
USERS = {  # module → what it must import from the calendar
    "simgateway/contracts.py": "nautilus_node.ib.hours",
    "simgateway/order_book.py": "nautilus_node.ib.hours",
    "simgateway/account.py": "nautilus_node.ib.hours",
    "status/actor.py": "nautilus_node.ib.market_state",
    "status/feeds.py": "nautilus_node.ib.market_state",
    "live/resilient_client.py": "nautilus_node.ib.market_state",
}


def calendar_rules(path: Path) -> list[str]:
    """Each place in `path` that compares a weekday, an hour or a clock-time literal, or maps IB's zone names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for part in ast.walk(node):
                called = part.func.attr if isinstance(part, ast.Call) and isinstance(part.func, ast.Attribute) else ""
                if called in ("weekday", "isoweekday"):
                    found.append(f"{node.lineno}: weekday")
                if isinstance(part, ast.Attribute) and part.attr in ("hour", "minute"):
                    found.append(f"{node.lineno}: hour")
                if isinstance(part, ast.Constant) and isinstance(part.value, str) and CLOCK_TIME.match(part.value):
                    found.append(f"{node.lineno}: clock time {part.value!r}")
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if keys & {"US/Eastern", "US/Central"}:
                found.append(f"{node.lineno}: zone names")
    return sorted(found, key=lambda rule: int(rule.split(":")[0]))


def test_no_module_outside_ib_states_trading_hours_of_its_own() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(CALENDAR):
            continue
        where = path.relative_to(PACKAGE).as_posix()
        for rule in calendar_rules(path):
            if (where, rule.split(": ", 1)[1]) not in NOT_A_CALENDAR:
                offenders.append(f"{where}:{rule}")
    assert offenders == [], f"a second trading-hours calendar: {offenders}; use nautilus_node/ib/hours.py"


def test_the_scan_finds_a_calendar_written_the_way_the_old_fx_one_was(tmp_path: Path) -> None:
    module = tmp_path / "fx.py"
    module.write_text(
        "def fx_open(local):\n"
        "    if local.weekday() == 5:\n"
        "        return False\n"
        "    return local.hour >= 17 or local.strftime('%H%M') < '1700'\n"
        "ZONES = {'US/Eastern': 'America/New_York'}\n",
        encoding="utf-8",
    )
    assert calendar_rules(module) == ["2: weekday", "4: hour", "4: clock time '1700'", "5: zone names"]


def test_the_gateway_the_status_and_the_watchdog_import_the_one_calendar() -> None:
    for where, calendar in USERS.items():
        tree = ast.parse((PACKAGE / where).read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert calendar in imported, f"{where} does not use {calendar}"


def test_the_status_reads_the_gateways_hours_text_as_the_gateway_fills_by_it_at_every_quarter_hour() -> None:
    """The text as a node loads it once, judged for the five days after: Thanksgiving (a holiday, then an early
    close) and a weekend, for every contract served."""
    start = dt.datetime(2030, 11, 27, 0, 0, tzinfo=ZoneInfo("America/New_York")).timestamp()
    for spec in build_universe(dt.date(2030, 11, 27)):
        assert spec.trading_week is not None
        hours = hours_in_info({"tradingHours": spec.hours_text(start)[0], "timeZoneId": spec.time_zone_id})
        for quarter in range(5 * 24 * 4):
            t = start + quarter * 900 + 60
            assert market_state(hours, t).is_open == spec.trading_week.is_open(t), (spec.symbol, t)
