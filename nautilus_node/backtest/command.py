"""The `backtest` command: config file → run → `results/<run-id>/` → summary table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nautilus_node.backtest.config import load_backtest_file
from nautilus_node.backtest.order_outcomes import nothing_filled
from nautilus_node.backtest.preflight import list_command
from nautilus_node.backtest.report import summary_table, write_results
from nautilus_node.backtest.runner import DEFAULT_CHUNK_SIZE, build_run_config, run_backtest, strategy_name
from nautilus_node.errors import UserError

DEFAULT_CONFIG = Path("configs/paper.toml")


@dataclass(frozen=True)
class BacktestOutcome:
    """Where the results went and the headline statistics."""

    directory: Path
    statistics: dict[str, Any]
    summary: str


def backtest_command(
    config_path: Path,
    strategy: str | None = None,
    start: str | None = None,
    end: str | None = None,
    progress: bool | None = None,
    results: Path | None = None,
    chunk_size: int | None = DEFAULT_CHUNK_SIZE,
    allow_empty: bool = False,
    echo: Callable[[str], None] = print,
) -> BacktestOutcome:
    """Run the backtest described by `config_path`, write its results (under `results` if given, else the
    config's `backtest.results`) and echo the summary, streaming the catalog in chunks of `chunk_size` records
    (`None`: in memory). `ConfigError` on bad input; `UserError` when no order filled (with `allow_empty`: a
    warning line instead)."""
    settings = load_backtest_file(config_path)
    run_config = build_run_config(
        settings, str(config_path), strategy=strategy, start=start, end=end, progress=progress, chunk_size=chunk_size
    )
    names = [strategy_name(s) for s in settings.strategies if _chosen(s.path, run_config)]
    run = run_backtest(run_config)
    try:
        if run.result.iterations == 0:
            raise UserError(
                f"{config_path}: the backtest processed no data; see what the catalog holds: "
                f"{list_command(Path(settings.backtest.catalog))}"
            )
        directory = _new_run_directory(results or Path(settings.backtest.results), names)
        stats = write_results(run, directory)
        empty = None if stats["fills"] else nothing_filled(run.engine.cache.orders(), stats["events"])
    finally:
        run.node.dispose()
    summary = summary_table(stats, directory)
    echo(summary)
    if empty is not None and not allow_empty:
        raise UserError(
            f"{config_path}: {empty} (results in {directory}; --allow-empty accepts a run that fills nothing)"
        )
    if empty is not None:
        echo(f"warning: {empty}")
    return BacktestOutcome(directory=directory, statistics=stats, summary=summary)


def _chosen(path: str, run_config: Any) -> bool:
    return any(s.strategy_path == path for s in run_config.engine.strategies)


def _new_run_directory(root: Path, names: list[str]) -> Path:
    stem = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{'+'.join(dict.fromkeys(names)) or 'run'}"
    candidate, counter = root / stem, 1
    while candidate.exists():
        counter += 1
        candidate = root / f"{stem}-{counter}"
    return candidate
