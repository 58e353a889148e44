"""Optuna search on a real external Dask cluster: inside a walk-forward, and resumed from its results folder."""

from __future__ import annotations

import io
import json
import re
import sys

import pandas as pd
import pytest

from nautilus_node.sweep.command import SweepRequest, sweep_command

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
