"""Optuna search on a real external Dask cluster: inside a walk-forward, and resumed from its results folder."""

from __future__ import annotations

import io
import json
import re
import sys
from dataclasses import replace

import optuna
import pandas as pd
import pytest

from nautilus_node.sweep.command import SweepRequest, sweep_command
from nautilus_node.sweep.optuna_search import OPTUNA_JOURNAL

from .test_sweep_cluster import rows, sequential_metrics

SPACE = ("fast_ema_period=5:30:5", "slow_ema_period=60:180:20")


class Terminal(io.StringIO):
    """Standard error as a terminal sees it, so the progress bar draws (tqdm draws only on a terminal)."""

    def isatty(self) -> bool:
        return True


def final_bar_counts(output: str) -> list[tuple[int, int]]:
    """Each progress bar's last `done/total`, in the order drawn."""
    finals = []
    for bar in output.split("\n"):
        counts = re.findall(r" (\d+)/(\d+) \[", bar)
        if counts:
            finals.append(tuple(map(int, counts[-1])))
    return finals


def test_walk_forward_with_optuna_chooses_each_fold_in_sample_and_scores_it_out_of_sample(
    sweep_config, dask_scheduler
) -> None:
    config = sweep_config(**{'end = "2014-05-08"': 'end = "2014-05-09"'})
    request = SweepRequest(
        config=config,
        strategy="ema_cross",
        params=SPACE,
        search="optuna",
        trials=3,
        seed=3,
        in_sample="2D",
        out_of_sample="1D",
        metric="return",
        scheduler=dask_scheduler,
    )
    printed: list[str] = []
    directory = sweep_command(request, echo=printed.append).directory
    folds = pd.read_csv(directory / "walkforward.csv")
    table = pd.read_csv(directory / "sweep.csv")

    assert folds["fold"].tolist() == [1, 2] and set(table["status"]) == {"ok"}
    assert len(table) == len(folds) + (table["sample"] == "in").sum()  # one out-of-sample trial per fold
    for fold in folds.to_dict("records"):
        inside = table[(table["fold"] == fold["fold"]) & (table["sample"] == "in")]
        assert 2 <= len(inside) <= 3  # Optuna's asks; a repeated combination is one row
        assert set(zip(inside["start"], inside["end"], strict=True)) == {(fold["in_start"], fold["in_end"])}
        assert inside["score"].nunique() > 1  # a real choice
        best = inside.loc[inside["score"].idxmax()]
        chosen = {name: int(best[f"param_{name}"]) for name in ("fast_ema_period", "slow_ema_period")}
        assert {name: fold[f"param_{name}"] for name in chosen} == chosen
        assert fold["in_score"] == best["score"] == best["total_return"]

        [outside] = table[(table["fold"] == fold["fold"]) & (table["sample"] == "out")].to_dict("records")
        assert (outside["start"], outside["end"]) == (fold["out_start"], fold["out_end"])
        assert {name: outside[f"param_{name}"] for name in chosen} == chosen
        assert fold["out_score"] == outside["score"] == outside["total_return"]
        expected = sequential_metrics(config, chosen, fold["out_start"], fold["out_end"])
        assert outside["total_return"] == pytest.approx(expected["total_return"], rel=1e-12)
        assert outside["trades"] == expected["trades"]
    assert any(line.startswith("walk-forward, 2 folds, chosen by in-sample return") for line in printed)


def test_a_rerun_optuna_sweep_skips_its_completed_trials_and_its_bar_reaches_the_total(
    sweep_config, dask_scheduler, monkeypatch
) -> None:
    request = SweepRequest(
        config=sweep_config(), strategy="ema_cross", params=SPACE, search="optuna", trials=12, seed=7,
        scheduler=dask_scheduler,
    )  # fmt: skip
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    first = sweep_command(request, echo=lambda _: None)
    trials = first.directory / "trials.jsonl"
    ran = trials.read_text().splitlines()
    table = rows(first.directory)
    assert len(ran) == len(table) > 2 and set(table["status"]) == {"ok"}  # 12 asks, past TPE's 10 random ones

    again = sweep_command(request, echo=lambda _: None)
    assert trials.read_text().splitlines() == ran  # no trial ran again
    pd.testing.assert_frame_equal(rows(again.directory), table)

    trials.write_text("".join(f"{line}\n" for line in ran[:-2]))  # two results lost, as by a crash
    resumed = sweep_command(request, echo=lambda _: None)
    assert trials.read_text().splitlines()[:-2] == ran[:-2]
    rerun = [json.loads(line)["key"] for line in trials.read_text().splitlines()[-2:]]
    assert sorted(rerun) == sorted(json.loads(line)["key"] for line in ran[-2:])  # only those two ran
    pd.testing.assert_frame_equal(rows(resumed.directory).drop(columns=["wall_seconds", "worker"]),
                                  table.drop(columns=["wall_seconds", "worker"]))  # fmt: skip
    assert final_bar_counts(terminal.getvalue()) == [(12, 12)] * 3


def test_a_trial_cut_short_runs_again_when_its_optuna_study_is_resumed(sweep_config, dask_scheduler) -> None:
    request = SweepRequest(
        config=sweep_config(), strategy="ema_cross", params=SPACE, search="optuna", trials=3, seed=7,
        scheduler=dask_scheduler, sweep_id="cut",
    )  # fmt: skip
    directory = sweep_command(request, echo=lambda _: None).directory
    ran = (directory / "trials.jsonl").read_text().splitlines()
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(directory / OPTUNA_JOURNAL))
    )
    [summary] = optuna.get_all_study_summaries(storage)
    study = optuna.load_study(study_name=summary.study_name, storage=storage)
    tried = [json.loads(line)["params"] for line in ran]
    untried = next(
        {"fast_ema_period": fast, "slow_ema_period": slow}
        for fast in range(5, 31, 5)
        for slow in range(60, 181, 20)
        if {"fast_ema_period": fast, "slow_ema_period": slow} not in tried
    )
    study.enqueue_trial(untried)
    study.ask({"fast_ema_period": optuna.distributions.IntDistribution(5, 30, step=5),
               "slow_ema_period": optuna.distributions.IntDistribution(60, 180, step=20)})  # fmt: skip
    # asked, never told: a trial that was running when its sweep stopped

    table = rows(sweep_command(replace(request, trials=4), echo=lambda _: None).directory)
    added = [json.loads(line) for line in (directory / "trials.jsonl").read_text().splitlines()[len(ran) :]]
    assert [row["params"] for row in added] == [untried]  # it ran, and only it
    states = [t.state for t in optuna.load_study(study_name=summary.study_name, storage=storage).trials]
    assert states == [optuna.trial.TrialState.COMPLETE] * 4
    assert table["key"].tolist()[-1] == added[0]["key"] and len(table) == len(ran) + 1
