"""Command-line interface: subcommands only, each a thin call into one module.

Every command reports failure the same way: a `UserError` (exit 1) or `InputError` (bad input, exit 2) from
`nautilus_node.errors`, printed as one `error: …` line on stderr by `one_line_errors`. A verdict that is the
command's result (`status --check`, an order's outcome) is printed as output with its documented exit code.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from nautilus_node.catalog import DOWNLOAD_CLIENT_ID, FETCH_CLIENT_ID
from nautilus_node.errors import InputError, UserError
from nautilus_node.ib.accounts import DEFAULT_PORT, DEMO_PAPER_ACCOUNT, PAPER_ACCOUNT_PREFIX
from nautilus_node.ib.orders import DEFAULT_TIME_IN_FORCE, TIMES_IN_FORCE
from nautilus_node.simgateway.versions import MAX_VERSION, MIN_VERSION

DEFAULT_CONFIG = Path("configs/paper.toml")
SIM_CONFIG = Path("configs/sim.toml")
DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}

config_option = click.option(
    "--config",
    type=click.Path(path_type=Path),
    help=f"Config file whose addresses to use, with the same environment overrides as `run` (default {DEFAULT_CONFIG} "
    "when present).",
)
gateway_host_option = click.option("--host", help="IB Gateway host (default: the config's gateway.host).")
gateway_port_option = click.option(
    "--port", type=click.IntRange(0, 65535), help="IB Gateway API port (default: the config's gateway.port)."
)


def one_line_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a project error as one line on stderr and exit with its code (2: bad input, 1: failed)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def parse_duration(value: str | None) -> float | None:
    """`30`, `30s`, `5m`, `1h` → seconds."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", value)
    if not match or float(match[1]) <= 0:
        raise InputError(f"--for {value!r} is not a duration (examples: 90, 30s, 5m, 1h)")
    return float(match[1]) * DURATION_UNITS[match[2]]


def import_from_current_directory() -> None:
    """Let strategy paths (`strategies.ema_cross:…`) resolve from the current directory, as under `python -m`:
    the example strategies are not installed, and a user's own `strategies/` is the one meant."""
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.insert(0, here)


# Two-word commands under a command that itself takes arguments (`sweep CONFIG`): the words → the hidden command.
TWO_WORD_COMMANDS = {("sweep", "promote"): "sweep-promote"}


