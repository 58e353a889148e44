"""`sweep promote`: a real sweep (local Dask cluster, the shipped catalog) → promote a trial → `check` accepts the
config and `run --sim --for 30s` trades it against the simulated gateway."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from tests.node.conftest import run_cli as run_node_cli
from tests.sweep.conftest import CATALOG, END, REPO, START, run_cli

PARAMS = ("ema_period=20,40", "entry_bps=0.5", "take_profit_bps=0.5", "stop_loss_bps=1.0")


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The results folder of a two-trial quote reversion sweep (parameters that trade within seconds live)."""
    folder = tmp_path_factory.mktemp("promote")
    text = (REPO / "configs" / "paper.toml").read_text(encoding="utf-8")
    text = text.replace('catalog = "catalog"', f'catalog = "{CATALOG}"')
    text = text.replace('results = "results"', f'results = "{folder / "results"}"')
    text = text.replace('start = "2014-05-01"', f'start = "{START}"').replace('end = "2014-05-16"', f'end = "{END}"')
    config = folder / "sweep.toml"
    config.write_text(text, encoding="utf-8")
    params = [arg for p in PARAMS for arg in ("--param", p)]
    done = run_cli("sweep", str(config), "--strategy", "quote_reversion", *params, "--workers", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    # beside the best trial: its deflated Sharpe ratio over the 3 business days 2014-05-05 .. 07
    assert re.search(
        r"^deflated Sharpe ratio \d\.\d\d \(daily Sharpe .* 2 trials, 3 daily returns\): ", done.stdout, re.M
    )
    [results] = list((folder / "results").iterdir())
    return results


def promote(results: Path, *args: str):
    return run_cli("sweep", "promote", str(results), *args, "--output", str(results / f"promoted{len(args)}.toml"))


def test_the_best_trial_by_return_is_promoted_with_its_parameters_and_provenance(swept: Path) -> None:
    table = pd.read_csv(swept / "sweep.csv")
    best = table.loc[table["total_return"].idxmax()]
    done = promote(swept, "--best", "return")
    assert done.returncode == 0, done.stderr
    path = swept / "promoted2.toml"
    text = path.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[0] == f"# Promoted from sweep {swept.name}, trial {best['trial']} (the best return of 2 trials)."
    assert f"total_return {best['total_return']:.6g}" in header[2]
    [strategy] = tomllib.loads(text)["strategies"]
    assert strategy["path"] == "strategies.quote_reversion:QuoteReversionStrategy"
    assert strategy["config"]["ema_period"] == best["param_ema_period"]
    assert strategy["config"]["entry_bps"] == 0.5
    assert re.search(r"promoted2\.toml: OK — .*strategies: QuoteReversionStrategy$", done.stdout, re.M)


def test_a_trial_chosen_by_number_is_promoted(swept: Path) -> None:
    table = pd.read_csv(swept / "sweep.csv").set_index("trial")
    done = promote(swept, "--trial", "2")
    assert done.returncode == 0, done.stderr
    [strategy] = tomllib.loads((swept / "promoted2.toml").read_text())["strategies"]
    assert strategy["config"]["ema_period"] == table.loc[2, "param_ema_period"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--trial", "9"), "--trial 9: "),
        (("--trial", "1", "--best", "return"), "give --trial N or --best METRIC, not both"),
    ],
)
def test_a_bad_choice_is_one_line_and_exit_2(swept: Path, args: tuple[str, ...], message: str) -> None:
    done = promote(swept, *args)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {message}") and len(done.stderr.strip().splitlines()) == 1


def test_a_folder_that_is_no_sweep_is_refused(tmp_path: Path) -> None:
    done = run_cli("sweep", "promote", str(tmp_path))
    assert (done.returncode, done.stderr.strip()) == (
        2,
        f"error: {tmp_path}: no sweep.json: not a sweep's results folder",
    )


@pytest.mark.e2e
def test_the_promoted_config_trades_on_the_simulated_gateway(swept: Path) -> None:
    done = promote(swept, "--best", "return")
    assert done.returncode == 0, done.stderr
    config = swept / "promoted2.toml"
    assert tomllib.loads(config.read_text())["status"]["file"] == "status/status.json"
    text = config.read_text().replace('file = "status/status.json"', f'file = "{swept / "status.json"}"')
    config.write_text(text.replace('log_directory = "logs"', f'log_directory = "{swept / "logs"}"'))  # test paths
    ran = run_node_cli("run", "--sim", "--for", "30s", str(config), timeout=180)
    assert ran.returncode == 0, ran.stderr[-2000:]
    snapshot = json.loads((swept / "status.json").read_text())
    assert snapshot["fills"], "the promoted strategy placed no filled order in 30 s"
    assert {f["instrument_id"] for f in snapshot["fills"]} == {"EUR/USD.IDEALPRO"}
