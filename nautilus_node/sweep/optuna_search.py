"""Optuna's TPE search over one window of a sweep, its study kept in the results folder's Optuna journal
(`optuna.journal`), so the same sweep run again goes on from where the study got to.

Run again, a study's completed trials are taken from `trials.jsonl` (none runs twice), its trials cut short (Ctrl-C,
a crash) run again, and each of its failed trials is replaced by a new ask. Parameters asked again within the
window are scored with the result they had (or will have) without a second run; the window's rows are its distinct
trials, in the order first asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from nautilus_node.sweep.executor import Cluster, run_on_cluster
from nautilus_node.sweep.factory import TrialFactory
from nautilus_node.sweep.space import Space, Value
from nautilus_node.sweep.store import TrialStore
from nautilus_node.sweep.trial import TrialResult, TrialSpec

if TYPE_CHECKING:
    from optuna import Study  # optuna is imported only when a search uses it

OPTUNA_JOURNAL = "optuna.journal"


@dataclass(frozen=True)
class Window:
    """The period a search runs over, its fold and sample, and the name of its study."""

    start: pd.Timestamp
    end: pd.Timestamp
    fold: int | None
    sample: str
    study: str


@dataclass(frozen=True)
class OptunaSearch:
    """`trials` trials of TPE seeded with `seed`, maximising `metric`, over the space's values."""

    factory: TrialFactory
    store: TrialStore
    space: Space
    trials: int
    seed: int
    metric: str

    def run(
        self, cluster: Cluster, window: Window, label: str, specs: dict[str, TrialSpec], results: list[TrialResult]
    ) -> list[TrialResult]:
        """Search the window with as many trials running at once as the cluster has workers; every trial run gets
        its spec in `specs`, and the window's rows are added to `results` (also when interrupted)."""
        study = self._study(window.study)
        run = _StudyRun(self, study, window, specs)
        try:
            run_on_cluster(cluster, run.feed(), run.arrived, total=self.trials, label=label, in_flight=cluster.workers)
        finally:
            rows = run.rows()
            results.extend(rows)
        return rows

    def _study(self, name: str) -> Study:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(self.store.directory / OPTUNA_JOURNAL))
        )
        before = sum(s.n_trials for s in optuna.get_all_study_summaries(storage) if s.study_name == name)
        return optuna.create_study(
            study_name=name,
            storage=storage,
            load_if_exists=True,
            direction="maximize",
            sampler=optuna.samplers.TPESampler(seed=self.seed + before),  # a resumed study: not the same asks again
        )


class _StudyRun:
    """One run of a study: what it asks, what waits on each trial's result, and what it has kept."""

    def __init__(self, search: OptunaSearch, study: Study, window: Window, specs: dict[str, TrialSpec]) -> None:
        self.search, self.study, self.window, self.specs = search, study, window, specs
        self.waiting: dict[str, list[int | None]] = {}  # the study's trial numbers waiting on a key (None: told)
        self.order: dict[str, int] = {}
        self.kept: dict[str, TrialResult] = {}
        self.running: set[str] = set()

    def feed(self) -> Iterator[TrialSpec | TrialResult]:
        """The study's earlier trials that completed or were cut short, then new asks up to the number of trials."""
        from optuna.trial import FixedTrial, TrialState

        space = self.search.space
        resumed = [
            t for t in self.study.get_trials(deepcopy=False) if t.state in (TrialState.COMPLETE, TrialState.RUNNING)
        ]
        for trial in resumed:
            told = None if trial.state == TrialState.COMPLETE else trial.number
            item = self._offer(space.suggest(FixedTrial(trial.params, trial.number)), told)
            if item is not None:
                yield item
        for _ in range(max(0, self.search.trials - len(resumed))):
            trial = self.study.ask()
            item = self._offer(space.suggest(trial), trial.number)
            if item is not None:
                yield item

    def arrived(self, result: TrialResult) -> int:
        """Keep the result, tell the study; how many of its trials it answers."""
        from optuna.trial import TrialState

        if result.key in self.running:
            self.running.discard(result.key)
            self.search.store.add(result)
        self.kept.setdefault(result.key, result)
        value = result.score(self.search.metric)
        numbers = self.waiting.pop(result.key, [])
        for number in numbers:
            if number is not None:
                self.study.tell(number, value, state=TrialState.FAIL if value is None else TrialState.COMPLETE)
        return len(numbers)

    def rows(self) -> list[TrialResult]:
        """The distinct trials that finished, in the order first asked."""
        return sorted(self.kept.values(), key=lambda r: self.order[r.key])

    def _offer(self, params: dict[str, Value], number: int | None) -> TrialSpec | TrialResult | None:
        """What to hand on for a trial with these parameters: the result it already has, or its spec to run; None
        when the same parameters are running now (the trial is told with that run's result)."""
        w = self.window
        built = self.search.factory.trial(params, w.start, w.end, w.fold, w.sample)
        if built.key in self.waiting:
            self.waiting[built.key].append(number)
            return None
        self.waiting[built.key] = [number]
        self.order.setdefault(built.key, len(self.order))
        if isinstance(built, TrialResult):
            return self.kept.get(built.key, built)
        self.specs[built.key] = built
        earlier = self.kept.get(built.key) or self.search.store.completed(built.key)
        if earlier is None:
            self.running.add(built.key)
        return earlier or built
