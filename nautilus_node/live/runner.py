"""Run a `TradingNode` for a person at a terminal or in a container: never hang, always say what happened.

NautilusTrader connects to IB inside `TradingNode.build()` and retries there forever, ignoring SIGTERM, when
the gateway never answers. So before building, the API handshake is probed (or awaited with a countdown);
during the build, SIGINT/SIGTERM and a deadline interrupt it; while running, they stop the node cleanly.
NautilusTrader's IB adapter takes seconds to import, so it is imported only once the gateway has answered:
a missing gateway is reported within the handshake timeout. Once built, the node's own session is asked for
every instrument's contract (`contract_check`), and each start-up stage's seconds go to the node's log.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from nautilus_node.errors import UserError
from nautilus_node.ib.accounts import PAPER_ACCOUNT_PREFIX
from nautilus_node.live.gateway_probe import GatewayUnavailable, HandshakeReply, probe_api, wait_for_api
from nautilus_node.live.interrupts import STOP_SIGNALS, Interrupted, StartupInterrupts
from nautilus_node.live.startup_stages import StartupStages
from nautilus_node.settings import (
    ConfigError,
    GatewaySettings,
    Settings,
    StatusSettings,
    check_paper_only,
    load_settings,
)

if TYPE_CHECKING:
    from nautilus_trader.common.config import ImportableActorConfig
    from nautilus_trader.live.node import TradingNode
    from nautilus_trader.trading.config import ImportableStrategyConfig

STARTUP_POLL_SECS = 0.05  # how often start-up is checked: cheap, and at most this late
DISCARD_WAIT_SECS = 5.0

Echo = Callable[[str], None]


class RunError(UserError):
    """The node could not be run; the message is one line for a person."""


@dataclass(frozen=True)
class RunOptions:
    """How to run: for how long, whether to wait for the gateway, whether to record the session."""

    duration_secs: float | None = None
    wait_gateway_secs: float | None = None
    record: bool = False  # record the session even when the config's [record] table leaves it off
    duration_reason: str | None = None  # how the stop at duration_secs is announced (default: "--for … elapsed")


@dataclass
class RunReport:
    """What happened, for the caller to print and to choose the exit code."""

    started_strategies: list[str]
    startup_secs: float | None
    stopped_by: str


def check_config(path: Path, live: bool) -> str:
    """Validate a config file and every strategy in it without connecting; a one-line verdict."""
    from nautilus_node.validation import validate_settings

    settings = load_settings(path)
    check_paper_only(settings.gateway, live)
    strategies = validate_settings(settings, str(path))
    gateway = settings.gateway
    return (
        f"{path}: OK — gateway {gateway.host}:{gateway.port} (client id {gateway.client_id}, "
        f"account {gateway.account or 'not set: gateway.account or TWS_ACCOUNT'}), "
        f"{len(settings.instruments.load)} instruments, "
        f"strategies: {', '.join(type(s).__name__ for s in strategies) or 'none'}"
    )


def run_from_config(path: Path, options: RunOptions, sim: bool, live: bool, echo: Echo) -> RunReport:
    """Load the config file at `path`, then run its node (see `run_settings`)."""
    settings = load_settings(path)
    if options.record:
        settings = msgspec.structs.replace(settings, record=msgspec.structs.replace(settings.record, enabled=True))
    return run_settings(settings, str(path), options, sim=sim, live=live, echo=echo)


def run_settings(
    settings: Settings,
    source: str,
    options: RunOptions,
    sim: bool,
    live: bool,
    echo: Echo,
    extra_strategies: list[ImportableStrategyConfig] | None = None,
) -> RunReport:
    """Check the settings (read from `source`), then run the node against IB Gateway or the simulated gateway.

    `extra_strategies` run beside the config's own (e.g. `order`'s one-shot strategy).
    """
    summary = (lambda: echo_status_summary(Path(settings.status.file), echo)) if settings.status.enabled else None
    if not sim:
        check_paper_only(settings.gateway, live)
        return run_node(settings, options, echo, source=source, extra_strategies=extra_strategies, before_stop=summary)
    from nautilus_node.simgateway import SimulatedGateway

    with SimulatedGateway(host="127.0.0.1", port=0) as simulated:
        echo(
            f"simulated IB Gateway listening on 127.0.0.1:{simulated.port} (paper account {simulated.account}; "
            f"market {simulated.market_hours}: orders fill at any hour)"
        )
        status = msgspec.structs.replace(settings.status, market_hours="always")  # the simulated market never closes
        gateway = msgspec.structs.replace(
            settings.gateway,
            host="127.0.0.1",
            port=simulated.port,
            account=simulated.account,
        )
        return run_node(
            msgspec.structs.replace(settings, gateway=gateway, status=status),
            options,
            echo,
            source=source,
            extra_strategies=extra_strategies,
            before_stop=summary,
        )


def ensure_status_port_free(status: StatusSettings) -> None:
    """Refuse to start when the status server's address is taken (another node running?)."""
    if not status.enabled or status.port == 0:
        return
    try:
        with socket.create_server((status.host, status.port)):
            pass
    except OSError as exc:
        raise RunError(
            f"status server address {status.host}:{status.port} is not available ({os.strerror(exc.errno or 0)}); "
            "is another node running? Choose another status.port (or NAUTILUS_NODE_STATUS_PORT)",
        ) from None


