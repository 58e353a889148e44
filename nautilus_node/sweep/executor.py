"""Where trials run: Dask workers, each a separate process with one thread (NautilusTrader runs one backtest per
process at a time). By default a `distributed.LocalCluster` on 127.0.0.1 sized to this machine; with a scheduler
address, any existing cluster. Before the first trial every worker proves it can read the catalog.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dask
from distributed import Client, Future, LocalCluster, as_completed
from tqdm import tqdm

from nautilus_node.backtest.catalog_location import CatalogLocation
from nautilus_node.errors import UserError
from nautilus_node.sweep.trial import TrialResult, TrialSpec, failed, run_trial

WORKER_WAIT_SECS = 60
# Dask's statistical profiler samples every worker thread's stack every 10 ms: CPU taken from the trials, and the
# frames it holds can drop NautilusTrader's Rust catalog session on the wrong thread (a RuntimeError at exit).
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}
DASHBOARD_PROBE_SECS = 3


class ClusterError(UserError):
    """The Dask cluster could not be reached, has no workers, or its workers cannot read the catalog."""


class SweepInterrupted(UserError):
    """Ctrl-C during a sweep: what finished is kept (exit code 130, as for SIGINT)."""

    exit_code = 130


@dataclass(frozen=True)
class Cluster:
    """A connected Dask client, how many trials it runs at once, and where its dashboard is (None: no dashboard)."""

    client: Client
    workers: int
    dashboard: str | None


@contextmanager
def open_cluster(scheduler: str | None = None, workers: int | None = None) -> Iterator[Cluster]:
    """Connect to the scheduler at `scheduler`, or start a local cluster of `workers` processes (default: one per
    CPU core) bound to 127.0.0.1; closed on exit."""
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"--scheduler {scheduler}: no Dask scheduler answered ({exc})") from None
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_SECS)
        except TimeoutError:
            client.close()
            raise ClusterError(f"--scheduler {scheduler}: no worker joined within {WORKER_WAIT_SECS} s") from None
        try:
            yield Cluster(client, _worker_threads(client), _dashboard(client))
        finally:
            client.close()
        return
    with (
        dask.config.set(LOCAL_WORKER_CONFIG),
        LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
            preload=["nautilus_node.sweep.worker_setup"],
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield Cluster(client, _worker_threads(client), _dashboard(client))


def check_catalog(cluster: Cluster, catalog: CatalogLocation) -> None:
    """Every worker opens the catalog and lists its data; `ClusterError` naming the first worker that cannot."""
    answers = cluster.client.run(catalog_problem, catalog)
    for worker, problem in sorted(answers.items()):
        if problem is not None:
            raise ClusterError(f"catalog {catalog.url} is not readable on worker {worker}: {problem}")


def catalog_problem(catalog: CatalogLocation) -> str | None:
    """Why this process cannot read the catalog, or None when it can (runs on a worker, and loads NautilusTrader's
    backtest machinery there, so the first trial's time is its own)."""
    import nautilus_node.backtest.report  # noqa: F401

    try:
        store = catalog.open()
        if not store.fs.exists(f"{store.path}/data"):
            return "no data folder there"
        if not store.list_data_types():
            return "it holds no data"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def run_on_cluster(
    cluster: Cluster,
    specs: Iterable[TrialSpec | TrialResult],
    on_result: Callable[[TrialResult], int],
    total: int,
    label: str = "trials",
    in_flight: int | None = None,
) -> None:
    """Run the trials on the cluster, at most `in_flight` at a time (default: all queued at once), handing each
    result to `on_result` as it arrives, with a progress bar of `total` steps; `on_result` returns how many steps
    the result makes (a search may count one run as several of its trials). `specs` is drawn lazily, after the
    results so far (an adaptive search asks for its next trial then); a `TrialResult` among them is a trial that
    finished on an earlier run, handed on at once. A trial whose worker died is a failed result; Ctrl-C cancels
    what is left and raises `SweepInterrupted`."""
    feed = iter(specs)
    pending: dict[Future, TrialSpec] = {}
    queue = as_completed(loop=cluster.client.loop)
    submitted = 0
    bar = tqdm(total=total, desc=label, unit="trial", disable=None, dynamic_ncols=True)

    def submit_next() -> None:
        nonlocal submitted
        for item in feed:
            if isinstance(item, TrialResult):
                bar.update(on_result(item))
                continue
            future = cluster.client.submit(run_trial, item, key=f"trial-{item.key}-{submitted}", pure=False)
            submitted += 1
            pending[future] = item
            queue.add(future)
            return

    try:
        for _ in range(in_flight or total):
            submit_next()
        for future in queue:
            spec = pending.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # the worker died, or the task could not be sent or received
                result = failed(spec, f"{type(exc).__name__}: {exc}".splitlines()[0])
            bar.update(on_result(result))
            submit_next()
    except KeyboardInterrupt:
        cluster.client.cancel(list(pending))
        raise SweepInterrupted("interrupted: the finished trials are kept; run the same sweep again to go on") from None
    finally:
        bar.close()


def _worker_threads(client: Client) -> int:
    return sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()) or 1


def _dashboard(client: Client) -> str | None:
    """The dashboard's address when its page answers: Dask always serves HTTP, but draws the page only where
    bokeh is installed (elsewhere the page says that it needs bokeh)."""
    if "dashboard" not in client.scheduler_info().get("services", {}):
        return None
    link = client.dashboard_link
    try:
        with urllib.request.urlopen(link, timeout=DASHBOARD_PROBE_SECS) as response:
            page = response.read(2000)
            return link if response.status == 200 and b"needs bokeh" not in page else None
    except (OSError, ValueError):
        return None