class _Commands(click.Group):
    """The command group; `sweep promote …` is a subcommand of `sweep`, which itself takes a config file."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = TWO_WORD_COMMANDS.get(tuple(args[:2]))
        if name is not None:
            return " ".join(args[:2]), self.commands[name], args[2:]
        return super().resolve_command(ctx, args)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """A NautilusTrader trading node for Interactive Brokers paper trading."""
    import_from_current_directory()


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
@click.option(
    "--record", is_flag=True, help="Record quotes, trades, bars, orders and fills into [record].catalog for replay."
)
@one_line_errors
def run(
    config: Path | None, sim: bool, duration: str | None, wait_gateway: float | None, live: bool, record: bool
) -> None:
    """Run the trading node from CONFIG (default configs/paper.toml; with --sim, configs/sim.toml)."""
    from nautilus_node.live.runner import RunError, RunOptions, run_from_config

    path = config or (SIM_CONFIG if sim else DEFAULT_CONFIG)
    options = RunOptions(duration_secs=parse_duration(duration), wait_gateway_secs=wait_gateway, record=record)
    report = run_from_config(path, options, sim=sim, live=live, echo=click.echo)
    if report.startup_secs is None:
        raise RunError(f"the node stopped ({report.stopped_by or 'start-up failed'}) before its strategies ran")


@main.command()
@click.argument("config", type=click.Path(path_type=Path), required=False)
@click.option("--live", is_flag=True, help="Accept a live port/account (also needs NAUTILUS_NODE_ALLOW_LIVE=yes).")
@one_line_errors
def check(config: Path | None, live: bool) -> None:
    """Validate CONFIG and load every strategy with its config, without connecting."""
    from nautilus_node.live.runner import check_config

    path = config or DEFAULT_CONFIG
    click.echo(check_config(path, live=live))


# --- gateway (simulated IB Gateway) -------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535), help="API port (0: any)."
)
@click.option(
    "--account", default=DEMO_PAPER_ACCOUNT, show_default=True, help=f"Paper account id ({PAPER_ACCOUNT_PREFIX}…)."
)
@click.option("--seed", default=7, show_default=True, type=int, help="Seed of the price random walk.")
@click.option("--replay", type=click.Path(path_type=Path), help="Replay EUR/USD quotes from this catalog.")
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Replay speed (x real time).",
)
@click.option("--control-port", type=click.IntRange(0, 65535), help="Listen for fault commands on 127.0.0.1:PORT.")
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the account (orders, executions, positions, ids) in FILE across gateway restarts.",
)
@click.option(
    "--always-open", is_flag=True, help="Fill orders at any hour (default: only in each contract's trading hours)."
)
@click.option(
    "--server-version",
    default=MAX_VERSION,
    show_default=True,
    type=click.IntRange(MIN_VERSION, MAX_VERSION),
    help="Highest TWS API server version served, as an older IB Gateway (200 or less: the text protocol only).",
)
@one_line_errors
def gateway(
    host: str,
    port: int,
    account: str,
    seed: int,
    replay: Path | None,
    speed: float,
    control_port: int | None,
    state: Path | None,
    always_open: bool,
    server_version: int,
) -> None:
    """Run the simulated IB Gateway (TWS API protocol, paper broker) until interrupted."""
    from nautilus_node.simgateway.standalone import serve

    serve(
        host,
        port,
        account,
        seed,
        replay,
        speed,
        control_port,
        click.echo,
        state=state,
        always_open=always_open,
        server_version=server_version,
    )


@main.command("gateway-fault", context_settings={"ignore_unknown_options": True})
@click.argument("action")
@click.argument("args", nargs=-1)
@click.option("--control-port", required=True, type=click.IntRange(1, 65535), help="The gateway's --control-port.")
@one_line_errors
def gateway_fault(action: str, args: tuple[str, ...], control_port: int) -> None:
    """Inject a fault into a running simulated gateway.

    ACTION is one of drop-connections, restart [SECONDS] [--farms-after S], hold-client-ids SECONDS,
    connectivity-lost, connectivity-restored [true|false], farm-status CODE [--bars-error 10182|10225],
    kill-subscription KIND [--error CODE] [--symbol NAME], stall-feed NAME, resume-feed [NAME],
    set-price SYMBOL PRICE, external-fill SYMBOL QUANTITY, reject-next-order [REASON], delay-responses SECONDS
    (see docs/simulated-gateway-faults.md).
    """
    from nautilus_node.simgateway.standalone import fault

    code, text = fault(action, args, control_port)
    if code != 0:
        raise (InputError if code == InputError.exit_code else UserError)(text)
    click.echo(text)


# --- status -------------------------------------------------------------------------------------------------


@main.command()
@click.option(
    "--url",
    metavar="URL",
    help="The node's status address (default: the config's status.host and status.port).",
)
@click.option(
    "--file", "file", type=click.Path(path_type=Path), help="Read the snapshot file instead (e.g. status/status.json)."
)
@click.option("--check", is_flag=True, help="Exit 0 when healthy, 1 otherwise (with the reasons).")
@config_option
@one_line_errors
def status(url: str | None, file: Path | None, check: bool, config: Path | None) -> None:
    """Print the node's status, or check its health (for container health checks)."""
    from nautilus_node.settings import load_command_settings
    from nautilus_node.status.client import check_health, default_url, describe

    if url is not None and file is not None:
        raise InputError("give --url or --file, not both")
    if url is None and file is None:
        url = default_url(load_command_settings(config, DEFAULT_CONFIG).status)
    if not check:
        click.echo(describe(url, file))
        return
    healthy, text = check_health(url, file)
    click.echo(text)
    sys.exit(0 if healthy else 1)


# --- kill switch --------------------------------------------------------------------------------------------

control_url_option = click.option(
    "--url", metavar="URL", help="The node's status address (default as for `status`: http://127.0.0.1:8001)."
)
token_file_option = click.option(
    "--token-file",
    type=click.Path(path_type=Path),
    help="The node's control.token (default: NAUTILUS_NODE_CONTROL_TOKEN, else status/control.token).",
)


@main.command()
@click.option("--flatten", is_flag=True, help="Also close every position with market orders.")
@control_url_option
@token_file_option
@one_line_errors
def halt(flatten: bool, url: str | None, token_file: Path | None) -> None:
    """Halt the running node: cancel every open order (and close every position with --flatten); no strategy
    trades again until `resume`."""
    from nautilus_node.status import control_client

    click.echo(control_client.halt(url, control_client.read_token(token_file), flatten))


