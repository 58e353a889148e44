"""A sweep's results folder, `results/<sweep-id>/`: every finished trial appended to `trials.jsonl` the moment it
arrives (so an interrupted or crashed sweep keeps them, and the same sweep run again skips them), and the tables
people read: `sweep.csv` and `sweep.parquet`, one row per trial.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from nautilus_node.sweep.trial import METRIC_COLUMNS, TrialResult

TRIALS_FILE = "trials.jsonl"


class TrialStore:
    """The trials a sweep has finished, by key; completed ones are kept across runs, failed ones are retried."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._path = directory / TRIALS_FILE
        self._results: dict[str, TrialResult] = {}
        if self._path.exists():
            for line in self._path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    result = TrialResult(**json.loads(line))
                    self._results[result.key] = result

    @property
    def completed_count(self) -> int:
        """How many trials ran to the end in earlier runs of this sweep (or so far in this one)."""
        return sum(result.ok for result in self._results.values())

    def completed(self, key: str) -> TrialResult | None:
        """The earlier result of this trial if it ran to the end."""
        result = self._results.get(key)
        return result if result is not None and result.ok else None

    def add(self, result: TrialResult) -> None:
        """Keep a finished trial, on disk at once."""
        self._results[result.key] = result
        with self._path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(asdict(result)) + "\n")


def results_table(results: list[TrialResult], metric_column: str) -> pd.DataFrame:
    """One row per trial: number, key, fold and sample, period, parameters, score and metrics, status, error,
    wall time and worker."""
    rows = []
    for number, result in enumerate(results, start=1):
        row: dict[str, object] = {"trial": number, "key": result.key}
        if result.fold is not None:
            row |= {"fold": result.fold, "sample": result.sample}
        row |= {"start": result.start, "end": result.end}
        row |= {f"param_{name}": value for name, value in result.params.items()}
        row["score"] = result.metrics.get(metric_column) if result.ok else None
        row |= {name: result.metrics.get(name) for name in METRIC_COLUMNS}
        row |= {
            "status": "ok" if result.ok else "failed",
            "error": result.error or "",
            "wall_seconds": round(result.wall_seconds, 3),
            "worker": result.worker,
        }
        rows.append(row)
    return pd.DataFrame(rows)


def write_tables(table: pd.DataFrame, directory: Path) -> None:
    """`sweep.csv` and `sweep.parquet` in `directory`."""
    table.to_csv(directory / "sweep.csv", index=False)
    table.to_parquet(directory / "sweep.parquet", index=False)
