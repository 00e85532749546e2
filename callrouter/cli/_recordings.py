"""``callrouter recordings ...``: list, fetch, export and purge call recordings.

Files are fetched and deleted through ARI's stored recordings (``/recordings/stored``),
so the CLI needs no access to Asterisk's disk, only ``ari.url`` and its credentials.
"""

from __future__ import annotations

import asyncio
import csv
import re
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import typer

from callrouter.ari import AriClient
from callrouter.ari.errors import AriAuthError, AriConnectionError, AriError, AriNotFound
from callrouter.cli._columns import Column, print_compact_table, short_id, short_time
from callrouter.cli._runtime import (
    CliState,
    console,
    database_pool,
    emit_json,
    err_console,
    run_async,
    state_of,
)
from callrouter.errors import ExternalError, NotFound
from callrouter.store import DbConnection
from callrouter.store import calls as call_log
from callrouter.store import recordings as store_recordings
from callrouter.store.recordings import list_recordings
from callrouter.store.retention import PurgeResult, purge_recordings, recordings_to_purge

__all__ = ["file_name", "recorded_s", "recordings_app"]

recordings_app = typer.Typer(
    help="Call recordings: list, get (through ARI), export a period, purge old ones.",
    no_args_is_help=True,
)

INDEX_COLUMNS = (
    "call_id",
    "caller",
    "caller_name",
    "queue",
    "operator",
    "started",
    "duration_s",
    "file",
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _say(message: str) -> None:
    """One line of plain text on stdout: no markup, no highlighting, no wrapping."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def _warn(message: str) -> None:
    err_console.print(message, markup=False, highlight=False)


def _record_dict(record: Any) -> dict[str, Any]:
    return {key: record[key] for key in record.keys()}  # noqa: SIM118 - asyncpg.Record


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def file_name(name: str, fmt: str) -> str:
    """``<name>.<format>``, safe as a file name whatever the database holds."""
    safe = _UNSAFE.sub("_", name).lstrip(".") or "recording"
    return f"{safe}.{_UNSAFE.sub('_', fmt)}"


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary file: an interrupted fetch leaves no truncated audio."""
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    part.replace(path)


@asynccontextmanager
async def ari_client(state: CliState) -> AsyncIterator[AriClient]:
    ari = state.settings.ari
    async with AriClient(
        base_url=ari.url,
        username=ari.username,
        password=ari.password.get_secret_value(),
        app=ari.app,
        request_timeout=ari.request_timeout_s,
    ) as client:
        yield client


# -- list, get ---------------------------------------------------------------------------


async def _call_id(conn: DbConnection, ident: str) -> uuid.UUID:
    """The call ``ident`` names: its id, a unique id prefix (as listed) or its channel id."""
    detail = await call_log.get_call(conn, ident)  # NotFound, or InvalidInput if ambiguous
    call_id: uuid.UUID = detail.call["id"]
    return call_id


@recordings_app.command("list")
def list_command(
    ctx: typer.Context,
    call: str | None = typer.Option(
        None, "--call", help="Only this call's recordings (id, or the prefix listed)."
    ),
    limit: int = typer.Option(50, min=1, help="How many recordings, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The newest recordings with their call, caller, queue, operator, duration and state.

    A recording shows by its call's id prefix, which ``recordings get`` takes (its full
    name is in ``--json``); the start as HH:MM:SS today or the date before; the duration
    in seconds to a tenth (``--json`` has Asterisk's own whole-second figure).
    """
    state = state_of(ctx)

    async def go() -> list[dict[str, Any]]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            call_id = await _call_id(conn, call) if call else None
            rows = await list_recordings(conn, limit=limit, call_id=call_id)
            return [_record_dict(r) for r in rows]

    rows = run_async(go())
    if as_json:
        emit_json(rows)
        return
    now = datetime.now(UTC)
    print_compact_table(
        "Recordings",
        [
            Column("call"),
            Column("started"),
            Column("caller"),
            Column("queue", fold=True),
            Column("operator", fold=True),
            Column("dur", justify="right"),
            Column("state"),
        ],
        [
            [
                short_id(r["call_id"]),
                short_time(r["started_at"], now),
                r["caller_number"],
                r["queue_name"],
                r["operator_id"],
                tenths(recorded_s(r["duration_s"], r["started_at"], r["ended_at"])),
                r["state"],
            ]
            for r in rows
        ],
    )


def recorded_s(
    asterisk_s: float | Decimal | None, started_at: datetime | None, ended_at: datetime | None
) -> float | None:
    """How long a recording is, as precisely as the row tells.

    Asterisk reports whole seconds, cut down (5 for 5.98 s). callrouter's own clock
    (start to finish) is exact, but counts time spent paused too. When the clock falls
    within the second Asterisk names, nothing was paused that Asterisk could see: the
    clock is the length. Otherwise Asterisk's figure stands (a paused recording).
    """
    if asterisk_s is None:
        return None
    reported = float(asterisk_s)
    if started_at is None or ended_at is None or not reported.is_integer():
        return reported
    clock = (ended_at - started_at).total_seconds()
    return clock if reported <= clock < reported + 1 else reported


def tenths(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


async def _targets(conn: DbConnection, ident: str) -> list[asyncpg.Record]:
    """The rows ``ident`` names: one recording by name, else a call's recordings."""
    rows = await store_recordings.recordings_by_name(conn, ident)
    if rows:
        return rows
    try:
        call_id = await _call_id(conn, ident)
    except NotFound:
        return []
    return await store_recordings.recordings_of_call(conn, call_id)


@recordings_app.command("get")
def get_command(
    ctx: typer.Context,
    ident: str = typer.Argument(
        ..., help="Recording name, or a call id or its listed prefix (all its recordings)."
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="File to write, '-' for stdout, or a folder (default: ./<name>.<format>).",
    ),
) -> None:
    """Fetch a recording from Asterisk (ARI stored recordings) and write it to a file.

    A name Asterisk has but the database does not know is fetched as well.
    A purged recording, or one Asterisk no longer has, is not found (exit 5).
    """
    state = state_of(ctx)
    folder = output if output is not None and output.is_dir() else None

    async def go() -> list[tuple[str, int]]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            rows = await _targets(conn, ident)
        wanted = [(r["name"], r["format"]) for r in rows if r["state"] != "deleted"]
        if rows and not wanted:
            raise NotFound(f"recording {ident!r} was purged")
        if len(wanted) > 1 and output is not None and folder is None:
            names = ", ".join(name for name, _ in wanted)
            raise typer.BadParameter(
                f"call {ident} has {len(wanted)} recordings ({names}): name one", param_hint="ID"
            )
        written: list[tuple[str, int]] = []
        async with ari_client(state) as client:
            if not wanted:
                try:
                    stored = await client.recordings.get_stored(ident)
                except AriNotFound:
                    raise NotFound(f"no recording or call {ident!r}") from None
                wanted = [(stored.name, stored.format)]
            for name, fmt in wanted:
                try:
                    data = await client.recordings.get_stored_file(name)
                except AriNotFound:
                    raise NotFound(f"Asterisk has no file for recording {name!r}") from None
                if output is not None and str(output) == "-":
                    sys.stdout.buffer.write(data)
                    sys.stdout.buffer.flush()
                    continue
                target = output
                if target is None or folder is not None:
                    target = (folder or Path()) / file_name(name, fmt)
                await asyncio.to_thread(_write, target, data)
                written.append((str(target), len(data)))
        return written

    for path, size in run_async(go()):
        _say(f"wrote {path} ({size} bytes)")


# -- export ------------------------------------------------------------------------------


@dataclass
class ExportResult:
    index: list[list[str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)


def _write_index(path: Path, rows: list[list[str]]) -> None:
    part = path.with_name(path.name + ".part")
    with part.open("w", newline="", encoding="utf-8") as index_file:
        index = csv.writer(index_file)
        index.writerow(INDEX_COLUMNS)
        index.writerows(rows)
    part.replace(path)


async def _in_range(
    conn: DbConnection, since: datetime | None, until: datetime | None
) -> list[asyncpg.Record]:
    return await store_recordings.recordings_started_between(conn, since, until)


@recordings_app.command("export")
def export_command(
    ctx: typer.Context,
    output: Path = typer.Option(
        ..., "--output", "-o", file_okay=False, help="Folder for the files and index.csv."
    ),
    since: datetime | None = typer.Option(None, help="Recordings started at or after (UTC)."),
    until: datetime | None = typer.Option(None, help="Recordings started before (UTC)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Fetch every recording started from --since to --until into a folder, with index.csv.

    index.csv has one line per file written: call_id, caller, caller_name,
    queue, operator, started, duration_s, file. A recording Asterisk no
    longer has is skipped with a warning and counted; any other failure makes
    the exit code 4.
    """
    state = state_of(ctx)
    output.mkdir(parents=True, exist_ok=True)

    async def go() -> ExportResult:
        async with database_pool(state) as pool, pool.acquire() as conn:
            rows = await _in_range(conn, _utc(since), _utc(until))
        result = ExportResult()
        async with ari_client(state) as client:
            for row in rows:
                name = row["name"]
                try:
                    data = await client.recordings.get_stored_file(name)
                except AriNotFound:
                    _warn(f"warning: {name}: not on Asterisk, skipped")
                    result.missing.append(name)
                    continue
                except (AriAuthError, AriConnectionError):
                    raise  # every other one would fail the same way
                except AriError as exc:
                    _warn(f"error: {name}: {exc}")
                    result.failed.append({"name": name, "error": str(exc)})
                    continue
                fname = file_name(name, row["format"])
                await asyncio.to_thread(_write, output / fname, data)
                result.index.append(
                    [
                        str(row["call_id"]),
                        row["caller_number"],
                        row["caller_name"],
                        row["queue_name"] or "",
                        row["operator_id"] or "",
                        row["started_at"].astimezone(UTC).isoformat(),
                        "" if row["duration_s"] is None else str(row["duration_s"]),
                        fname,
                    ]
                )
        return result

    result = run_async(go())
    _write_index(output / "index.csv", result.index)
    if as_json:
        emit_json(
            {
                "exported": len(result.index),
                "missing": result.missing,
                "failed": result.failed,
                "index": str(output / "index.csv"),
            }
        )
    else:
        _say(
            f"exported {len(result.index)} recording(s) to {output}; {len(result.missing)}"
            f" missing on Asterisk, {len(result.failed)} failed"
        )
    if result.failed:
        raise typer.Exit(4)


# -- purge -------------------------------------------------------------------------------


@recordings_app.command("purge")
def purge_command(
    ctx: typer.Context,
    older_than_days: int | None = typer.Option(
        None, "--older-than-days", min=1, help="Default: recording.retention_days."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be deleted."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Delete recordings older than the retention period, on Asterisk and in the database.

    Each file is deleted through ARI, then its row is marked deleted (the
    call keeps its history). A file Asterisk no longer has counts as already
    gone and is marked too; a failure leaves the row for the next run and
    makes the exit code 4. With cluster.node set, only that node's calls'
    recordings. The running service purges the same way every
    recording.purge_interval_s.
    """
    state = state_of(ctx)
    days = older_than_days or state.settings.recording.retention_days
    now = datetime.now(UTC)

    async def go() -> tuple[list[str], PurgeResult]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            names = await recordings_to_purge(
                conn, now=now, retention_days=days, node=state.settings.cluster.node
            )
            if dry_run or not names:
                return names, PurgeResult()
            async with ari_client(state) as client:
                return names, await purge_recordings(conn, client.recordings, names)

    names, result = run_async(go())
    counts = {
        "deleted": len(result.deleted),
        "already_gone": len(result.already_gone),
        "failed": len(result.failed),
    }
    if as_json:
        extra = (
            {"would_delete": names}
            if dry_run
            else {"errors": result.failed, "not_tried": result.not_tried}
        )
        emit_json(
            {
                "older_than_days": days,
                "dry_run": dry_run,
                "candidates": len(names),
                **counts,
                **extra,
            }
        )
    elif dry_run:
        for name in names:
            _say(name)
        _say(f"would delete {len(names)} recording(s) older than {days} days")
    else:
        for failure in result.failed:
            _warn(f"error: {failure['name']}: {failure['error']}")
        _say(
            f"deleted {counts['deleted']}, already gone {counts['already_gone']},"
            f" failed {counts['failed']} (older than {days} days)"
        )
    if result.aborted is not None:
        raise ExternalError(f"purge stopped, {result.not_tried} not tried: {result.aborted}")
    if result.failed:
        raise typer.Exit(4)
