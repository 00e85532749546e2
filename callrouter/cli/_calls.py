"""``callrouter calls ...`` and ``callrouter queues ...``: what happened, and what is happening."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer

from callrouter.cli._columns import Column, print_compact_table, seconds, short_id, short_time
from callrouter.cli._runtime import (
    console,
    database_pool,
    emit_json,
    print_table,
    run_async,
    state_of,
)
from callrouter.dialer import store as dialer_store
from callrouter.store import calls as call_log
from callrouter.store import directory
from callrouter.store.occupancy import occupancy

calls_app = typer.Typer(help="The call log: list, show, export.", no_args_is_help=True)
queues_app = typer.Typer(
    help="Queues: live waiting calls and today's figures.", no_args_is_help=True
)


def _record_dict(record: Any) -> dict[str, Any]:
    return {key: record[key] for key in record.keys()}  # noqa: SIM118 - asyncpg.Record


@calls_app.command("list")
def list_calls(
    ctx: typer.Context,
    limit: int = typer.Option(50, min=1, help="How many calls, newest first."),
    queue: str | None = typer.Option(None, help="Only this queue."),
    outcome: str | None = typer.Option(None, help="Only this outcome (answered, abandoned, ...)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The newest calls with their queue, operator, waits and outcome.

    Calls show by the first 8 digits of their id (``calls show`` takes them), the time
    as HH:MM:SS today or the date before, waits and talk in whole seconds.
    """
    state = state_of(ctx)

    async def go() -> list[dict[str, Any]]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            rows = await call_log.list_calls(conn, limit=limit, queue=queue, outcome=outcome)
            return [_record_dict(r) for r in rows]

    rows = run_async(go())
    if as_json:
        emit_json(rows)
        return
    now = datetime.now(UTC)
    print_compact_table(
        "Calls",
        [
            Column("call"), Column("time"), Column("dir"), Column("caller"),
            Column("queue", fold=True), Column("operator", fold=True),
            Column("wait", justify="right"), Column("talk", justify="right"), Column("outcome"),
        ],
        [
            [
                short_id(r["id"]),
                short_time(r["created_at"], now),
                "out" if r["direction"] == "outbound" else "in",
                r["caller_number"],
                r["queue_name"],
                r["operator_id"],
                seconds(r["wait_s"]),
                seconds(r["talk_s"]),
                r["outcome"] or "live",
            ]
            for r in rows
        ],
    )


