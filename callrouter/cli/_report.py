"""``callrouter report queues|operators|campaigns``: interval reports from the database.

The figures and their formulas are the store's (``callrouter.store.reports``); this only
parses the period and prints the rows as a table, CSV or JSON.
"""

from __future__ import annotations

import csv
import enum
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import typer

from callrouter.cli._runtime import database_pool, emit_json, print_table, run_async, state_of
from callrouter.store.reports import (
    CampaignInterval,
    OperatorInterval,
    QueueInterval,
    ReportKind,
    ReportRow,
    period_of,
    report_rows,
    run_report,
)

__all__ = ["flatten", "register"]


class Kind(enum.StrEnum):
    QUEUES = "queues"
    OPERATORS = "operators"
    CAMPAIGNS = "campaigns"


class Format(enum.StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    ctx: typer.Context,
    kind: Kind = typer.Argument(..., help="queues, operators or campaigns."),
    start: str = typer.Option(
        ..., "--from", help="First day (2026-03-29) or local time (2026-03-29T08:00)."
    ),
    end: str | None = typer.Option(
        None, "--to", help="Last day, included (default: the --from day), or a local time."
    ),
    interval: str = typer.Option("1h", "--interval", help="15m, 30m, 1h or 1d."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, csv or json."),
) -> None:
    """Figures by interval, in the call center's time zone (reports.timezone)."""
    state = state_of(ctx)
    settings = state.settings
    period = period_of(settings, start=start, end=end, interval=interval)
    chosen: ReportKind = kind.value  # Kind mirrors ReportKind

    async def go() -> list[ReportRow]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            return await run_report(conn, chosen, period, settings, now=datetime.now(UTC))

    rows = run_async(go())
    if fmt is Format.JSON:
        emit_json({"report": chosen, "timezone": period.timezone, "interval": period.interval,
                   "rows": report_rows(rows)})  # fmt: skip
    elif fmt is Format.CSV:
        columns, values = flatten(report_rows(rows))
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(values)
    else:
        _print(kind, rows, daily=period.interval == "1d")


def flatten(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """CSV columns: nested counts (outcomes, pauses by reason) become ``field.key``
    columns, over the union of keys in the report, so every row has the same columns."""
    columns: list[str] = []
    nested: dict[str, list[str]] = {}
    for name, value in rows[0].items() if rows else ():
        if isinstance(value, dict):
            keys = sorted({k for row in rows for k in row[name]})
            nested[name] = keys
            columns.extend(f"{name}.{k}" for k in keys)
        else:
            columns.append(name)
    values = []
    for row in rows:
        line: list[Any] = []
        for name, value in row.items():
            if name in nested:
                line.extend(value.get(k, 0) for k in nested[name])
            else:
                line.append("" if value is None else value)
        values.append(line)
    return columns, values


def _when(start: datetime, *, daily: bool) -> str:
    # The offset tells the two 02:00s of a fall-back night apart.
    return start.strftime("%Y-%m-%d") if daily else start.strftime("%Y-%m-%d %H:%M%z")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _secs(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}s"


def _queue_cells(r: QueueInterval) -> list[object]:
    return [r.queue, r.offered, r.answered, r.abandoned, r.short_abandoned,
            _pct(r.service_level), _secs(r.avg_speed_of_answer_s), _secs(r.avg_handle_s),
            _secs(r.avg_wrapup_s), _secs(r.longest_wait_s), r.callbacks]  # fmt: skip


def _operator_cells(r: OperatorInterval) -> list[object]:
    pauses = ", ".join(f"{k} {v:.0f}s" for k, v in r.pause_by_reason.items())
    return [r.operator, r.calls_handled, _secs(r.logged_in_s), _secs(r.talk_s),
            _secs(r.wrapup_s), pauses, _pct(r.occupancy)]  # fmt: skip


def _campaign_cells(r: CampaignInterval) -> list[object]:
    per_hour = r.connects_per_operator_hour
    return [r.campaign, r.attempts, r.contacts, _pct(r.contact_rate), _pct(r.abandon_rate),
            r.connected, f"{r.operator_hours:.2f}",
            "" if per_hour is None else f"{per_hour:.1f}"]  # fmt: skip


_TABLES: dict[Kind, tuple[list[str], Callable[[Any], list[object]]]] = {
    Kind.QUEUES: (["queue", "offered", "answered", "abandoned", "short", "SL", "ASA", "AHT",
                   "wrap-up", "longest", "callbacks"], _queue_cells),
    Kind.OPERATORS: (["operator", "handled", "logged in", "talk", "wrap-up", "pauses",
                      "occupancy"], _operator_cells),
    Kind.CAMPAIGNS: (["campaign", "attempts", "contacts", "contact", "abandon", "connects",
                      "op-hours", "per op-hour"], _campaign_cells),
}  # fmt: skip


def _print(kind: Kind, rows: Sequence[ReportRow], *, daily: bool) -> None:
    columns, cells = _TABLES[kind]
    print_table(
        f"{kind.value} by {'day' if daily else 'interval'}",
        ["interval", *columns],
        [[_when(r.start, daily=daily), *cells(r)] for r in rows],
    )
