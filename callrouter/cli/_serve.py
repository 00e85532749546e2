"""``callrouter serve`` (the service beside a real Asterisk) and ``callrouter simulate``
(the same service driving a simulated call center on one machine)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import structlog
import typer
import uvloop
from rich.live import Live
from rich.table import Table

from callrouter.calls import CallrouterService
from callrouter.cli._runtime import CliState, console, state_of
from callrouter.config import Settings, load_settings
from callrouter.errors import ConfigError
from callrouter.log import configure_logging
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.sim.traffic import TrafficPlan, TrafficStats, run_traffic, script_operators

__all__ = ["register"]

_STATUS_EVERY_S = 2.0

log = structlog.get_logger(__name__)


def _run_until_signal(
    main: Coroutine[Any, Any, None], *, on_hangup: Callable[[], None] | None = None
) -> None:
    """Run ``main``; SIGINT/SIGTERM cancel it, so it cleans up (flushing rows) first;
    SIGHUP calls ``on_hangup`` (reload the configuration)."""

    async def runner() -> None:
        task = asyncio.create_task(main)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        if on_hangup is not None:
            loop.add_signal_handler(signal.SIGHUP, on_hangup)
        try:
            await task
        except asyncio.CancelledError:
            pass
        except BaseExceptionGroup as group:
            # Task groups wrap the one error that stopped everything: show that error.
            raise _first_leaf(group) from group

    # uvloop: the same asyncio API with its loop, sockets and timers in C; the service
    # spends a fifth of its CPU in the event loop's own code (bench/bench_routing.py).
    uvloop.run(runner())


def _first_leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error




def serve(ctx: typer.Context) -> None:
    """Run callrouter beside the Asterisk in the config (ARI, FastAGI, the ACD).

    SIGHUP reloads the routing configuration (queues, operators, routes, calendars,
    campaigns) without dropping a call; SIGTERM or Ctrl-C stop it cleanly.
    """
    state = state_of(ctx)
    service = CallrouterService(
        settings=state.settings, dsn=state.dsn(), spool_dir=state.spool_dir()
    )
    reloads: set[asyncio.Task[None]] = set()

    def reload() -> None:
        # A broken file must not take the running service down: report it, keep going.
        try:
            settings = load_settings(state.config_path)
        except ConfigError as exc:
            log.error("reload_refused", errors=[str(p) for p in exc.problems])
            return
        task = asyncio.get_running_loop().create_task(service.reload(settings))
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    _run_until_signal(service.run(), on_hangup=reload)


def simulate(
    ctx: typer.Context,
    duration: float | None = typer.Option(None, help="Stop after this many seconds."),
    calls_per_minute: float | None = typer.Option(
        None, help="Override simulator.calls_per_minute."
    ),
    time_scale: float | None = typer.Option(None, help="Override simulator.time_scale."),
) -> None:
    """A call center at work on one machine: simulated Asterisk, callers and operators."""
    state = state_of(ctx)
    _run_until_signal(_simulate(state, duration, calls_per_minute, time_scale))


async def _simulate(
    state: CliState,
    duration: float | None,
    calls_per_minute: float | None,
    time_scale: float | None,
) -> None:
    settings = state.settings
    sim_cfg = settings.simulator
    scale = time_scale or sim_cfg.time_scale
    log_path = _log_to_file(state)
    sim = SimulatedAsterisk(
        username=settings.ari.username,
        password=settings.ari.password.get_secret_value(),
        host="127.0.0.1",
        port=sim_cfg.port,
        recordings_dir=state.base_dir / "var" / "recordings",
        time_scale=scale,
        default_app=settings.ari.app,
    )
    async with sim, SimControl(sim.url) as control:
        wired = settings.model_copy(
            update={
                "ari": settings.ari.model_copy(update={"url": sim.url}),
                # The simulator speaks no AGI; the HTTP API stays as configured.
                "agi": settings.agi.model_copy(update={"enabled": False}),
            }
        )
        service = CallrouterService(
            settings=wired, dsn=state.dsn(), spool_dir=state.spool_dir()
        )
        console.print(f"simulated Asterisk on {sim.url} (time x{scale:g}); Ctrl-C to stop")
        if log_path is not None:
            console.print(f"log: {log_path} (every call's steps; --debug shows them here)")
        _print_pages(wired)
        stats = TrafficStats()
        plan = TrafficPlan(
            calls_per_minute=calls_per_minute or sim_cfg.calls_per_minute, dids=sim_cfg.dids
        )
        # Phones exist before callrouter starts, so it finds them online.
        await script_operators(
            control,
            [op.endpoint for op in wired.operators.values()],
            answer_s=sim_cfg.operator_answer_s,
            talk_s=sim_cfg.talk_s,
        )
        async with asyncio.TaskGroup() as tasks:
            service_task = tasks.create_task(service.run())
            await service.ready.wait()
            traffic = tasks.create_task(run_traffic(control, plan, time_scale=scale, stats=stats))
            try:
                async with asyncio.timeout(duration):
                    await _show_status(service, stats)
            except TimeoutError:
                pass
            traffic.cancel()
            service_task.cancel()


def _log_to_file(state: CliState) -> Path | None:
    """On a terminal the per-call lines would scroll the live status away: they go to
    ``var/log/simulate.log`` beside the config instead (``--debug`` keeps them here)."""
    if state.debug or not sys.stderr.isatty():
        return None
    path = state.base_dir / "var" / "log" / "simulate.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    configure_logging(
        state.settings.logging.level, "json", stream=path.open("a", encoding="utf-8")
    )
    return path


def _print_pages(settings: Settings) -> None:
    """Where the wallboard and the operator panel are (tokens are never printed)."""
    if not settings.http.enabled:
        return
    base = settings.http.base_url()
    hint = "" if settings.http.token is None else "?token=<http.viewer_token or http.token>"
    console.print(f"wallboard: {base}/wallboard{hint}", markup=False)
    console.print(f"operator panel: {base}/operator", markup=False)


async def _show_status(service: CallrouterService, stats: TrafficStats) -> None:
    interactive = console.is_terminal
    with (
        Live(console=console, auto_refresh=False)
        if interactive
        else contextlib.nullcontext() as live
    ):
        while True:
            await asyncio.sleep(_STATUS_EVERY_S)
            table = _status_table(service, stats)
            if live is not None:
                live.update(table, refresh=True)
            else:
                console.print(table)


def _status_table(service: CallrouterService, stats: TrafficStats) -> Table:
    parts = service.parts
    table = Table(title=f"callrouter: {stats.placed} calls placed")
    for column in ("queue", "waiting", "longest", "ringing", "logged in", "operators"):
        table.add_column(column)
    if parts is None:
        return table
    snapshot = parts.router.engine.snapshot(parts.router.now())
    for queue in snapshot.queues:
        states = ", ".join(f"{s.value}:{n}" for s, n in sorted(queue.operators.items()) if n)
        table.add_row(
            queue.name,
            str(len(queue.waiting)),
            f"{queue.longest_wait_s:.0f}s",
            str(queue.ringing),
            str(queue.logged_in),
            states,
        )
    return table


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("simulate")(simulate)
