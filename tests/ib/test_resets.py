"""IB's scheduled resets per region, at the local times IB publishes, Sunday to Friday, and the weekend window."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from nautilus_node.ib.resets import reset_at, reset_windows

NEW_YORK = ZoneInfo("America/New_York")


def _t(zone: str, *args: int) -> float:
    return dt.datetime(*args, tzinfo=ZoneInfo(zone)).timestamp()


@pytest.mark.parametrize(
    ("region", "zone", "inside", "outside"),
    [
        ("north_america", "America/New_York", (2030, 1, 2, 0, 15), (2030, 1, 2, 1, 45)),
        ("north_america", "America/New_York", (2030, 7, 3, 1, 44), (2030, 7, 3, 0, 14)),  # summer time
        ("europe", "Europe/Zurich", (2030, 1, 2, 6, 25), (2030, 1, 2, 7, 45)),
        ("asia", "Asia/Hong_Kong", (2030, 1, 2, 4, 45), (2030, 1, 2, 6, 5)),
        ("asia", "Asia/Hong_Kong", (2030, 1, 2, 20, 15), (2030, 1, 2, 21, 15)),
    ],
)
def test_the_daily_reset_is_at_the_local_times_ib_publishes(region, zone, inside, outside) -> None:
    window = reset_at(region, _t(zone, *inside))
    assert window is not None and window.kind == "daily reset"
    assert window.start <= _t(zone, *inside) < window.end
    assert reset_at(region, _t(zone, *outside)) is None


def test_no_daily_reset_on_saturday_and_the_weekend_window_runs_friday_23_to_saturday_3_new_york() -> None:
    assert reset_at("north_america", _t("America/New_York", 2030, 1, 5, 0, 30)).kind == "weekend maintenance"
    assert reset_at("north_america", _t("America/New_York", 2030, 1, 6, 0, 30)).kind == "daily reset"  # Sunday
    for region in ("north_america", "europe", "asia"):
        window = reset_at(region, _t("America/New_York", 2030, 1, 4, 23, 0))
        assert window is not None and window.label.startswith("IB's scheduled weekend maintenance (")
        assert (window.start, window.end) == (
            _t("America/New_York", 2030, 1, 4, 23),
            _t("America/New_York", 2030, 1, 5, 3),
        )
    assert reset_at("europe", _t("America/New_York", 2030, 1, 5, 3, 0)) is None


def test_the_windows_ahead_are_listed_in_order_with_the_current_one_first() -> None:
    windows = reset_windows("north_america", _t("America/New_York", 2030, 1, 2, 1, 0), days=1)
    assert [(w.kind, dt.datetime.fromtimestamp(w.start, NEW_YORK).strftime("%d %H%M")) for w in windows] == [
        ("daily reset", "02 0015"),
        ("daily reset", "03 0015"),
    ]
    with pytest.raises(
        ValueError, match=r"ib_region: expected one of \('north_america', 'europe', 'asia'\), got 'mars'"
    ):
        reset_windows("mars", 0.0)
