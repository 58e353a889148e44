"""The IB historical pacing policy, driven by a fake clock."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nautilus_node.catalog.pacing import HistoricalRequest, Pacer, PacingRules, max_in_window, violations

RULES = PacingRules()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def request(n: int, series: str = "EUR.USD", what: str = "MIDPOINT") -> HistoricalRequest:
    return HistoricalRequest((series, what), what, ("1 min", n))


def send_all(requests: list[HistoricalRequest], rules: PacingRules = RULES) -> list[tuple[float, HistoricalRequest]]:
    """Send each request as soon as the pacer allows, advancing the fake clock by its waits."""
    clock = FakeClock()
    pacer = Pacer(rules, clock)
    log = []
    for r in requests:
        while (wait := pacer.delay(r)) > 0:
            clock.now += wait
        pacer.record(r)
        log.append((clock.now, r))
        clock.now += 0.05  # the request's own round trip
    return log


def test_the_sixty_first_request_waits_until_the_first_leaves_the_ten_minute_window() -> None:
    clock = FakeClock()
    pacer = Pacer(RULES, clock)
    for n in range(60):
        clock.now = n * 3.0
        assert pacer.delay(request(n, series=f"s{n}")) == 0
        pacer.record(request(n, series=f"s{n}"))
    clock.now = 180.0
    assert pacer.delay(request(60, series="other")) == 600.0 + RULES.margin_secs - 180.0


def test_an_identical_request_waits_fifteen_seconds() -> None:
    clock = FakeClock()
    pacer = Pacer(RULES, clock)
    pacer.record(request(1))
    clock.now = 4.0
    assert pacer.delay(request(1)) == 15.0 + RULES.margin_secs - 4.0
    assert pacer.delay(request(2)) == 0


def test_a_sixth_request_for_one_series_within_two_seconds_waits() -> None:
    clock = FakeClock()
    pacer = Pacer(RULES, clock)
    for n in range(5):
        clock.now = n * 0.1
        assert pacer.delay(request(n)) == 0
        pacer.record(request(n))
    clock.now = 0.5
    assert pacer.delay(request(5)) == 2.0 + RULES.margin_secs - 0.5
    assert pacer.delay(request(5, series="GBP.USD")) == 0


def test_a_bid_ask_request_counts_twice() -> None:
    clock = FakeClock()
    pacer = Pacer(RULES, clock)
    for n in range(30):
        clock.now = n * 3.0
        pacer.record(request(n, series=f"s{n}", what="BID_ASK"))
    assert pacer.delay(request(99, series="x", what="MIDPOINT")) > 0


def test_pacing_holds_under_a_budget_of_three_hundred_requests_and_uses_the_whole_allowance() -> None:
    requests = [request(n % 250, series=f"s{n % 3}") for n in range(300)]
    log = send_all(requests)

    assert violations(log) == []
    assert max_in_window([t for t, _ in log]) == 60
    duration = log[-1][0] - log[0][0]
    assert duration < 4 * (600 + RULES.margin_secs) + 60


def test_the_checker_flags_each_rule_it_enforces() -> None:
    too_many = [(i * 1.0, request(i, series=f"s{i}")) for i in range(61)]
    assert violations(too_many) == ["t=60.0s: 61 requests within 600s"]
    assert violations([(0.0, request(1)), (10.0, request(1))]) == ["t=10.0s: identical request within 15s"]
    burst = [(i * 0.1, request(i)) for i in range(6)]
    assert violations(burst) == ["t=0.5s: 6 requests for one series within 2s"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 8), st.integers(0, 2), st.sampled_from(["MIDPOINT", "BID_ASK"])),
        min_size=1,
        max_size=150,
    )
)
def test_any_sequence_of_requests_sent_through_the_pacer_breaks_no_rule(items: list[tuple[int, int, str]]) -> None:
    requests = [request(n, series=f"s{s}", what=what) for n, s, what in items]
    assert violations(send_all(requests)) == []