@calls_app.command("show")
def show_call(
    ctx: typer.Context,
    ident: str = typer.Argument(..., help="Call id (or a unique prefix) or Asterisk channel id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One call in full: its row, every event and its recordings."""
    state = state_of(ctx)

    async def go() -> dict[str, Any]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            detail = await call_log.get_call(conn, ident)
            return {
                "call": _record_dict(detail.call),
                "events": [_record_dict(e) for e in detail.events],
                "recordings": [_record_dict(r) for r in detail.recordings],
            }

    detail = run_async(go())
    if as_json:
        emit_json(detail)
        return
    for key, value in detail["call"].items():
        console.print(f"[bold]{key}[/]: {value}", highlight=False)
    print_table(
        "Events",
        ["at", "event", "queue", "operator", "data"],
        [
            [e["at"], e["event"], e["queue_name"], e["operator_id"], e["data"]]
            for e in detail["events"]
        ],
    )
    if detail["recordings"]:
        print_table(
            "Recordings",
            ["name", "state", "duration s", "bytes", "error"],
            [
                [r["name"], r["state"], r["duration_s"], r["size_bytes"], r["error"]]
                for r in detail["recordings"]
            ],
        )


@calls_app.command("export")
def export_calls(
    ctx: typer.Context,
    fmt: str = typer.Option("queue_log", "--format", help="Only queue_log for now."),
    since: datetime | None = typer.Option(None, help="From this time (UTC)."),
    until: datetime | None = typer.Option(None, help="Up to this time (UTC)."),
) -> None:
    """Export the event log as Asterisk queue_log lines on stdout."""
    if fmt != "queue_log":
        raise typer.BadParameter("only 'queue_log' is supported", param_hint="--format")
    state = state_of(ctx)

    async def go() -> int:
        count = 0
        async with database_pool(state) as pool, pool.acquire() as conn:
            async for line in call_log.iter_queue_log(conn, since=_utc(since), until=_utc(until)):
                sys.stdout.write(line + "\n")
                count += 1
        return count

    run_async(go())


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@queues_app.command("status")
def queues_status(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Waiting calls with their waits, operators by state, today's SL, ASA and abandon rate."""
    state = state_of(ctx)
    settings = state.settings
    now = datetime.now(UTC)
    day_start = center_day_start(now, settings.reports.timezone)

    def target_of(queue: str) -> float:
        q = settings.queues.get(queue)
        return q.service_level_target if q else 0.8

    def wrapup_of(queue: str) -> float:
        q = settings.queues.get(queue)
        return q.wrapup_s if q else 0.0

    async def go() -> dict[str, Any]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            figures = await call_log.queue_figures(
                conn,
                since=day_start,
                service_levels={n: q.service_level_s for n, q in settings.queues.items()},
            )
            outbound = await dialer_store.outbound_queue_figures(conn, since=day_start)
            waiting = await call_log.waiting_callers(conn)
            operators = await directory.operator_states_by_queue(conn)
            occupancies = {
                name: await occupancy(
                    conn,
                    [o for o, op in settings.operators.items() if name in op.queues],
                    since=day_start,
                    until=now,
                )
                for name in settings.queues
            }
        by_queue: dict[str, Any] = {
            name: {"waiting": [], "operators": {}, "today": None} for name in settings.queues
        }
        for row in waiting:
            entry = by_queue.setdefault(row["queue_name"], {"waiting": [], "operators": {}})
            wait = (now - row["queued_at"]).total_seconds()
            entry["waiting"].append(
                {"call_id": str(row["id"]), "caller": row["caller_number"], "wait_s": round(wait)}
            )
        for row in operators:
            by_queue.setdefault(row["queue_name"], {"waiting": [], "operators": {}})
            by_queue[row["queue_name"]]["operators"][row["state"]] = row["n"]
        for name, value in occupancies.items():
            by_queue[name]["operator_occupancy"] = value
        for out in outbound:
            # The queue's campaigns' customers, beside its inbound callers.
            by_queue.setdefault(out.queue, {"waiting": [], "operators": {}})["outbound_today"] = {
                "dialled": out.dialled,
                "answered": out.answered,
                "connected": out.connected,
                "abandoned": out.abandoned,
                "avg_wait_s": out.avg_wait_s,
                "avg_talk_s": out.avg_talk_s,
            }
        for fig in figures:
            by_queue.setdefault(fig.queue, {"waiting": [], "operators": {}})["today"] = {
                "offered": fig.offered,
                "answered": fig.answered,
                "abandoned": fig.abandoned,
                "service_level": fig.service_level,
                "service_level_target": target_of(fig.queue),
                "service_level_at_risk": (
                    fig.service_level is not None and fig.service_level < target_of(fig.queue)
                ),
                "avg_speed_of_answer_s": fig.avg_speed_of_answer_s,
                "avg_handle_s": fig.avg_handle_s(wrapup_of(fig.queue)),
                "abandon_rate": fig.abandon_rate,
            }
        return by_queue

    result = run_async(go())
    if as_json:
        emit_json(result)
        return
    rows = []
    for name, entry in sorted(result.items()):
        today = entry.get("today") or {}
        longest = max((w["wait_s"] for w in entry["waiting"]), default=0)
        ops = ", ".join(f"{k}:{v}" for k, v in sorted(entry["operators"].items()))
        rows.append(
            [
                name,
                len(entry["waiting"]),
                f"{longest}s" if entry["waiting"] else "",
                ops,
                today.get("offered", 0),
                _sl(today),
                _secs(today.get("avg_speed_of_answer_s")),
                _secs(today.get("avg_handle_s")),
                _pct(today.get("abandon_rate")),
                _pct(entry.get("operator_occupancy")),
            ]
        )
    print_table(
        f"Queues (today, {settings.reports.timezone})",
        [
            "queue",
            "waiting",
            "longest",
            "operators",
            "offered",
            "SL",
            "ASA",
            "AHT",
            "abandoned",
            "occupancy",
        ],
        rows,
    )


def center_day_start(now: datetime, timezone: str) -> datetime:
    """Midnight of the call center's day (``reports.timezone``), as an aware instant."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _sl(today: dict[str, Any]) -> str:
    text = _pct(today.get("service_level"))
    # Below the queue's service_level_target: the figure a supervisor must act on.
    return f"[red]{text}[/red]" if text and today.get("service_level_at_risk") else text


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _secs(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}s"