def echo_status_summary(snapshot_path: Path, echo: Echo) -> None:
    """Print the status actor's latest snapshot for a person (the node is still running)."""
    from nautilus_node.status.client import StatusUnavailable, read_file, render

    try:
        echo("\n" + render(read_file(snapshot_path), time.time()) + "\n")
    except StatusUnavailable as exc:
        echo(f"status unavailable: {exc}")


def echo_page_url(node: TradingNode, echo: Echo) -> None:
    """Print the status page's address with its control token (as Jupyter prints its own)."""
    for actor in node.trader.actors():
        url = getattr(actor, "page_url", None)
        if url:
            echo(f"status page (orders need the token in this address): {url}")


def ensure_gateway(gateway: GatewaySettings, wait_secs: float | None, echo: Echo) -> HandshakeReply:
    """Probe the IB API handshake; with `wait_secs`, keep trying with a visible countdown."""
    address = f"{gateway.host}:{gateway.port}"
    try:
        if wait_secs is None:
            return probe_api(gateway.host, gateway.port, gateway.handshake_timeout_secs)
        return wait_for_api(
            gateway.host,
            gateway.port,
            wait_secs,
            gateway.handshake_timeout_secs,
            on_wait=lambda left, why: echo(f"waiting for IB Gateway API at {address}: {why}; {left:.0f} s left"),
        )
    except GatewayUnavailable as exc:
        raise RunError(
            f"no IB Gateway API at {address} ({exc}). Start IB Gateway (paper, API enabled on port "
            f"{gateway.port}), or try the simulated gateway with `run --sim`; in containers use "
            f"--wait-gateway SECONDS",
        ) from None


