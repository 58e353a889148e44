"""A new recording session: its id, its folder and the recorder actor that fills it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec
from nautilus_trader.common.config import ImportableActorConfig

from nautilus_node.record.streams import session_dir
from nautilus_node.settings import Settings


def new_session_id(root: Path, now: datetime | None = None) -> str:
    """`YYYYMMDD-HHMMSS` (UTC), with `-2`, `-3`, … when that second already has a session under `root`."""
    stem = f"{now or datetime.now(UTC):%Y%m%d-%H%M%S}"
    candidate, counter = stem, 1
    while session_dir(root, candidate).exists():
        counter += 1
        candidate = f"{stem}-{counter}"
    return candidate


def recorder_actor_config(settings: Settings, session_id: str, source: str) -> ImportableActorConfig:
    """The recorder actor for `settings.record`, recording session `session_id` of a node run from `source`."""
    record = settings.record
    manifest = {
        "session_id": session_id,
        "config": source,
        "trader_id": settings.node.trader_id,
        "account": settings.gateway.account,
        "gateway": f"{settings.gateway.host}:{settings.gateway.port}",
        "instruments": list(settings.instruments.load),
        "strategies": msgspec.to_builtins(settings.strategies),
        "flush_interval_secs": record.flush_interval_secs,
    }
    return ImportableActorConfig(
        actor_path="nautilus_node.record.recorder:Recorder",
        config_path="nautilus_node.record.recorder:RecorderConfig",
        config={
            "session_dir": str(session_dir(Path(record.catalog), session_id)),
            "flush_interval_secs": record.flush_interval_secs,
            "max_queued": record.max_queued,
            "manifest": manifest,
        },
    )
