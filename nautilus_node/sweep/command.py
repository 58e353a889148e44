"""The `sweep` command: a config's strategy over a parameter space on Dask, its results in `results/<sweep-id>/`.

The sweep id is a hash of everything that defines the sweep (config file, strategy, space, search, metric, period,
walk-forward), so the same command run again finds its folder and skips every trial that already ran to the end.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from nautilus_node.backtest.catalog_location import CatalogLocation
from nautilus_node.errors import InputError, UserError
from nautilus_node.sweep.best import best_table, write_best_reports
from nautilus_node.sweep.charts import score_chart, walk_forward_chart
from nautilus_node.sweep.executor import Cluster, SweepInterrupted, check_catalog, open_cluster, run_on_cluster
from nautilus_node.sweep.factory import TrialFactory
from nautilus_node.sweep.optuna_search import OptunaSearch, Window
from nautilus_node.sweep.overfitting_report import overfitting_lines
from nautilus_node.sweep.promote import write_definition
from nautilus_node.sweep.space import Space, parse_space
from nautilus_node.sweep.store import TRIALS_FILE, TrialStore, results_table, write_tables
from nautilus_node.sweep.trial import DEFAULT_METRIC, METRICS, TrialResult, TrialSpec
from nautilus_node.sweep.walkforward import Fold, make_folds, parse_length

SEARCHES = ("grid", "random", "optuna")


@dataclass(frozen=True)
class SweepRequest:
    """Everything the command line says about one sweep."""

    config: Path
    params: tuple[str, ...]
    strategy: str | None = None
    search: str = "grid"
    trials: int | None = None
    seed: int = 0
    metric: str = DEFAULT_METRIC
    start: str | None = None
    end: str | None = None
    in_sample: str | None = None
    out_of_sample: str | None = None
    workers: int | None = None
    scheduler: str | None = None
    results: Path | None = None
    sweep_id: str | None = None
    report_best: int = 0
    top: int = 5
    chunk_size: int | None = 1_000_000

    def definition(self) -> dict[str, object]:
        """What makes two runs the same sweep (not where or how they run)."""
        fields = asdict(self)
        for name in ("config", "workers", "scheduler", "results", "sweep_id", "report_best", "top", "chunk_size"):
            fields.pop(name)
        return {**fields, "config_text": self.config.read_text(encoding="utf-8")}


@dataclass
class SweepOutcome:
    """Where the results went, every trial in order, and the text printed at the end."""

    directory: Path
    results: list[TrialResult] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def sweep_command(request: SweepRequest, echo: Callable[[str], None] = print) -> SweepOutcome:
    """Run the sweep and write its results; `InputError` on bad input, `UserError` when no trial succeeded."""
    _check_request(request)
    space = parse_space(request.params)
    factory = TrialFactory.load(request.config, request.strategy, request.chunk_size)
    factory.check_space(space)
    start, end = factory.period(request.start, request.end)
    folds = _folds(request, start, end)
    sweep_id = request.sweep_id or _sweep_id(factory.name, request)
    root = request.results or Path(factory.settings.backtest.results)
    outcome = SweepOutcome(directory=root / sweep_id)
    store = TrialStore(outcome.directory)
    write_definition(outcome.directory, sweep_id, request.config, factory.name, request.definition())
    specs: dict[str, TrialSpec] = {}
    sweep = _Sweep(request, space, factory, store, outcome, specs)
    with open_cluster(request.scheduler, request.workers) as cluster:
        echo(
            f"sweep {sweep_id}: {factory.name} over {', '.join(space.names)}, scored by {request.metric} "
            f"({METRICS[request.metric]}); {_where(cluster, request)}"
        )
        if store.completed_count:
            echo(
                f"resuming: {store.completed_count} trials finished by an earlier run "
                f"({outcome.directory / TRIALS_FILE}) are not run again"
            )
        check_catalog(cluster, CatalogLocation.parse(factory.settings.backtest.catalog))
        try:
            if folds is None:
                sweep.search(cluster, start, end, fold=None, sample="all")
            else:
                sweep.walk_forward(cluster, folds)
        except SweepInterrupted:
            sweep.write(folds, echo)
            raise
    sweep.write(folds, echo)
    if not any(r.ok for r in outcome.results):
        first = next((r.error for r in outcome.results if r.error), "no trial ran")
        raise UserError(f"no trial ran to the end ({len(outcome.results)} failed); the first error: {first}")
    if request.report_best:
        scored = [r for r in outcome.results if r.sample in ("all", "out")]
        for line in write_best_reports(scored, specs, request.metric, request.report_best, outcome.directory):
            echo(line)
    return outcome


@dataclass
class _Sweep:
    """One sweep in progress: searching windows on the cluster and collecting every result in order."""

    request: SweepRequest
    space: Space
    factory: TrialFactory
    store: TrialStore
    outcome: SweepOutcome
    specs: dict[str, TrialSpec]
    fold_rows: list[dict[str, object]] = field(default_factory=list)

    def search(
        self, cluster: Cluster, start: pd.Timestamp, end: pd.Timestamp, fold: int | None, sample: str
    ) -> list[TrialResult]:
        """Search the space over one window; the results of this window's trials."""
        label = "trials" if fold is None else f"fold {fold}"
        if self.request.search == "optuna":
            return self._optuna(cluster, start, end, fold, sample, label)
        if self.request.search == "random":
            combos = self.space.sample(self.request.trials or 0, self.request.seed)
        else:
            combos = self.space.grid()
        return self._run(cluster, [self.factory.trial(p, start, end, fold, sample) for p in combos], label)

    def walk_forward(self, cluster: Cluster, folds: list[Fold]) -> None:
        """Choose on each fold's in-sample window, score the choice on its out-of-sample window."""
        metric = self.request.metric
        for fold in folds:
            chosen = _best(self.search(cluster, fold.in_start, fold.in_end, fold.number, "in"), metric)
            row: dict[str, object] = {
                "fold": fold.number,
                "in_start": fold.in_start.isoformat(),
                "in_end": fold.in_end.isoformat(),
                "out_start": fold.out_start.isoformat(),
                "out_end": fold.out_end.isoformat(),
            }
            if chosen is None:
                self.fold_rows.append(row | {"in_score": None, "out_score": None, "error": "no in-sample score"})
                continue
            if not fold.out_has_trading_day:
                error = "not scored: no trading day (weekday) in the out-of-sample window"
                self.fold_rows.append(row | {"in_score": chosen.score(metric), "out_score": None, "error": error})
                continue
            trial = self.factory.trial(chosen.params, fold.out_start, fold.out_end, fold.number, "out")
            [scored] = self._run(cluster, [trial], f"fold {fold.number} out-of-sample")
            row |= {f"param_{k}": v for k, v in chosen.params.items()}
            row |= {"in_score": chosen.score(metric), "out_score": scored.score(metric)}
            row |= {f"out_{k}": v for k, v in scored.metrics.items()} | {"error": scored.error or ""}
            self.fold_rows.append(row)

    def write(self, folds: list[Fold] | None, echo: Callable[[str], None]) -> None:
        """Tables, charts and the best trials, from whatever has finished."""
        directory, metric = self.outcome.directory, self.request.metric
        table = results_table(self.outcome.results, METRICS[metric])
        if table.empty:
            return
        write_tables(table, directory)
        ok = sum(r.ok for r in self.outcome.results)
        echo(f"{len(table)} trials ({ok} ok, {len(table) - ok} failed): {directory / 'sweep.csv'} and sweep.parquet")
        failure = next((r for r in self.outcome.results if not r.ok), None)
        if failure is not None:
            shown = ", ".join(f"{name}={value}" for name, value in failure.params.items())
            echo(f"first failed trial ({shown}): {failure.error}")
        if folds is None:
            chart = score_chart(table, self.space.names, metric, directory)
            echo(best_table(table, self.space.names, metric, self.request.top))
        else:
            frame = pd.DataFrame(self.fold_rows)
            if frame.empty:
                return
            frame.to_csv(directory / "walkforward.csv", index=False)
            chart = walk_forward_chart(frame, metric, directory / "walkforward.png")
            echo(_fold_summary(frame, self.space.names, metric))
        for line in overfitting_lines(self.outcome.results, metric, folds is not None, directory):
            echo(line)
        if chart is not None:
            echo(f"chart: {chart}")

    def _optuna(
        self, cluster: Cluster, start: pd.Timestamp, end: pd.Timestamp, fold: int | None, sample: str, label: str
    ) -> list[TrialResult]:
        search = OptunaSearch(
            self.factory, self.store, self.space, self.request.trials or 0, self.request.seed, self.request.metric
        )
        window = Window(start, end, fold, sample, study=_study_name(self.request, fold, sample, start, end))
        return search.run(cluster, window, label, self.specs, self.outcome.results)

    def _run(self, cluster: Cluster, built: list[TrialSpec | TrialResult], label: str) -> list[TrialResult]:
        """Run the trials not yet completed; all their results in the order given."""
        window: list[TrialResult | None] = []
        slots: dict[str, int] = {}
        todo = []
        for item in built:
            done = item if isinstance(item, TrialResult) else self.store.completed(item.key)
            if done is not None:
                window.append(done)
                if isinstance(item, TrialSpec):
                    self.specs[item.key] = item
            elif item.key not in slots:
                slots[item.key] = len(window)
                window.append(None)  # filled when the result arrives
                self.specs[item.key] = item
                todo.append(item)

        def arrived(result: TrialResult) -> int:
            window[slots[result.key]] = result
            self.store.add(result)
            return 1

        try:
            run_on_cluster(cluster, todo, arrived, total=len(todo), label=label)
        finally:
            finished = [r for r in window if r is not None]
            self.outcome.results.extend(finished)
        return finished


