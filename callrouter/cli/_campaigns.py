"""``callrouter campaigns ...``: outbound campaigns, their leads and their lifecycle.

Campaigns are configured in YAML (``campaigns:``); every command first syncs them into
PostgreSQL (state is kept), so a campaign added to the config is usable at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from callrouter.cli._runtime import (
    CliState,
    console,
    database_pool,
    emit_json,
    err_console,
    print_table,
    run_async,
    state_of,
)
from callrouter.dialer import CampaignEvent, CampaignState
from callrouter.dialer import store as dialer_store
from callrouter.store import DbConnection, directory
from callrouter.store.occupancy import occupancy

campaigns_app = typer.Typer(
    help="Outbound campaigns: list, status, import leads, start, pause, stop.",
    no_args_is_help=True,
)

SHOWN_PROBLEMS = 20


async def _synced(conn: DbConnection, state: CliState) -> None:
    await directory.sync_directory(conn, state.settings)
    await dialer_store.sync_campaigns(conn, state.settings)


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


@campaigns_app.command("list")
def list_campaigns(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Every campaign with mode, queue, state and lead progress."""
    state = state_of(ctx)

    async def go() -> list[dict[str, Any]]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            await _synced(conn, state)
            rows = []
            for c in await dialer_store.list_campaigns(conn):
                stats = await dialer_store.campaign_stats(conn, c.name)
                rows.append({
                    "name": c.name, "mode": str(c.mode), "queue": c.queue,
                    "state": str(c.state), "configured": c.name in state.settings.campaigns,
                    "leads": stats.leads, "pending": stats.pending, "done": stats.done,
                    "failed": stats.failed, "attempts": stats.attempts,
                })  # fmt: skip
            return rows

    rows = run_async(go())
    if as_json:
        emit_json(rows)
        return
    print_table(
        "Campaigns",
        ["name", "mode", "queue", "state", "leads", "pending", "done", "failed", "attempts"],
        [[r["name"] + ("" if r["configured"] else " (not in config)"), r["mode"], r["queue"],
          r["state"], r["leads"], r["pending"], r["done"], r["failed"], r["attempts"]]
         for r in rows],
    )  # fmt: skip


