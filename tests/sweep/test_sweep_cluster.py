"""`sweep` on a real Dask cluster: the local cluster it starts by itself, and an external scheduler with its own
worker processes over TCP. Every trial's metrics equal the same trial run sequentially in this process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import fsspec
import pandas as pd
import pytest

from nautilus_node.errors import UserError
from nautilus_node.sweep.command import SweepRequest, sweep_command
from nautilus_node.sweep.factory import TrialFactory
from nautilus_node.sweep.trial import METRIC_COLUMNS, run_trial

from .conftest import REPO, run_cli

GRID = ("fast_ema_period=10,20", "slow_ema_period=60,120")


def sequential_metrics(config: Path, params: dict, start: str | None = None, end: str | None = None) -> dict:
    """The trial run here, one after another, without Dask."""
    factory = TrialFactory.load(config, "ema_cross", chunk_size=1_000_000)
    first, last = factory.period(start, end)
    result = run_trial(factory.trial(params, first, last))
    assert result.ok, result.error
    return result.metrics


def rows(directory: Path) -> pd.DataFrame:
    return pd.read_parquet(directory / "sweep.parquet")


def assert_equal_to_sequential(config: Path, table: pd.DataFrame, names: list[str]) -> None:
    for row in table.to_dict("records"):
        params = {name: row[f"param_{name}"] for name in names}
        expected = sequential_metrics(config, params, row["start"], row["end"])
        assert {k: None if pd.isna(row[k]) else row[k] for k in METRIC_COLUMNS} == expected, params


def test_a_grid_on_the_local_cluster_equals_sequential_runs_and_a_rerun_skips_every_trial(sweep_config) -> None:
    config = sweep_config()
    request = SweepRequest(config=config, strategy="ema_cross", params=GRID, workers=2, metric="return")
    printed: list[str] = []
    outcome = sweep_command(request, echo=printed.append)

    table = rows(outcome.directory)
    assert len(table) == 4 and set(table["status"]) == {"ok"}
    assert table["trades"].min() > 0  # the strategy really trades over these days
    assert table["worker"].str.startswith("tcp://127.0.0.1:").all()
    assert_equal_to_sequential(config, table, ["fast_ema_period", "slow_ema_period"])
    assert (outcome.directory / "heatmap.png").stat().st_size > 10_000
    assert pd.read_csv(outcome.directory / "sweep.csv")["total_return"].tolist() == table["total_return"].tolist()
    assert any(line.startswith("best 4 of 4 by return") for line in printed)
    assert "local cluster on 127.0.0.1, 2 workers; dashboard: none (install bokeh" in printed[0]

    assert not any(line.startswith("resuming") for line in printed)
    lines = (outcome.directory / "trials.jsonl").read_text().splitlines()
    printed.clear()
    again = sweep_command(request, echo=printed.append)
    assert printed[1] == (
        f"resuming: 4 trials finished by an earlier run ({outcome.directory / 'trials.jsonl'}) are not run again"
    )
    assert again.directory == outcome.directory
    assert (outcome.directory / "trials.jsonl").read_text().splitlines() == lines  # nothing ran again
    pd.testing.assert_frame_equal(rows(again.directory), table)


def test_the_same_sweep_on_an_external_scheduler_gives_the_sequential_results(sweep_config, dask_scheduler) -> None:
    config = sweep_config()
    grid = [arg for spec in GRID for arg in ("--param", spec)]
    done = run_cli("sweep", str(config), "--strategy", "ema_cross", *grid, "--scheduler", dask_scheduler)

    assert done.returncode == 0, done.stderr
    assert f"scheduler {dask_scheduler}, 2 workers; dashboard: none" in done.stdout, done.stdout.splitlines()[0]
    assert "scored by return (total_return)" in done.stdout.splitlines()[0]  # the default: its sign is the result's
    assert "best 4 of 4 by return:" in done.stdout
    assert "unreliable: 4 of 4 trials have fewer than 20 daily returns (daily_returns)" in done.stdout
    directory = Path(done.stdout.split("trials (4 ok, 0 failed): ")[1].split()[0]).parent
    table = rows(directory)
    assert len(table) == 4 and set(table["status"]) == {"ok"}
    assert table["worker"].nunique() == 2  # both worker processes ran trials
    assert_equal_to_sequential(config, table, ["fast_ema_period", "slow_ema_period"])


def test_a_refused_parameter_is_a_failed_trial_and_the_sweep_goes_on(sweep_config, dask_scheduler, tmp_path) -> None:
    request = SweepRequest(
        config=sweep_config(), strategy="ema_cross", params=("min_gap_bps=-1,0.5",), scheduler=dask_scheduler
    )
    table = rows(sweep_command(request, echo=lambda _: None).directory)

    assert table["status"].tolist() == ["failed", "ok"]
    assert "min_gap_bps" in table["error"][0] and table["trades"][1] > 0


def test_optuna_search_runs_its_trials_and_each_equals_a_sequential_run(sweep_config, dask_scheduler) -> None:
    config = sweep_config()
    request = SweepRequest(
        config=config,
        strategy="ema_cross",
        params=("fast_ema_period=5:30:5", "slow_ema_period=60:180:20"),
        search="optuna",
        trials=4,
        seed=7,
        scheduler=dask_scheduler,
    )
    table = rows(sweep_command(request, echo=lambda _: None).directory)

    assert len(table) == 4 and set(table["status"]) == {"ok"}
    assert set(table["param_fast_ema_period"]) <= {5, 10, 15, 20, 25, 30}
    assert_equal_to_sequential(config, table.head(2), ["fast_ema_period", "slow_ema_period"])


def test_walk_forward_scores_each_folds_in_sample_choice_out_of_sample(sweep_config, dask_scheduler) -> None:
    config = sweep_config(**{'end = "2014-05-08"': 'end = "2014-05-09"'})
    request = SweepRequest(
        config=config,
        strategy="ema_cross",
        params=("fast_ema_period=10,20",),
        in_sample="2D",
        out_of_sample="1D",
        scheduler=dask_scheduler,
        metric="return",
    )
    directory = sweep_command(request, echo=lambda _: None).directory
    folds = pd.read_csv(directory / "walkforward.csv")
    table = rows(directory)

    assert folds["fold"].tolist() == [1, 2]
    assert folds["out_start"].tolist() == ["2014-05-07T00:00:00+00:00", "2014-05-08T00:00:00+00:00"]
    for _, fold in folds.iterrows():
        inside = table[(table["fold"] == fold["fold"]) & (table["sample"] == "in")]
        best = inside.loc[inside["total_return"].idxmax()]
        assert fold["param_fast_ema_period"] == best["param_fast_ema_period"]
        outside = table[(table["fold"] == fold["fold"]) & (table["sample"] == "out")].iloc[0]
        assert outside["param_fast_ema_period"] == best["param_fast_ema_period"]
        assert fold["out_score"] == outside["total_return"]
    assert (directory / "walkforward.png").exists()


def test_a_catalog_only_this_process_can_read_fails_on_the_workers_in_one_line(sweep_config, dask_scheduler) -> None:
    memory = fsspec.filesystem("memory")  # this process's memory: the worker processes see an empty one
    memory.put(str(REPO / "catalog" / "data"), "/only-here/catalog/data", recursive=True)
    config = sweep_config(**{f'catalog = "{REPO / "catalog"}"': 'catalog = "memory:///only-here/catalog"'})
    request = SweepRequest(config=config, strategy="ema_cross", params=GRID, scheduler=dask_scheduler)

    try:
        with pytest.raises(UserError) as caught:
            sweep_command(request, echo=lambda _: None)
    finally:
        memory.rm("/only-here", recursive=True)
    message = str(caught.value)
    assert message.startswith("catalog memory:///only-here/catalog is not readable on worker tcp://127.0.0.1:")
    assert message.endswith(": no data folder there") and "\n" not in message
    assert not any(p.read_text() for p in (config.parent / "results").glob("*/trials.jsonl"))  # no trial ran


def test_ctrl_c_keeps_the_finished_trials_and_the_rerun_does_only_the_rest(sweep_config, dask_scheduler) -> None:
    config = sweep_config()
    args = ["sweep", str(config), "--strategy", "ema_cross", "--param", "fast_ema_period=5:40:5",
            "--scheduler", dask_scheduler, "--sweep-id", "interrupted"]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "nautilus_node", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    trials = config.parent / "results" / "interrupted" / "trials.jsonl"
    deadline = time.monotonic() + 120
    while not (trials.exists() and trials.read_text().count("\n") >= 1) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stderr
    assert b"interrupted: the finished trials are kept" in stderr
    kept = [json.loads(line)["key"] for line in trials.read_text().splitlines()]
    assert 1 <= len(kept) < 8
    finished = run_cli(*args)
    assert finished.returncode == 0, finished.stderr
    keys = [json.loads(line)["key"] for line in trials.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 8  # each trial ran once, across the two runs


def test_a_walk_forward_fold_out_of_sample_on_a_weekend_is_not_scored(sweep_config, dask_scheduler) -> None:
    config = sweep_config(
        **{'start = "2014-05-05"': 'start = "2014-05-07"', 'end = "2014-05-08"': 'end = "2014-05-12"'}
    )
    request = SweepRequest(
        config=config,
        strategy="ema_cross",
        params=("fast_ema_period=10",),
        in_sample="2D",
        out_of_sample="1D",
        scheduler=dask_scheduler,
    )
    printed: list[str] = []
    directory = sweep_command(request, echo=printed.append).directory
    folds = pd.read_csv(directory / "walkforward.csv", keep_default_na=False)

    assert folds["out_start"].tolist() == [
        "2014-05-09T00:00:00+00:00",  # Friday: scored
        "2014-05-10T00:00:00+00:00",  # Saturday and Sunday: no trading day
        "2014-05-11T00:00:00+00:00",
    ]
    assert folds["out_score"].tolist()[1:] == ["", ""] and folds["out_score"][0] != ""
    not_scored = "not scored: no trading day (weekday) in the out-of-sample window"
    assert folds["error"].tolist() == ["", not_scored, not_scored]
    assert any("of 1 scored folds above 0; 2 folds not scored" in line for line in printed), printed