def _best(results: list[TrialResult], metric: str) -> TrialResult | None:
    scored = [r for r in results if r.score(metric) is not None]
    return max(scored, key=lambda r: r.score(metric)) if scored else None  # first of equals: the earliest trial


def _fold_summary(frame: pd.DataFrame, params: list[str], metric: str) -> str:
    columns = ["fold", "out_start", "out_end", *[f"param_{p}" for p in params if f"param_{p}" in frame], "in_score"]
    shown = frame[[c for c in [*columns, "out_score"] if c in frame]].rename(columns=lambda c: c.removeprefix("param_"))
    scores = pd.to_numeric(frame["out_score"], errors="coerce")
    unscored = int(scores.isna().sum())
    note = f"; {unscored} folds not scored (see the error column of walkforward.csv)" if unscored else ""
    return (
        f"walk-forward, {len(frame)} folds, chosen by in-sample {metric}:\n{shown.to_string(index=False)}\n"
        f"out-of-sample {metric}: mean {scores.mean():.4f}, {int((scores > 0).sum())} of "
        f"{len(frame) - unscored} scored folds above 0{note}"
    )


def _folds(request: SweepRequest, start: pd.Timestamp, end: pd.Timestamp) -> list[Fold] | None:
    if request.in_sample is None and request.out_of_sample is None:
        return None
    if request.in_sample is None or request.out_of_sample is None:
        raise InputError("--in-sample and --out-of-sample go together (e.g. --in-sample 5D --out-of-sample 2D)")
    return make_folds(
        start,
        end,
        parse_length(request.in_sample, "--in-sample"),
        parse_length(request.out_of_sample, "--out-of-sample"),
    )