@campaigns_app.command("status")
def status(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., help="Campaign name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Progress of one campaign: leads by status, attempts, answer and abandon rates."""
    state = state_of(ctx)

    async def go() -> tuple[dialer_store.CampaignStats, float | None]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            await _synced(conn, state)
            stats = await dialer_store.campaign_stats(conn, campaign)
            return stats, await _occupancy_today(conn, state, campaign)

    stats, occupancy_today = run_async(go())
    if as_json:
        emit_json({**stats.as_dict(), "operator_occupancy_today": occupancy_today})
        return
    print_table(
        f"Campaign {stats.campaign} ({stats.state})",
        ["measure", "value"],
        [
            ["leads", stats.leads],
            ["pending", f"{stats.pending} ({stats.by_status['in_progress']} in progress)"],
            ["done", stats.done],
            ["failed", f"{stats.failed} (exhausted {stats.by_status['exhausted']}, invalid "
                       f"{stats.by_status['invalid']}, dnc {stats.by_status['dnc']})"],
            ["attempts", f"{stats.attempts} ({stats.attempts_live} live)"],
            ["answer rate", _rate(stats.answer_rate)],
            ["abandon rate", _rate(stats.abandon_rate)],
            ["abandon rate (window, all nodes)", _rate(stats.window_abandon_rate)],
            ["abandon rate (today)", _rate(stats.day_abandon_rate)],
            ["outcomes", ", ".join(f"{k} {v}" for k, v in sorted(stats.by_outcome.items()))
                         or "-"],
            ["connected: avg wait / talk", f"{_seconds(stats.avg_wait_s)} / "
                                           f"{_seconds(stats.avg_talk_s)}"],
            ["operator occupancy (today, UTC)", _rate(occupancy_today)],
        ],
    )  # fmt: skip


async def _occupancy_today(conn: DbConnection, state: CliState, campaign: str) -> float | None:
    """Occupancy of the operators of the campaign's queue since midnight UTC."""
    configured = state.settings.campaigns.get(campaign)
    if configured is None:
        return None
    operators = [
        op_id for op_id, op in state.settings.operators.items() if configured.queue in op.queues
    ]
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return await occupancy(conn, operators, since=midnight, until=now)


def _print_report(report: dialer_store.LeadImportReport) -> None:
    console.print(
        f"{report.campaign}: imported {report.imported} lead(s) (inserted {report.inserted}, "
        f"updated {report.updated}, unchanged {report.unchanged}), skipped "
        f"{len(report.skipped)} row(s) in {report.elapsed_s:.2f} s",
        highlight=False,
    )
    if report.reopened:
        console.print(f"{report.campaign} was finished: reopened as paused; start it to dial")
    for problem in report.skipped[:SHOWN_PROBLEMS]:
        console.print(f"  {problem}", highlight=False, markup=False)
    more = len(report.skipped) - SHOWN_PROBLEMS
    if more > 0:
        console.print(f"  ... and {more} more (--json lists every one)", highlight=False)


@campaigns_app.command("import")
def import_leads(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., help="Campaign name."),
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="CSV with a header and a 'phone' column."
    ),
    encoding: str = typer.Option("utf-8", "--encoding", help="utf-8 (default), latin-1, cp1252."),
    region: str | None = typer.Option(
        None, "--region", help="Region for numbers without +country [default: the campaign's]."
    ),
    timezone: str | None = typer.Option(
        None, "--timezone", help="Zone for numbers with no zone of their own [campaign's]."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (every skipped row)."),
) -> None:
    """Import leads from a CSV; re-importing updates leads by key, never their progress.

    Columns: phone (required), key, name, timezone, region; any other column is kept as
    lead data. Bad rows are skipped and reported with their line numbers.
    """
    state = state_of(ctx)
    total = file.stat().st_size
    interactive = console.is_terminal and not as_json

    async def go(progress: Progress | None) -> dialer_store.LeadImportReport:
        task = progress.add_task("importing", total=total) if progress else None

        def on_progress(p: dialer_store.ImportProgress) -> None:
            if progress is not None and task is not None:
                progress.update(task, completed=p.bytes_read or 0)
            elif not as_json:
                err_console.print(f"read {p.lines} lines: {p.good} good, {p.skipped} skipped",
                                  highlight=False)  # fmt: skip

        async with database_pool(state) as pool, pool.acquire() as conn:
            await _synced(conn, state)
            row = await dialer_store.get_campaign(conn, campaign)
            options = dialer_store.options_for(row, timezone=timezone, region=region)
            return await dialer_store.import_lead_file(
                conn, campaign, file, options, now=datetime.now(UTC), encoding=encoding,
                progress=on_progress,
            )  # fmt: skip

    if interactive:
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TimeRemainingColumn())  # fmt: skip
        with Progress(*columns, console=err_console, transient=True) as bar:
            report = run_async(go(bar))
    else:
        report = run_async(go(None))
    if as_json:
        emit_json(report.as_dict())
    else:
        _print_report(report)
    if report.imported == 0 and report.skipped:
        err_console.print("[bold red]error[/] (invalid-input): no row could be imported")
        raise typer.Exit(6)


def _change(ctx: typer.Context, campaign: str, action: str, as_json: bool) -> None:
    state = state_of(ctx)

    async def go() -> tuple[CampaignState, CampaignState]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            await _synced(conn, state)
            event = CampaignEvent(action)
            if action == "start":
                current = (await dialer_store.get_campaign(conn, campaign)).state
                if current is CampaignState.PAUSED:
                    event = CampaignEvent.RESUME  # "start" a paused campaign: resume it
            return await dialer_store.change_campaign_state(conn, campaign, event)

    old, new = run_async(go())
    if as_json:
        emit_json({"campaign": campaign, "from": str(old), "to": str(new)})
    else:
        console.print(f"{campaign}: {old} -> {new}", highlight=False)


@campaigns_app.command("start")
def start(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., help="Campaign name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Start (or resume a paused) campaign: the dialer begins calling its leads."""
    _change(ctx, campaign, "start", as_json)


@campaigns_app.command("pause")
def pause(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., help="Campaign name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Pause a running campaign: no new calls; calls in progress finish."""
    _change(ctx, campaign, "pause", as_json)


@campaigns_app.command("stop")
def stop(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., help="Campaign name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Stop a campaign for good (it cannot be started again)."""
    _change(ctx, campaign, "stop", as_json)
