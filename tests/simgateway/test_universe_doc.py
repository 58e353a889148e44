"""docs/simulated-gateway.md lists the universe as the product table generates it: the table between its
markers is rendered here from `simgateway/products.py`, and a product added there fails this test until the
doc shows it (the failure prints the table to paste)."""

from __future__ import annotations

from pathlib import Path

from nautilus_node.simgateway.products import FUTURES, FX_PAIRS, STOCKS

DOC = Path(__file__).resolve().parents[2] / "docs" / "simulated-gateway.md"
BEGIN = "<!-- the universe: generated from nautilus_node/simgateway/products.py -->"
END = "<!-- end of the universe -->"


def universe_table() -> str:
    """The doc's tables of stocks, pairs and futures families; `*` marks IB's own con id."""
    by_exchange: dict[str, list[str]] = {}
    for row in STOCKS:
        by_exchange.setdefault(row.primary_exchange, []).append(row.symbol + ("*" if row.real_con_id else ""))
    pairs = ", ".join(row.pair + ("*" if row.real_con_id else "") for row in FX_PAIRS)
    lines = [
        "| primary exchange | stocks and ETFs (on SMART) |",
        "| --- | --- |",
        *(f"| {exchange} | {', '.join(symbols)} |" for exchange, symbols in sorted(by_exchange.items())),
        "",
        "| IDEALPRO pairs |",
        "| --- |",
        f"| {pairs} |",
        "",
        "| future | exchange | name | multiplier | tick | months | last trade date | CONTFUT rolls | listed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {f.symbol} | {f.exchange} | {f.long_name} | {f.multiplier} | {f.min_tick:g} | {f.months} | "
        f"`{f.last_trade}` | {f.roll_days} days before | {f.listed} months |"
        for f in FUTURES
    ]
    return "\n".join(lines)


def test_the_doc_lists_the_universe_the_product_table_generates() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOC.name} has no universe markers"
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    expected = universe_table()
    assert shown == expected, f"{DOC.name}: put this between the universe markers:\n{expected}"