@main.command()
@control_url_option
@token_file_option
@one_line_errors
def resume(url: str | None, token_file: Path | None) -> None:
    """Lift the running node's halt: its strategies may trade again."""
    from nautilus_node.status import control_client

    click.echo(control_client.resume(url, control_client.read_token(token_file)))


# --- catalog ------------------------------------------------------------------------------------------------

catalog_option = click.option(
    "--catalog",
    "catalog_dir",
    type=click.Path(path_type=Path),
    default=Path("catalog"),
    show_default=True,
    help="Catalog root folder.",
)


@main.group()
def catalog() -> None:
    """Fill and inspect the ParquetDataCatalog (default ./catalog)."""


@catalog.group("import")
def catalog_import() -> None:
    """Import files into the catalog (all or nothing; rows already there are skipped)."""


@catalog_import.command("lean")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@catalog_option
@click.option("--instrument", default="EUR/USD.IDEALPRO", show_default=True, help="Instrument id of the files.")
@one_line_errors
def catalog_import_lean(paths: tuple[Path, ...], catalog_dir: Path, instrument: str) -> None:
    """Import QuantConnect LEAN forex quote files (zips, or folders of them) from PATHS."""
    from nautilus_node.catalog.cli_support import echo_results, file_progress
    from nautilus_node.catalog.importer import import_lean

    with file_progress() as progress:
        results = import_lean(catalog_dir, paths, instrument, progress=progress)
    echo_results(results)


@catalog_import.command("csv")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(["bars", "quotes", "trades"]), required=True, help="What the rows are.")
@click.option("--instrument", required=True, help="Instrument id, e.g. EUR/USD.IDEALPRO.")
@click.option("--bar-type", help="For bars, e.g. EUR/USD.IDEALPRO-1-MINUTE-MID-EXTERNAL.")
@click.option(
    "--bar-time",
    type=click.Choice(["open", "close"]),
    default="open",
    show_default=True,
    help="Whether a bar's timestamp is its open or its close.",
)
@click.option(
    "--columns",
    "column_map",
    metavar="FIELD=HEADER,…",
    help="Map fields to CSV headers (timestamp, open/high/low/close/volume, bid/ask/bid_size/ask_size, "
    "price/size/trade_id/side). Unmapped fields use their own name.",
)
@click.option(
    "--no-header", is_flag=True, help="The files have no header row: --columns maps fields to positions (1, 2, …)."
)
@click.option(
    "--volume",
    "nominal_volume",
    type=click.FloatRange(min=0, min_open=True),
    help="Nominal volume per bar (or size per quote) for files without one; bars without volume need it.",
)
@click.option("--tz", default="UTC", show_default=True, help="Time zone of timestamps written without one.")
@click.option("--time-format", help="strptime format, or unix_s/unix_ms/unix_us/unix_ns (default: ISO-8601).")
@click.option("--price-precision", type=click.IntRange(0, 16), help="If the instrument is not in the catalog.")
@click.option("--size-precision", type=click.IntRange(0, 16), help="If the instrument is not in the catalog.")
@catalog_option
@one_line_errors
def catalog_import_csv(
    files: tuple[Path, ...],
    kind: str,
    instrument: str,
    bar_type: str | None,
    bar_time: str,
    column_map: str | None,
    no_header: bool,
    nominal_volume: float | None,
    tz: str,
    time_format: str | None,
    price_precision: int | None,
    size_precision: int | None,
    catalog_dir: Path,
) -> None:
    """Import CSV FILES (plain, .gz or .zip; with or without a header row) of bars, quotes or trades for one
    instrument. An instrument not yet in the catalog is defined from its id where IB's conventions allow."""
    from nautilus_node.catalog.cli_support import echo_results, file_progress
    from nautilus_node.catalog.csv_import import CsvSpec, parse_column_map
    from nautilus_node.catalog.importer import import_csv

    spec = CsvSpec(
        kind=kind,
        instrument_id=instrument,
        bar_type=bar_type,
        columns=parse_column_map(column_map, kind),
        tz=tz,
        time_format=time_format,
        bar_time=bar_time,
        header=not no_header,
        nominal_volume=nominal_volume,
    )
    with file_progress() as progress:
        results = import_csv(
            catalog_dir, files, spec, price_precision, size_precision, progress=progress, note=click.echo
        )
    echo_results(results)


