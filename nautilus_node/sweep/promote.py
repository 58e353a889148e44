"""`sweep promote RESULTS_DIR [--trial N | --best METRIC]`: a sweep's trial as a config file ready to trade.

A sweep writes `sweep.json` (its id, config file and text, strategy, metric) into its results folder. Promote
reads it with `sweep.csv` (trial numbers) and `trials.jsonl` (each trial's exact parameters and metrics), picks
a trial (by number, or the best by a metric: in a walk-forward, the best out-of-sample score), and writes the
sweep's config file with only that strategy, its config overlaid with the trial's parameters: the same
instruments, gateway, status and `[backtest]` data, so `check` accepts it, `run --sim` trades it and `backtest`
reproduces the trial. The header records the sweep id, the trial and its metrics.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from nautilus_node.errors import InputError
from nautilus_node.sweep.store import TRIALS_FILE
from nautilus_node.sweep.trial import METRIC_COLUMNS, METRICS, TrialResult

SWEEP_FILE = "sweep.json"
PROMOTED_FILE = "promoted.toml"


def write_definition(directory: Path, sweep_id: str, config: Path, strategy: str, definition: dict) -> None:
    """`sweep.json`: what promote needs to turn a trial back into a config file."""
    facts = {"sweep_id": sweep_id, "config": str(config), "strategy": strategy, **definition}
    (directory / SWEEP_FILE).write_text(json.dumps(facts, indent=2, default=str) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Promotion:
    """The config written and the trial it came from."""

    path: Path
    trial: int
    result: TrialResult
    why: str


def promote(results_dir: Path, trial: int | None, best: str | None, output: Path | None = None) -> Promotion:
    """Write the chosen trial's config (default `RESULTS_DIR/promoted.toml`); `InputError` naming what is wrong."""
    if trial is not None and best is not None:
        raise InputError("give --trial N or --best METRIC, not both")
    sweep = _read_json(results_dir / SWEEP_FILE, results_dir)
    numbers = _trial_numbers(results_dir)
    results = _results(results_dir)
    metric = best or sweep["metric"]
    if trial is not None:
        key = next((k for k, n in numbers.items() if n == trial), None)
        if key is None or key not in results:
            raise InputError(f"--trial {trial}: {results_dir} has trials 1..{len(numbers)}")
        chosen, why = results[key], f"trial {trial}, chosen by number"
        if not chosen.ok:
            raise InputError(f"--trial {trial}: that trial failed ({chosen.error}); choose another")
    else:
        if metric not in METRICS:
            raise InputError(f"--best {metric!r}: expected one of {', '.join(METRICS)}")
        chosen, why = _best(results, numbers, metric)
    path = output or results_dir / PROMOTED_FILE
    path.write_text(_header(sweep, numbers[chosen.key], chosen, why) + _config_text(sweep, chosen), encoding="utf-8")
    return Promotion(path=path, trial=numbers[chosen.key], result=chosen, why=why)


def _read_json(path: Path, results_dir: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{results_dir}: no {SWEEP_FILE}: not a sweep's results folder") from None
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None


def _trial_numbers(results_dir: Path) -> dict[str, int]:
    """Trial key → the number `sweep.csv` shows."""
    try:
        table = pd.read_csv(results_dir / "sweep.csv", usecols=["trial", "key"])
    except FileNotFoundError:
        raise InputError(f"{results_dir}: no sweep.csv: the sweep has no finished trial") from None
    return {str(key): int(number) for number, key in zip(table["trial"], table["key"], strict=True)}


def _results(results_dir: Path) -> dict[str, TrialResult]:
    """Trial key → its last result in `trials.jsonl` (exact parameters and metrics)."""
    path = results_dir / TRIALS_FILE
    if not path.exists():
        raise InputError(f"{results_dir}: no {TRIALS_FILE}")
    lines = path.read_text(encoding="utf-8").splitlines()
    return {r.key: r for r in (TrialResult(**json.loads(line)) for line in lines if line.strip())}


def _best(results: dict[str, TrialResult], numbers: dict[str, int], metric: str) -> tuple[TrialResult, str]:
    """The best trial by `metric` (out-of-sample in a walk-forward), the earliest of equals."""
    shown = [r for key, r in results.items() if key in numbers]
    walk_forward = any(r.sample == "out" for r in shown)
    candidates = [r for r in shown if (r.sample == "out" or not walk_forward) and r.score(metric) is not None]
    if not candidates:
        raise InputError(f"--best {metric}: no trial has a {metric} score")
    chosen = max(sorted(candidates, key=lambda r: numbers[r.key]), key=lambda r: r.score(metric))
    scope = "out-of-sample " if walk_forward else ""
    return chosen, f"the best {scope}{metric} of {len(candidates)} trials"


def _config_text(sweep: dict[str, Any], chosen: TrialResult) -> str:
    """The sweep's config with only its strategy, that strategy's config overlaid with the trial's parameters."""
    raw = tomllib.loads(sweep["config_text"])
    module = sweep["strategy"]
    mine = [s for s in raw.get("strategies", []) if s["path"].split(":")[0].rsplit(".", 1)[-1] == module]
    if len(mine) != 1:
        raise InputError(f"{sweep['config']}: the sweep's strategy {module!r} is not exactly one [[strategies]] entry")
    strategy = {**mine[0], "config": {**mine[0].get("config", {}), **chosen.params}}
    raw["strategies"] = [strategy]
    backtest = raw.get("backtest")
    if backtest:
        backtest["data"] = [d for d in backtest.get("data", []) if not d.get("strategies") or module in d["strategies"]]
    return tomli_w.dumps(raw)


def _header(sweep: dict[str, Any], number: int, chosen: TrialResult, why: str) -> str:
    params = ", ".join(f"{k}={v}" for k, v in chosen.params.items())
    metrics = ", ".join(
        f"{name} {_figure(chosen.metrics.get(name))}" for name in METRIC_COLUMNS if name in chosen.metrics
    )
    sample = f"{chosen.sample}-of-sample fold {chosen.fold}, " if chosen.fold is not None else ""
    lines = [
        f"Promoted from sweep {sweep['sweep_id']}, trial {number} ({why}).",
        f"Strategy {sweep['strategy']} with {params}; everything else as in {sweep['config']}.",
        f"Trial metrics ({sample}{chosen.start[:10]} .. {chosen.end[:10]}): {metrics}.",
        "Written by `sweep promote`: `check` validates it, `run --sim` trades it, `backtest` reproduces the trial.",
    ]
    return "".join(f"# {line}\n" for line in lines) + "\n"


def _figure(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "n/a" if value is None else str(value)