def run_node(
    settings: Settings,
    options: RunOptions,
    echo: Echo,
    source: str = "config",
    extra_strategies: list[ImportableStrategyConfig] | None = None,
    before_stop: Callable[[], None] | None = None,
) -> RunReport:
    """Probe the gateway, build and run the node until stopped; report what started and why it stopped. The
    console gets the node's own lines and, past NautilusTrader's console level, IB's non-routine codes."""
    stages = StartupStages()
    gateway = settings.gateway
    if gateway.account is None:
        raise ConfigError(
            f"gateway.account is not set: put your paper account ({PAPER_ACCOUNT_PREFIX}…) in the config or set "
            "TWS_ACCOUNT"
        )
    ensure_status_port_free(settings.status)
    answered = False
    loop: asyncio.AbstractEventLoop | None = None
    stop_echoing: Callable[[], None] = lambda: None  # noqa: E731  # set once the adapter is imported
    try:
        with StartupInterrupts() as interrupts:
            reply = ensure_gateway(gateway, options.wait_gateway_secs, echo)
            echo(f"IB API at {gateway.host}:{gateway.port} answered (server version {reply.server_version})")
            answered = True
            stages.mark("gateway probe")
            with interrupts.held():
                from nautilus_trader.common.component import Logger

                from nautilus_node.live.console import echo_ib_problems
                from nautilus_node.live.contract_check import check_node_contracts
                from nautilus_node.live.node import (
                    build_node_config,
                    create_node,
                    dispose_node,
                    resilience_policy,
                    startup_limit_secs,
                )
                from nautilus_node.validation import validate_settings

                stages.mark("adapter import")
                validate_settings(settings, source)
                loop = asyncio.new_event_loop()
                asyncio.set_event_loop(loop)
                config = build_node_config(settings, extra_strategies, recorder=recording(settings, source, echo))
                node = create_node(config, loop, resilience_policy(settings))
                stop_echoing = echo_ib_problems(settings.node.log_level, echo)
                for sig in (*STOP_SIGNALS, signal.SIGABRT):
                    loop.remove_signal_handler(sig)
            stages.mark("strategies and node config")
            interrupts.arm_deadline(gateway.startup_timeout_secs)
            node.build()
            stages.mark("build and connect")
            try:
                check_node_contracts(loop, gateway, list(settings.instruments.load))
            except UserError:
                _discard(node, gateway)
                raise
            stages.mark("contracts")
            echo_page_url(node, echo)
    except BaseException as exc:
        stop_echoing()
        if not isinstance(exc, Interrupted):
            raise
        if not answered:
            raise RunError(f"stopped before connecting to IB Gateway at {gateway.host}:{gateway.port}: {exc}") from None
        _abandon(loop)
        raise RunError(f"stopped while connecting to IB Gateway at {gateway.host}:{gateway.port}: {exc}") from None

    report = RunReport(started_strategies=[], startup_secs=None, stopped_by="")

    def request_stop(reason: str) -> None:
        if not report.stopped_by:
            report.stopped_by = reason
            if before_stop is not None:
                before_stop()
            echo(f"stopping ({reason})")
            node.stop()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, request_stop, sig.name)
    if options.duration_secs is not None:
        reason = options.duration_reason or f"--for {options.duration_secs:g} s elapsed"
        loop.call_later(options.duration_secs, request_stop, reason)

    async def watch_startup() -> None:
        limit = startup_limit_secs(config)
        deadline = time.monotonic() + limit
        strategies = node.trader.strategies()
        while time.monotonic() < deadline and not report.stopped_by:
            if node.trader.is_running and all(s.is_running for s in strategies):
                report.started_strategies = [str(s.id) for s in strategies]
                stages.mark("clients, reconciliation and strategies")
                report.startup_secs = stages.elapsed()
                Logger("StartupStages").info(stages.summary())
                names = ", ".join(report.started_strategies) or "none configured"
                echo(f"node started in {report.startup_secs:.1f} s; strategies running: {names}")
                return
            await asyncio.sleep(STARTUP_POLL_SECS)
        if not report.stopped_by:
            echo(
                f"start-up failed: strategies never started within {limit:.0f} s (clients connected: "
                f"{node.kernel.data_engine.check_connected() and node.kernel.exec_engine.check_connected()}); "
                f"see the log in {settings.node.log_directory}/",
            )

    watcher = loop.create_task(watch_startup())
    try:
        node.run()
    finally:
        watcher.cancel()  # the node may stop before the watcher saw start-up
        dispose_node(node)
        stop_echoing()
    return report


def _discard(node: TradingNode, gateway: GatewaySettings) -> None:
    """Release a built node that will not run: its IB connection, tasks and event loop."""
    from nautilus_node.live.node import dispose_node
    from nautilus_node.nautilus_internals import cached_ib_client

    client = cached_ib_client(gateway.host, gateway.port, gateway.client_id)
    loop = node.get_event_loop()
    if client is not None and loop is not None:
        client.stop()
        loop.run_until_complete(_settle(DISCARD_WAIT_SECS))
    dispose_node(node)


async def _settle(timeout: float) -> None:
    """Let the loop's other tasks (a client stopping) finish, for up to `timeout` seconds."""
    await asyncio.sleep(0)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    if others:
        await asyncio.wait(others, timeout=timeout)


def recording(settings: Settings, source: str, echo: Echo) -> ImportableActorConfig | None:
    """The recorder actor of a new session when `[record]` is on (or `run --record`), after saying where."""
    if not settings.record.enabled:
        return None
    from nautilus_node.record.session import new_session_id, recorder_actor_config

    session_id = new_session_id(Path(settings.record.catalog))
    echo(
        f"recording session {session_id} into {settings.record.catalog}/ (flushed every "
        f"{settings.record.flush_interval_secs:g} s); replay it with `backtest --session {session_id}`"
    )
    return recorder_actor_config(settings, session_id, source)


def _abandon(loop: asyncio.AbstractEventLoop | None) -> None:
    """Release what an interrupted build left behind: pending connection tasks, then the event loop.

    The cancelled tasks are run to their end (for up to `DISCARD_WAIT_SECS`) before the loop closes. Left
    suspended, their coroutines (NautilusTrader's IB client start-up awaiting the managed accounts) would be
    closed later by the garbage collector in any order: an inner coroutine being closed while the outer one is
    closed makes the outer raise "coroutine already executing", which the adapter logs as an unhandled start-up
    exception with its traceback.
    """
    if loop is None or loop.is_closed():
        return
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.wait(tasks, timeout=DISCARD_WAIT_SECS))
    loop.close()
