"""Command-line interface: subcommands only, each a thin call into one module."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from nautilus_node.settings import ConfigError

DEFAULT_CONFIG = Path("configs/paper.toml")
SIM_CONFIG = Path("configs/sim.toml")
DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def one_line_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a project error as one line on stderr and exit non-zero (2: bad input, 1: failed run)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from nautilus_node.runner import RunError

        try:
            return command(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except RunError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


def parse_duration(value: str | None) -> float | None:
    """`30`, `30s`, `5m`, `1h` → seconds."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", value)
    if not match or float(match[1]) <= 0:
        raise click.BadParameter(f"{value!r} is not a duration (examples: 90, 30s, 5m, 1h)")
    return float(match[1]) * DURATION_UNITS[match[2]]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """A NautilusTrader trading node for Interactive Brokers paper trading."""


# --- run / check (node) -------------------------------------------------------------------------------------


@main.command()
@click.argument("config", type=click.Path(path_type=Path), required=False)
@click.option("--sim", is_flag=True, help="Start the simulated IB Gateway on a free local port and run against it.")
@click.option("--for", "duration", metavar="DURATION", help="Stop by itself after DURATION (90, 30s, 5m, 1h).")
@click.option(
    "--wait-gateway",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Wait up to SECONDS for the IB API to answer (for containers), with a countdown.",
)
@click.option("--live", is_flag=True, help="Allow a live port/account (also needs NAUTILUS_NODE_ALLOW_LIVE=yes).")
@one_line_errors
def run(config: Path | None, sim: bool, duration: str | None, wait_gateway: float | None, live: bool) -> None:
    """Run the trading node from CONFIG (default configs/paper.toml; with --sim, configs/sim.toml)."""
    from nautilus_node.runner import RunOptions, run_from_config

    path = config or (SIM_CONFIG if sim else DEFAULT_CONFIG)
    options = RunOptions(duration_secs=parse_duration(duration), wait_gateway_secs=wait_gateway)
    report = run_from_config(path, options, sim=sim, live=live, echo=click.echo)
    if report.startup_secs is None:
        sys.exit(1)


@main.command()
@click.argument("config", type=click.Path(path_type=Path), required=False)
@click.option("--live", is_flag=True, help="Accept a live port/account (also needs NAUTILUS_NODE_ALLOW_LIVE=yes).")
@one_line_errors
def check(config: Path | None, live: bool) -> None:
    """Validate CONFIG and load every strategy with its config, without connecting."""
    from nautilus_node.runner import check_config

    path = config or DEFAULT_CONFIG
    click.echo(check_config(path, live=live))


# --- gateway (simulated IB Gateway) -------------------------------------------------------------------------

# --- status -------------------------------------------------------------------------------------------------


@main.command()
@click.option(
    "--url",
    metavar="URL",
    help="The node's status address (default: from NAUTILUS_NODE_STATUS_HOST/_PORT, else http://127.0.0.1:8001).",
)
@click.option(
    "--file", "file", type=click.Path(path_type=Path), help="Read the snapshot file instead (e.g. status/status.json)."
)
@click.option("--check", is_flag=True, help="Exit 0 when healthy, 1 otherwise (with the reasons).")
def status(url: str | None, file: Path | None, check: bool) -> None:
    """Print the node's status, or check its health (for container health checks)."""
    from nautilus_node.status.client import run as run_status

    if url is not None and file is not None:
        raise click.UsageError("give --url or --file, not both")
    code, text = run_status(url, file, check)
    click.echo(text, err=code != 0 and not check)
    sys.exit(code)


# --- catalog ------------------------------------------------------------------------------------------------


def catalog_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input files exit 2 and a failed download exits 1, each with a one-line message."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from nautilus_node.catalog.errors import CatalogInputError

        try:
            return command(*args, **kwargs)
        except CatalogInputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    return wrapper


@main.group()
def catalog() -> None:
    """Fill and inspect the ParquetDataCatalog (default ./catalog)."""


@catalog.group("import")
def catalog_import() -> None:
    """Import files into the catalog (all or nothing; rows already there are skipped)."""


@catalog_import.command("lean")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--catalog",
    "catalog_dir",
    type=click.Path(path_type=Path),
    default=Path("catalog"),
    show_default=True,
    help="Catalog root folder.",
)
@click.option("--instrument", default="EUR/USD.IDEALPRO", show_default=True, help="Instrument id of the files.")
@catalog_errors
def catalog_import_lean(paths: tuple[Path, ...], catalog_dir: Path, instrument: str) -> None:
    """Import QuantConnect LEAN forex quote files (zips, or folders of them) from PATHS."""
    from nautilus_node.catalog.cli_support import echo_results, file_progress
    from nautilus_node.catalog.importer import import_lean

    with file_progress() as progress:
        results = import_lean(catalog_dir, paths, instrument, progress=progress)
    echo_results(results)


# --- backtest / new-strategy / order ------------------------------------------------------------------------


@main.command()
@click.argument("config", type=click.Path(path_type=Path), required=False)
@click.option("--strategy", metavar="NAME", help="Run only this strategy (its module or class name).")
@click.option("--start", metavar="TIME", help="Start of the period (ISO date or date-time, UTC).")
@click.option("--end", metavar="TIME", help="End of the period (ISO date or date-time, UTC).")
@click.option("--progress/--no-progress", default=None, help="Show the progress bar (default: on a terminal).")
@one_line_errors
def backtest(
    config: Path | None, strategy: str | None, start: str | None, end: str | None, progress: bool | None
) -> None:
    """Backtest the strategies of CONFIG (default configs/backtest.toml) over the catalog."""
    from nautilus_node.backtest_command import DEFAULT_CONFIG as BACKTEST_CONFIG
    from nautilus_node.backtest_command import backtest_command

    outcome = backtest_command(config or BACKTEST_CONFIG, strategy=strategy, start=start, end=end, progress=progress)
    click.echo(outcome.summary)
