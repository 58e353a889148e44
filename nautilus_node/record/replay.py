"""`backtest --session ID`: a recorded session replayed as a backtest, then compared with what the node did.

The replay runs the session's own strategies with the configs they traded with, over exactly the recorded
market data (written to a catalog of its own, `<recording catalog>/replay/ID/`, between the first and the last
recorded timestamp), on a venue set up as the account was: its balances from the first account state the node
received, IB's fee schedule, and NautilusTrader's fill model with no random slippage and fills on touch (the
simulated gateway's rule: a marketable order takes the touch, a resting limit fills at its price once the
touch crosses it). The strategies start when the node started them and stop when it stopped them, so the
orders they place while stopping are replayed too. No latency model: NautilusTrader holds an order that is
still in flight when a backtest ends, so the closing orders would never fill; the round trip the node saw is
reported beside the comparison instead. Bars the node built itself (INTERNAL) are built again from the
recorded quotes; bars it received are replayed.
"""

from __future__ import annotations

import shutil
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pandas as pd
from nautilus_trader.backtest.config import BacktestRunConfig, ImportableFillModelConfig
from nautilus_trader.model.data import Bar
from nautilus_trader.model.enums import AggregationSource, OrderType
from nautilus_trader.model.events import AccountState, OrderFilled, OrderInitialized, OrderSubmitted
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from nautilus_node.errors import InputError
from nautilus_node.record.sessions import list_sessions, read_manifest
from nautilus_node.record.streams import read_objects, session_dir
from nautilus_node.settings import BacktestSection, DataSettings, Settings, StrategySettings, VenueSettings

FILL_MODEL = ImportableFillModelConfig(
    fill_model_path="nautilus_trader.backtest.models:FillModel",
    config_path="nautilus_trader.backtest.config:FillModelConfig",
    config={"prob_fill_on_limit": 1.0, "prob_slippage": 0.0},
)
MARKET_TABLES = ("quote_tick", "trade_tick", "bar")


@dataclass(frozen=True)
class RecordedSession:
    """A session read back: its manifest and its objects by table name (see `streams.read_objects`)."""

    session_id: str
    folder: Path
    manifest: dict[str, Any]
    objects: dict[str, list[Any]]

    def events(self, cls: type) -> list[Any]:
        """The recorded events of one class, e.g. `OrderFilled`."""
        return [e for table in self.objects.values() for e in table if isinstance(e, cls)]

    @property
    def instruments(self) -> list[Instrument]:
        """The instruments the node had when recording started."""
        return [o for objects in self.objects.values() for o in objects if isinstance(o, Instrument)]

    @property
    def span_ns(self) -> tuple[int, int]:
        """The first and last `ts_init` of the recorded market data."""
        stamps = [o.ts_init for table in MARKET_TABLES for o in self.objects.get(table, [])]
        return min(stamps), max(stamps)


def load_session(root: Path, session_id: str) -> RecordedSession:
    """Read session `session_id` of the recording catalog `root`; `InputError` naming what is missing."""
    folder = session_dir(root, session_id)
    if not folder.is_dir():
        known = ", ".join(s.session_id for s in list_sessions(root)[-5:]) or "none"
        raise InputError(f"--session {session_id!r}: no such session in {root}/ (latest: {known})")
    manifest = read_manifest(folder)
    if not manifest.get("strategies"):
        raise InputError(f"{folder}: session.json names no strategies: nothing to replay")
    objects = read_objects(folder)
    if not any(objects.get(table) for table in MARKET_TABLES):
        raise InputError(f"{folder}: the session recorded no quotes, trades or bars: nothing to replay")
    return RecordedSession(session_id, folder, manifest, objects)


