"""`backtest --session ID`: replay a recorded session, write the backtest's results and the parity report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nautilus_trader.model.events import OrderFilled, OrderInitialized

from nautilus_node.backtest.report import summary_table, write_results
from nautilus_node.backtest.runner import build_run_config, run_backtest
from nautilus_node.record import parity
from nautilus_node.record.parity_page import write_parity_page
from nautilus_node.record.replay import (
    load_session,
    replay_directory,
    replay_settings,
    round_trip_ns,
    with_gateway_fills,
    write_replay_catalog,
)

DEFAULT_TOLERANCE_TICKS = 1.0


@dataclass(frozen=True)
class ReplayOutcome:
    """Where the results went, the comparison, and what to print."""

    directory: Path
    parity: parity.Parity
    summary: str


def replay_command(
    session_id: str, recordings: Path, results: Path, tolerance_ticks: float = DEFAULT_TOLERANCE_TICKS
) -> ReplayOutcome:
    """Replay session `session_id` of the recording catalog `recordings` into `results/<run>/` with
    `parity.html`; the summary is the backtest's table followed by the parity summary."""
    session = load_session(recordings, session_id)
    catalog_dir = write_replay_catalog(session, recordings)
    settings = replay_settings(session, catalog_dir)
    source = f"session {session_id}"
    run_config = with_gateway_fills(build_run_config(settings, source, progress=False, chunk_size=None))
    run = run_backtest(run_config)
    try:
        directory = replay_directory(results, session_id)
        stats = write_results(run, directory)
        strategies = {s.id.value for s in run.engine.trader.strategies()}
        replayed = parity.replay_traces(run.engine.cache.orders(), strategies)
    finally:
        run.node.dispose()
    live = parity.traces(session.events(OrderInitialized), session.events(OrderFilled), strategies)
    ticks = {i.id.value: float(i.price_increment) for i in session.instruments}
    quote_times = sorted(q.ts_init for q in session.objects.get("quote_tick", []))
    end_ns = session.manifest.get("stopping_ns", session.span_ns[1])
    result = parity.compare(live, replayed, ticks, quote_times, end_ns, round_trip_ns(session), tolerance_ticks)
    write_parity_page(result, session_id, directory / "parity.html")
    (directory / "parity.json").write_text(json.dumps(parity.as_dict(result), indent=2) + "\n", encoding="utf-8")
    text = f"{summary_table(stats, directory)}\n\n{parity.summary(result)}\nparity report: {directory / 'parity.html'}"
    return ReplayOutcome(directory=directory, parity=result, summary=text)
