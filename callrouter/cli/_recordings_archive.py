"""``callrouter recordings export`` and ``purge``: a period's recordings, or those past
retention, for the whole center or, with ``--tenant``, one tenant.

Both go through ARI like the rest of ``recordings``. A tenant's recordings live in its
own folder on Asterisk (``acme/callrouter-<call id>``); an export keeps that folder, so
the files of a center-wide export are sorted by tenant. A purge holds each recording to
its tenant's retention (``store/retention.py``).
"""

from __future__ import annotations

import asyncio
import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import typer

from callrouter.ari.errors import AriAuthError, AriConnectionError, AriError, AriNotFound
from callrouter.cli._recordings import ari_client, file_path, say, utc, warn, write_atomically
from callrouter.cli._runtime import CliState, database_pool, emit_json, run_async, state_of
from callrouter.errors import ExternalError
from callrouter.store import recordings as store_recordings
from callrouter.store.retention import PurgeResult, purge_recordings, recordings_to_purge

__all__ = ["INDEX_COLUMNS", "register"]

INDEX_COLUMNS = (
    "call_id",
    "caller",
    "caller_name",
    "queue",
    "operator",
    "started",
    "duration_s",
    "file",
    "tenant",
)


def register(recordings: typer.Typer) -> None:
    recordings.command("export")(export_command)
    recordings.command("purge")(purge_command)


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
    queue, operator, started, duration_s, file, tenant. A tenant's files go to
    its folder (file: acme/callrouter-....wav), as on Asterisk; with --tenant,
    only that tenant's. A recording Asterisk no longer has is skipped with a
    warning and counted; any other failure makes the exit code 4.
    """
    state = state_of(ctx)
    output.mkdir(parents=True, exist_ok=True)
    result = run_async(_export(state, output, utc(since), utc(until)))
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
        say(
            f"exported {len(result.index)} recording(s) to {output}; {len(result.missing)}"
            f" missing on Asterisk, {len(result.failed)} failed"
        )
    if result.failed:
        raise typer.Exit(4)


async def _export(
    state: CliState, output: Path, since: datetime | None, until: datetime | None
) -> ExportResult:
    async with database_pool(state) as pool, pool.acquire() as conn:
        rows = await store_recordings.recordings_started_between(conn, since, until)
    result = ExportResult()
    async with ari_client(state) as client:
        for row in rows:
            name = row["name"]
            try:
                data = await client.recordings.get_stored_file(name)
            except AriNotFound:
                warn(f"warning: {name}: not on Asterisk, skipped")
                result.missing.append(name)
                continue
            except (AriAuthError, AriConnectionError):
                raise  # every other one would fail the same way
            except AriError as exc:
                warn(f"error: {name}: {exc}")
                result.failed.append({"name": name, "error": str(exc)})
                continue
            relative = file_path(name, row["format"])
            (output / relative).parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(write_atomically, output / relative, data)
            result.index.append(
                [
                    str(row["call_id"]),
                    row["caller_number"],
                    row["caller_name"],
                    row["queue_name"] or "",
                    row["operator_id"] or "",
                    row["started_at"].astimezone(UTC).isoformat(),
                    "" if row["duration_s"] is None else str(row["duration_s"]),
                    relative.as_posix(),
                    row["tenant"],
                ]
            )
    return result


# -- purge -------------------------------------------------------------------------------


def purge_command(
    ctx: typer.Context,
    older_than_days: int | None = typer.Option(
        None,
        "--older-than-days",
        min=1,
        help="Default: each recording's tenant's recording_retention_days, else"
        " recording.retention_days.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be deleted."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Delete recordings older than the retention period, on Asterisk and in the database.

    Each recording is held to its tenant's recording_retention_days, else
    recording.retention_days (--older-than-days: one period for all); with
    --tenant, only that tenant's recordings, by its retention. Each file is
    deleted through ARI, then its row is marked deleted (the call keeps its
    history). A file Asterisk no longer has counts as already gone and is
    marked too; a failure leaves the row for the next run and makes the exit
    code 4. With cluster.node set, only that node's calls' recordings. The
    running service purges the same way every recording.purge_interval_s.
    """
    state = state_of(ctx)
    settings = state.settings
    days = older_than_days or settings.recording.retention_days
    own = {} if older_than_days else settings.tenant_retention_days()
    if state.tenant is not None:
        # Its rows only (row-level security): its retention is the one that applies.
        days, own = own.get(state.tenant, days), {}
    now = datetime.now(UTC)

    async def go() -> tuple[list[str], PurgeResult]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            names = await recordings_to_purge(
                conn, now=now, retention_days=days, tenant_retention_days=own,
                node=settings.cluster.node,
            )  # fmt: skip
            if dry_run or not names:
                return names, PurgeResult()
            async with ari_client(state) as client:
                return names, await purge_recordings(conn, client.recordings, names)

    names, result = run_async(go())
    _report_purge(names, result, days=days, own=own, dry_run=dry_run, as_json=as_json)
    if result.aborted is not None:
        raise ExternalError(f"purge stopped, {result.not_tried} not tried: {result.aborted}")
    if result.failed:
        raise typer.Exit(4)


def _report_purge(
    names: list[str],
    result: PurgeResult,
    *,
    days: int,
    own: dict[str, int],
    dry_run: bool,
    as_json: bool,
) -> None:
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
                "tenant_retention_days": own,
                "dry_run": dry_run,
                "candidates": len(names),
                **counts,
                **extra,
            }
        )
        return
    period = f"older than {days} days" + "".join(
        f"; tenant {tenant}'s older than {d} days" for tenant, d in sorted(own.items())
    )
    if dry_run:
        for name in names:
            say(name)
        say(f"would delete {len(names)} recording(s) {period}")
        return
    for failure in result.failed:
        warn(f"error: {failure['name']}: {failure['error']}")
    say(
        f"deleted {counts['deleted']}, already gone {counts['already_gone']},"
        f" failed {counts['failed']} ({period})"
    )