@catalog.command("download")
@click.option("--instrument", default="EUR/USD.IDEALPRO", show_default=True, help="Instrument id.")
@click.option("--bar-size", help="IB bar size: '5 secs', '1 min', '15 mins', '1 hour', '1 day', …")
@click.option(
    "--what",
    type=click.Choice(["TRADES", "MIDPOINT", "BID", "ASK", "BID_ASK"]),
    default="MIDPOINT",
    show_default=True,
    help="Bars: IB's whatToShow; BID_ASK downloads BID and ASK bars.",
)
@click.option(
    "--ticks",
    type=click.Choice(["TRADES", "BID_ASK"]),
    help="Download ticks instead of bars: TRADES (trade ticks) or BID_ASK (quote ticks).",
)
@click.option("--start", required=True, help="Start date/time (UTC unless a zone is given).")
@click.option("--end", required=True, help="End date/time (UTC unless a zone is given; capped at now).")
@config_option
@gateway_host_option
@gateway_port_option
@click.option("--client-id", default=DOWNLOAD_CLIENT_ID, show_default=True, type=int, help="API client id of its own.")
@click.option(
    "--connect-timeout",
    default=20.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds to wait for the gateway to answer.",
)
@catalog_option
@one_line_errors
def catalog_download(
    instrument: str,
    bar_size: str | None,
    what: str,
    ticks: str | None,
    start: str,
    end: str,
    config: Path | None,
    host: str | None,
    port: int | None,
    client_id: int,
    connect_timeout: float,
    catalog_dir: Path,
) -> None:
    """Download historical bars (--bar-size) or ticks (--ticks) from IB Gateway into the catalog (paced; resumes;
    skips what it has)."""
    from nautilus_node.catalog import cli_support
    from nautilus_node.catalog.ib_history import download_from_ib, download_ticks_from_ib
    from nautilus_node.settings import gateway_address

    if (bar_size is None) == (ticks is None):
        raise InputError("give exactly one of --bar-size (bars) and --ticks (ticks)")
    gateway = gateway_address(config, DEFAULT_CONFIG, host, port)
    connection = {
        "host": gateway.host,
        "port": gateway.port,
        "client_id": client_id,
        "connect_timeout": connect_timeout,
    }
    if ticks is not None:
        cli_support.echo_tick_download(
            download_ticks_from_ib(
                catalog_dir, instrument, ticks, start, end, progress=cli_support.tick_progress, **connection
            )
        )
        return
    cli_support.echo_download(
        download_from_ib(
            catalog_dir, instrument, bar_size, what, start, end, progress=cli_support.chunk_progress, **connection
        )
    )


@catalog.group("instruments")
def catalog_instruments() -> None:
    """Define instruments in the catalog: offline from IB's conventions, or fetched from IB Gateway."""


@catalog_instruments.command("define")
@click.argument("sources", nargs=-1, required=True)
@click.option("--tick", help="Minimum price increment (futures, crypto; else IB's convention).")
@click.option("--multiplier", help="Contract multiplier (futures).")
@click.option("--expiry", help="Last trade date, YYYY-MM-DD (futures).")
@click.option("--currency", help="Quote currency (stocks off US exchanges, futures not in USD).")
@click.option("--size-increment", help="Minimum quantity step (else IB's convention).")
@catalog_option
@one_line_errors
def catalog_instruments_define(sources: tuple[str, ...], catalog_dir: Path, **stated: str | None) -> None:
    """Define SOURCES (instrument ids such as GBP/USD.IDEALPRO or ESH6.CME, or TOML files of [[instruments]])."""
    from nautilus_node.catalog.instruments import define_instruments

    for line in define_instruments(catalog_dir, list(sources), **stated):
        click.echo(line)


