"""A session's stream files: appended batches read back in order, a batch cut short by a kill is ignored, and
NautilusTrader's own catalog reads the session as a live run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.persistence.wranglers import QuoteTickDataWrangler
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.test_kit.stubs.events import TestEventStubs
from nautilus_trader.test_kit.stubs.execution import TestExecStubs

from nautilus_node.record.streams import StreamFiles, read_objects, session_dir, stream_files, stream_key

INSTRUMENT = TestInstrumentProvider.default_fx_ccy("EUR/USD")


def quotes(count: int, start: str = "2026-01-05 10:00") -> list[QuoteTick]:
    index = pd.date_range(start, periods=count, freq="100ms", tz="UTC")
    frame = pd.DataFrame(
        {"bid_price": 1.08 + 0.00001 * pd.RangeIndex(count), "ask_price": 1.08002 + 0.00001 * pd.RangeIndex(count)},
        index=index,
    )
    frame["bid_size"] = frame["ask_size"] = 1_000_000.0
    return QuoteTickDataWrangler(INSTRUMENT).process(frame)


def facts(ticks: list[QuoteTick]) -> list[tuple]:
    """What a quote says, compared as text and numbers: quotes read back from Arrow carry identifiers interned by
    NautilusTrader's other Rust library, and comparing those with `==` aborts the process."""
    return [(str(t.instrument_id), str(t.bid_price), str(t.ask_price), t.ts_event, t.ts_init) for t in ticks]


def write(folder: Path, batches: list[list]) -> None:
    files = StreamFiles(folder)
    for batch in batches:
        files.append(stream_key(batch[0]), batch)
        files.flush()
    files.close()


def test_appended_batches_read_back_in_order(tmp_path: Path) -> None:
    ticks = quotes(30)
    fill = TestEventStubs.order_filled(TestExecStubs.limit_order(instrument=INSTRUMENT), INSTRUMENT)
    write(tmp_path, [ticks[:10], ticks[10:], [fill]])
    found = read_objects(tmp_path)
    assert facts(found["quote_tick"]) == facts(ticks)
    assert [type(e) for e in found["order_filled"]] == [OrderFilled]
    assert found["order_filled"][0].client_order_id == fill.client_order_id


def test_a_batch_cut_short_by_a_kill_is_ignored_and_the_earlier_ones_kept(tmp_path: Path) -> None:
    ticks = quotes(30)
    files = StreamFiles(tmp_path)
    for batch in (ticks[:10], ticks[10:20], ticks[20:]):
        files.append(stream_key(batch[0]), batch)
        files.flush()  # the writer is killed before close(): no end-of-stream marker
    [(_, path)] = list(stream_files(tmp_path))
    path.write_bytes(path.read_bytes()[:-40])  # the last batch only half on disk
    assert facts(read_objects(tmp_path)["quote_tick"]) == facts(ticks[:20])


def test_nautilus_reads_a_session_as_a_live_run(tmp_path: Path) -> None:
    ticks = quotes(20)
    write(session_dir(tmp_path, "20260105-100000"), [[INSTRUMENT], ticks])
    live_run = ParquetDataCatalog(str(tmp_path)).read_live_run("20260105-100000")
    assert facts([t for t in live_run if isinstance(t, QuoteTick)]) == facts(ticks)
    assert [str(i.id) for i in live_run if type(i) is type(INSTRUMENT)] == [str(INSTRUMENT.id)]
