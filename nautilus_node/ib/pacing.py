"""IB's historical-data pacing, stated once: the simulated gateway enforces it, the downloader obeys it.

IB's "Historical Data Limitations" (TWS API documentation) names a pacing violation, answered with error 162
"Historical Market Data Service error message:Historical data request pacing violation", when a client makes:
- identical historical data requests within 15 seconds;
- six or more historical data requests for the same contract, exchange and tick type within two seconds;
- more than 60 historical data requests within any ten-minute period (a BID_ASK request counts twice);
and it allows about 50 historical requests to be open at the same time. The same page caps the client's
messages at 50 per second (error 100).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

MESSAGES_PER_SECOND = 50
PACING_VIOLATION = "Historical data request pacing violation"


@dataclass(frozen=True, slots=True)
class PacingRules:
    """IB's limits. ``margin_secs`` is how far inside them an obeying client stays; the enforcing side
    (the simulated gateway) applies the limits exactly and ignores it."""

    identical_secs: float = 15.0
    burst_secs: float = 2.0
    burst_requests: int = 5  # at most this many for one series within burst_secs: the sixth violates
    window_secs: float = 600.0
    window_requests: int = 60
    max_open: int = 50
    margin_secs: float = 0.5


IB_PACING = PacingRules()


@dataclass(frozen=True, slots=True)
class HistoricalRequest:
    """What IB compares requests by: the series (contract, exchange, what to show) and the exact query."""

    series: Hashable
    what: str
    query: Hashable

    @property
    def cost(self) -> int:
        return 2 if self.what == "BID_ASK" else 1


@dataclass(frozen=True, slots=True)
class Violation:
    """Which limit a request breaks (``identical``, ``burst`` or ``window``) and the count it reaches."""

    rule: str
    count: int

    def describe(self, rules: PacingRules) -> str:
        if self.rule == "identical":
            return f"identical request within {rules.identical_secs:g} seconds"
        if self.rule == "burst":
            return f"{self.count} requests for one contract within {rules.burst_secs:g} seconds"
        return f"too many requests: {self.count} within {rules.window_secs:g} seconds"


def violation(
    sent: Iterable[tuple[float, HistoricalRequest]],
    request: HistoricalRequest,
    now: float,
    rules: PacingRules = IB_PACING,
    *,
    check_identical: bool = True,
) -> Violation | None:
    """The limit that sending ``request`` at ``now`` breaks, after the requests ``sent`` (time, request);
    ``None`` when it keeps within every limit."""
    in_window = burst = 0
    identical = False
    for t, earlier in sent:
        age = now - t
        if age < rules.window_secs:
            in_window += earlier.cost
        if check_identical and earlier == request and age < rules.identical_secs:
            identical = True
        if earlier.series == request.series and age < rules.burst_secs:
            burst += 1
    if identical:
        return Violation("identical", 2)
    if burst + 1 > rules.burst_requests:
        return Violation("burst", burst + 1)
    if in_window + request.cost > rules.window_requests:
        return Violation("window", in_window + request.cost)
    return None