@catalog_instruments.command("fetch")
@click.argument("instrument_ids", nargs=-1, required=True)
@config_option
@gateway_host_option
@gateway_port_option
@click.option("--client-id", default=FETCH_CLIENT_ID, show_default=True, type=int, help="API client id of its own.")
@click.option("--sim", is_flag=True, help="Ask a simulated IB Gateway started for the purpose.")
@click.option("--connect-timeout", default=20.0, show_default=True, type=click.FloatRange(min=0.1))
@catalog_option
@one_line_errors
def catalog_instruments_fetch(
    instrument_ids: tuple[str, ...],
    config: Path | None,
    host: str | None,
    port: int | None,
    client_id: int,
    sim: bool,
    connect_timeout: float,
    catalog_dir: Path,
) -> None:
    """Fetch INSTRUMENT_IDS from IB Gateway through NautilusTrader's IB instrument provider into the catalog."""
    from nautilus_node.catalog.instruments import fetch_instruments
    from nautilus_node.settings import gateway_address

    gateway = gateway_address(config, DEFAULT_CONFIG, host, port)
    lines = fetch_instruments(
        catalog_dir, list(instrument_ids), gateway.host, gateway.port, client_id, connect_timeout, sim=sim
    )
    for line in lines:
        click.echo(line)


@catalog.command("list")
@catalog_option
@one_line_errors
def catalog_list(catalog_dir: Path) -> None:
    """Show instruments, data types, time ranges and row counts."""
    from nautilus_node.catalog.listing import render

    click.echo(render(catalog_dir))


# --- backtest / new-strategy / order ------------------------------------------------------------------------


@main.command()
@click.argument("config", type=click.Path(path_type=Path), required=False)
@click.option("--strategy", metavar="NAME", help="Run only this strategy (its module or class name).")
@click.option("--start", metavar="TIME", help="Start of the period (ISO date or date-time, UTC).")
@click.option("--end", metavar="TIME", help="End of the period (ISO date or date-time, UTC).")
@click.option("--progress/--no-progress", default=None, help="Show the progress bar (default: on a terminal).")
@click.option(
    "--chunk-size",
    type=click.IntRange(min=0),
    default=1_000_000,
    show_default=True,
    help="Stream the catalog in chunks of this many records; 0 loads the whole period into memory.",
)
@click.option("--allow-empty", is_flag=True, help="Exit 0 (with a warning) when no order filled.")
@click.option("--session", metavar="ID", help="Replay recorded session ID (`run --record`) and compare it with live.")
@click.option(
    "--recordings",
    type=click.Path(path_type=Path),
    default=Path("recordings"),
    show_default=True,
    help="With --session: the recording catalog ([record].catalog).",
)
@one_line_errors
def backtest(
    config: Path | None,
    strategy: str | None,
    start: str | None,
    end: str | None,
    progress: bool | None,
    chunk_size: int,
    allow_empty: bool,
    session: str | None,
    recordings: Path,
) -> None:
    """Backtest the strategies of CONFIG (default configs/paper.toml) over the catalog, or replay a recorded
    session (--session) and write its parity report beside the results."""
    if session is not None:
        from nautilus_node.record.command import replay_command

        if config is not None or strategy or start or end:
            raise InputError(
                "--session replays the session's own strategies and period: give no CONFIG, "
                "--strategy, --start or --end with it"
            )
        click.echo(replay_command(session, recordings, Path("results")).summary)
        return
    from nautilus_node.backtest.command import DEFAULT_CONFIG as BACKTEST_CONFIG
    from nautilus_node.backtest.command import backtest_command

    backtest_command(
        config or BACKTEST_CONFIG,
        strategy=strategy,
        start=start,
        end=end,
        progress=progress,
        chunk_size=chunk_size or None,
        allow_empty=allow_empty,
        echo=click.echo,
    )


@main.command()
@click.argument("config", type=click.Path(path_type=Path), required=False)
@click.option("--strategy", metavar="NAME", help="The strategy to vary (its module or class name).")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=SPEC",
    help="A config field and its values: V1,V2,… or START:STOP:STEP.",
)
@click.option("--search", type=click.Choice(["grid", "random", "optuna"]), default="grid", show_default=True)
@click.option("--trials", type=click.IntRange(min=1), help="How many combinations random or Optuna search tries.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of random and Optuna search.")
@click.option(
    "--metric",
    type=click.Choice(["return", "sharpe", "sortino", "drawdown", "profit_factor"]),
    default="return",
    show_default=True,
    help="What the best trial maximises (drawdown: the smallest).",
)
@click.option("--start", metavar="TIME", help="Start of the period (ISO date or date-time, UTC).")
@click.option("--end", metavar="TIME", help="End of the period (ISO date or date-time, UTC).")
@click.option("--in-sample", metavar="LENGTH", help="Walk-forward: choose parameters on windows this long (5D, 36h).")
@click.option("--out-of-sample", metavar="LENGTH", help="Walk-forward: score them on the next window this long.")
@click.option("--workers", type=click.IntRange(min=1), help="Size of the local cluster (default: one per CPU core).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Run on this existing Dask cluster instead.")
@click.option(
    "--results", type=click.Path(path_type=Path), help="Results root (default: the config's backtest.results)."
)
@click.option("--sweep-id", metavar="NAME", help="Name of the results folder (default: a hash of the sweep).")
@click.option(
    "--report-best", type=click.IntRange(min=0), default=0, help="Write the full report of the best N trials."
)
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True, help="How many best trials to print.")
@click.option(
    "--chunk-size",
    type=click.IntRange(min=0),
    default=1_000_000,
    show_default=True,
    help="Stream the catalog in chunks of this many records; 0 loads it into memory.",
)
@one_line_errors
def sweep(config: Path | None, **options: Any) -> None:
    """Backtest one strategy of CONFIG (default configs/paper.toml) over a parameter space, on Dask.

    `sweep promote RESULTS_DIR` turns one of its trials into a config file ready to trade."""
    from nautilus_node.sweep.command import SweepRequest, sweep_command

    options["chunk_size"] = options["chunk_size"] or None
    sweep_command(SweepRequest(config=config or DEFAULT_CONFIG, **options), echo=click.echo)


