"""The latency series behind status, `/metrics` and the page: the last hour only, p50/p99, cumulative buckets."""

from __future__ import annotations

from nautilus_node.status.latency import WINDOW_NS, Series

T0 = 1_800_000_000_000_000_000


def test_samples_older_than_an_hour_leave_the_figures():
    series = Series()
    series.add(T0, 9.0)  # an hour and a second before the last
    for i in range(100):
        series.add(T0 + 1_000_000_000 + i, (i + 1) / 1000)
    figure = series.figure(T0 + WINDOW_NS + 1_000_000_000)
    assert figure.count == 100
    assert figure.p50_ms == 51.0 and figure.p99_ms == 99.0
    assert figure.sum_secs == 5.05


def test_buckets_count_the_samples_at_or_below_each_bound_cumulatively():
    series = Series()
    for secs in (0.0004, 0.001, 0.003, 0.2, 20.0):
        series.add(T0, secs)
    buckets = series.figure(T0).buckets
    assert buckets["0.0005"] == 1 and buckets["0.001"] == 2 and buckets["0.005"] == 3
    assert buckets["0.25"] == 4 and buckets["10.0"] == 4


def test_an_empty_series_has_no_percentiles():
    figure = Series().figure(T0)
    assert (figure.count, figure.p50_ms, figure.p99_ms) == (0, None, None)