def write_replay_catalog(session: RecordedSession, root: Path) -> Path:
    """A fresh catalog holding the session's instruments and market data (INTERNAL bars are rebuilt instead)."""
    directory = root / "replay" / session.session_id
    shutil.rmtree(directory, ignore_errors=True)
    catalog = ParquetDataCatalog(str(directory))
    catalog.write_data(session.instruments)
    for table in MARKET_TABLES:
        data = [o for o in session.objects.get(table, []) if not _internal_bar(o)]
        streams: dict[str, list[Any]] = {}
        for obj in data:
            streams.setdefault(str(obj.bar_type) if isinstance(obj, Bar) else obj.instrument_id.value, []).append(obj)
        for items in streams.values():
            catalog.write_data(sorted(items, key=lambda o: o.ts_init))
    return directory


def _internal_bar(obj: Any) -> bool:
    return isinstance(obj, Bar) and obj.bar_type.aggregation_source == AggregationSource.INTERNAL


def replay_settings(session: RecordedSession, catalog_dir: Path) -> Settings:
    """The session as a backtest config: its strategies, its data, its account's venue."""
    objects = session.objects
    data = [
        DataSettings(kind=kind, instrument_id=instrument_id)
        for kind, table in (("quotes", "quote_tick"), ("trades", "trade_tick"))
        for instrument_id in sorted({o.instrument_id.value for o in objects.get(table, [])})
    ]
    external_bars = sorted({str(o.bar_type) for o in objects.get("bar", []) if not _internal_bar(o)})
    if external_bars:
        data.append(DataSettings(kind="bars", bar_types=external_bars))
    first, last = session.span_ns
    start = min(first, session.manifest.get("started_ns", first))
    end = session.manifest.get("stopping_ns", last + 1)
    venues = sorted({i.id.venue.value for i in session.instruments})
    return Settings(
        strategies=[msgspec.convert(s, StrategySettings) for s in session.manifest["strategies"]],
        backtest=BacktestSection(
            catalog=str(catalog_dir),
            start=pd.Timestamp(start, unit="ns", tz="UTC").isoformat(),
            end=pd.Timestamp(end, unit="ns", tz="UTC").isoformat(),
            log_level="ERROR",
            data=data,
            venues=[_venue(name, session) for name in venues],
        ),
    )


def _venue(name: str, session: RecordedSession) -> VenueSettings:
    """IB accounts are margin accounts netting positions; balances from the node's first account state."""
    states = sorted(session.events(AccountState), key=lambda s: s.ts_init)
    if not states:
        raise InputError(f"{session.folder}: the session recorded no account state: its balances are unknown")
    first = states[0]
    balances = [f"{b.total.as_decimal()} {b.currency.code}" for b in first.balances]
    base = first.base_currency.code if first.base_currency is not None else None
    return VenueSettings(name=name, base_currency=base, starting_balances=balances, fee_model="ib")


def round_trip_ns(session: RecordedSession) -> int:
    """The median time from a market order's submission to its first fill, as the node saw it (0: none)."""
    submitted = {e.client_order_id: e.ts_init for e in session.events(OrderSubmitted)}
    market = {o.client_order_id for o in session.events(OrderInitialized) if o.order_type == OrderType.MARKET}
    trips = []
    for fill in sorted(session.events(OrderFilled), key=lambda f: f.ts_init):
        sent = submitted.pop(fill.client_order_id, None) if fill.client_order_id in market else None
        if sent is not None:
            trips.append(fill.ts_init - sent)
    return int(statistics.median(trips)) if trips else 0


def with_gateway_fills(run_config: BacktestRunConfig) -> BacktestRunConfig:
    """Every venue of `run_config` with the simulated gateway's fill rule."""
    venues = [msgspec.structs.replace(v, fill_model=FILL_MODEL) for v in run_config.venues]
    return msgspec.structs.replace(run_config, venues=venues)


def replay_directory(results: Path, session_id: str) -> Path:
    """`results/<now>-replay-<session id>` (a counter when taken)."""
    stem = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-replay-{session_id}"
    candidate, counter = results / stem, 1
    while candidate.exists():
        counter += 1
        candidate = results / f"{stem}-{counter}"
    return candidate
