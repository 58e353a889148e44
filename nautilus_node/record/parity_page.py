"""`parity.html`: the live-against-replay comparison as one self-contained page (charts inline as SVG)."""

from __future__ import annotations

import html
import io
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from nautilus_node.record.parity import Pair, Parity, describe_order, summary

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
    "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;font-size:14px}"
    ".bad{background:#fde2e2}pre{background:#f6f6f6;padding:1em;overflow-x:auto}"
)


def write_parity_page(parity: Parity, session_id: str, path: Path) -> Path:
    """Write the page and return its path."""
    rows = "".join(_row(parity, pair) for pair in parity.pairs)
    body = [
        f"<h1>Parity: session {html.escape(session_id)}, live against replay</h1>",
        f"<pre>{html.escape(summary(parity))}</pre>",
        "<h2>Realized PnL path (before commissions)</h2>",
        _pnl_chart(parity),
        "<h2>Fill price difference, live - replay (ticks; positive: live did worse)</h2>",
        _histogram(parity),
        "<h2>Order by order</h2>",
        "<table><tr><th>#</th><th>strategy</th><th>live</th><th>replay</th><th>same order</th>"
        f"<th>ticks</th><th>Δt (ms)</th></tr>{rows}</table>",
    ]
    page = f"<!doctype html><meta charset=utf-8><title>parity {html.escape(session_id)}</title>"
    page += f"<style>{STYLE}</style>{''.join(body)}"
    path.write_text(page, encoding="utf-8")
    return path


def _row(parity: Parity, pair: Pair) -> str:

    diff = pair.price_diff_ticks
    bad = not pair.same_order or (diff is not None and abs(diff) > parity.tolerance_ticks)
    cells = [
        pair.index,
        pair.strategy,
        describe_order(pair.live),
        describe_order(pair.replay),
        "yes" if pair.same_order else "no",
        "" if diff is None else f"{diff:+g}",
        "" if pair.time_diff_ms is None else f"{pair.time_diff_ms:.0f}",
    ]
    tds = "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
    return f"<tr class={'bad' if bad else 'ok'}>{tds}</tr>"


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _pnl_chart(parity: Parity) -> str:
    if not parity.live_pnl and not parity.replay_pnl:
        return "<p>No fills on either side.</p>"
    fig = Figure(figsize=(10, 3.5), dpi=100)
    ax = fig.subplots()
    styles = {"live": {"linewidth": 4, "alpha": 0.45}, "replay": {"linewidth": 1.3, "linestyle": "--"}}
    for label, path in (("live", parity.live_pnl), ("replay", parity.replay_pnl)):
        if path:  # the live line drawn wide and pale, the replay dashed over it: where they agree both show
            times = [pd.Timestamp(ts, unit="ns", tz="UTC") for ts, _ in path]
            ax.step(times, [value for _, value in path], where="post", label=label, **styles[label])
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.autofmt_xdate()
    return _svg(fig)


def _histogram(parity: Parity) -> str:
    counts = parity.slippage_histogram()
    if not counts:
        return "<p>No pair of the same order filled on both sides.</p>"
    fig = Figure(figsize=(6, 2.8), dpi=100)
    ax = fig.subplots()
    ax.bar([f"{t:+g}" for t, _ in counts], [n for _, n in counts])
    ax.set_xlabel("ticks")
    ax.set_ylabel("orders")
    fig.subplots_adjust(bottom=0.22, left=0.14)
    return _svg(fig)