def _check_request(request: SweepRequest) -> None:
    if request.search not in SEARCHES:
        raise InputError(f"--search {request.search!r}: expected one of {', '.join(SEARCHES)}")
    if request.metric not in METRICS:
        raise InputError(f"--metric {request.metric!r}: expected one of {', '.join(METRICS)}")
    if request.search != "grid" and not request.trials:
        raise InputError(f"--search {request.search} needs --trials N (how many combinations to try)")
    if request.search == "grid" and request.trials:
        raise InputError("--trials is for --search random or optuna; a grid runs every combination")
    if request.scheduler is not None and request.workers is not None:
        raise InputError("--workers sizes the local cluster; with --scheduler the cluster has its own workers")
    if not request.config.is_file():
        raise InputError(f"{request.config}: no such config file")


def _sweep_id(strategy: str, request: SweepRequest) -> str:
    digest = hashlib.sha256(json.dumps(request.definition(), sort_keys=True, default=str).encode()).hexdigest()
    return f"sweep-{strategy}-{digest[:10]}"


def _study_name(request: SweepRequest, fold: int | None, sample: str, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """The Optuna study of one window: its place and period, and the space (a changed space is a new study)."""
    space = hashlib.sha256(json.dumps(sorted(request.params)).encode()).hexdigest()[:10]
    return f"{sample}-{fold or 0}-{start.isoformat()}-{end.isoformat()}-{space}"


def _where(cluster: Cluster, request: SweepRequest) -> str:
    place = f"scheduler {request.scheduler}" if request.scheduler else "local cluster on 127.0.0.1"
    dashboard = cluster.dashboard or "none (install bokeh for Dask's dashboard)"
    return f"{place}, {cluster.workers} workers; dashboard: {dashboard}"
