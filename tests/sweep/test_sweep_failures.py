"""Trials that fail on a worker of a real external Dask cluster, while their backtest runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nautilus_node.errors import UserError
from nautilus_node.sweep.command import SweepRequest, sweep_command

from .conftest import run_cli
from .test_sweep_cluster import rows

RAISING = {
    "strategies.ema_cross:EMACrossStrategy": "tests.sweep.raising_strategy:RaisingEMACross",
    "strategies.ema_cross:EMACrossConfig": "tests.sweep.raising_strategy:RaisingEMACrossConfig",
    'strategies = ["ema_cross"]': 'strategies = ["raising_strategy"]',
}


def keys(trials: Path) -> list[str]:
    return [json.loads(line)["key"] for line in trials.read_text().splitlines()]


def test_a_trial_raising_on_its_worker_is_a_failed_row_the_sweep_goes_on_and_a_rerun_tries_it_again(
    sweep_config, dask_scheduler
) -> None:
    config = sweep_config(**RAISING)
    args = ["sweep", str(config), "--strategy", "raising_strategy", "--param", "raise_after_bars=0,100",
            "--param", "fast_ema_period=10,20", "--scheduler", dask_scheduler, "--sweep-id", "raising"]  # fmt: skip
    done = run_cli(*args)

    assert done.returncode == 0, done.stderr
    assert "4 trials (2 ok, 2 failed): " in done.stdout
    assert (
        "first failed trial (raise_after_bars=100, fast_ema_period=10): RuntimeError: raised on bar 100" in done.stdout
    )
    table = rows(config.parent / "results" / "raising")
    assert table["status"].tolist() == ["ok", "ok", "failed", "failed"]
    assert table["trades"][:2].min() > 0
    failed = table[table["status"] == "failed"]
    assert failed["error"].str.startswith("RuntimeError: raised on bar 100 at ").all()
    assert failed["worker"].str.startswith("tcp://127.0.0.1:").all()  # it ran, on a worker
    assert failed["total_return"].isna().all() and failed["score"].isna().all()

    trials = config.parent / "results" / "raising" / "trials.jsonl"
    first = keys(trials)
    request = SweepRequest(
        config=config, strategy="raising_strategy", params=("raise_after_bars=0,100", "fast_ema_period=10,20"),
        scheduler=dask_scheduler, sweep_id="raising",
    )  # fmt: skip
    again = rows(sweep_command(request, echo=lambda _: None).directory)
    retried = keys(trials)[len(first) :]
    assert sorted(retried) == sorted(failed["key"])  # the failed trials ran again, the completed ones did not
    assert again["status"].tolist() == table["status"].tolist()


def test_a_sweep_whose_every_trial_raises_on_its_worker_fails_naming_the_first_error(
    sweep_config, dask_scheduler
) -> None:
    request = SweepRequest(
        config=sweep_config(**RAISING), strategy="raising_strategy", params=("raise_after_bars=50,60",),
        scheduler=dask_scheduler,
    )  # fmt: skip
    with pytest.raises(UserError) as caught:
        sweep_command(request, echo=lambda _: None)
    assert caught.value.exit_code == 1
    assert str(caught.value).startswith(
        "no trial ran to the end (2 failed); the first error: RuntimeError: raised on bar 50 at "
    )