@main.command("sweep-promote", hidden=True)
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--trial", type=click.IntRange(min=1), help="The trial's number (the `trial` column of sweep.csv).")
@click.option(
    "--best",
    type=click.Choice(["sharpe", "sortino", "return", "drawdown", "profit_factor"]),
    help="The best trial by this metric (default: the sweep's own metric; walk-forward: out-of-sample).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write (default RESULTS_DIR/promoted.toml).",
)
@one_line_errors
def sweep_promote(results_dir: Path, trial: int | None, best: str | None, output: Path | None) -> None:
    """Write a sweep's trial as a config file that `check` accepts and `run --sim` trades."""
    from nautilus_node.live.runner import check_config
    from nautilus_node.sweep.promote import promote

    promotion = promote(results_dir, trial, best, output)
    click.echo(f"trial {promotion.trial} ({promotion.why}): {promotion.result.params} → {promotion.path}")
    click.echo(check_config(promotion.path, live=False))
    click.echo(f"trade it on the simulated gateway: python3 -m uv run nautilus-node run --sim {promotion.path}")


@main.command("new-strategy")
@click.argument("name")
@one_line_errors
def new_strategy(name: str) -> None:
    """Write strategies/NAME.py, configs/NAME.toml and tests/strategies/test_NAME.py."""
    from nautilus_node.scaffold import new_strategy as scaffold

    files = scaffold(name)
    click.echo(f"wrote {files.strategy}, {files.config}, {files.test}")
    click.echo(f"backtest it: python3 -m uv run nautilus-node backtest {files.config}")


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("side")
@click.argument("quantity")
@click.argument("instrument")
@click.option("--limit", metavar="PRICE", help="Limit price (a limit order); without it, a market order.")
@click.option(
    "--tif",
    default=DEFAULT_TIME_IN_FORCE,
    show_default=True,
    metavar="|".join(TIMES_IN_FORCE),
    help="Time in force.",
)
@click.option("--sim", is_flag=True, help="Start the simulated IB Gateway on a free local port and trade there.")
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    help="Config file (default configs/paper.toml; with --sim, configs/sim.toml).",
)
@click.option("--timeout", metavar="SECONDS", help="Wait this long for the order's outcome (default 30).")
@click.option("--live", is_flag=True, help="Allow a live port/account (also needs NAUTILUS_NODE_ALLOW_LIVE=yes).")
@one_line_errors
def order(
    side: str,
    quantity: str,
    instrument: str,
    limit: str | None,
    tif: str,
    sim: bool,
    config: Path | None,
    timeout: str | None,
    live: bool,
) -> None:
    """Place one order (SIDE QUANTITY INSTRUMENT, e.g. BUY 100 SPY.ARCA) and print its outcome in one line.

    Exit code 0: filled, or a DAY/GTC limit order accepted and still working; 1: rejected, denied, canceled,
    expired or no outcome within --timeout; 2: bad arguments.
    """
    from nautilus_node.live.order_command import parse_order_args, place_order

    args = parse_order_args(side, quantity, instrument, limit, tif, timeout)
    sys.exit(place_order(config or (SIM_CONFIG if sim else DEFAULT_CONFIG), args, sim=sim, live=live, echo=click.echo))
