"""``callrouter recordings ...``: list and fetch call recordings (export and purge are in
``_recordings_archive.py``).

Files are fetched and deleted through ARI's stored recordings (``/recordings/stored``),
so the CLI needs no access to Asterisk's disk, only ``ari.url`` and its credentials.
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import typer

from callrouter.ari import AriClient
from callrouter.ari.errors import AriNotFound
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
from callrouter.errors import NotFound
from callrouter.store import DbConnection
from callrouter.store import calls as call_log
from callrouter.store import recordings as store_recordings
from callrouter.store.recordings import list_recordings

__all__ = [
    "ari_client",
    "file_name",
    "file_path",
    "recorded_s",
    "recordings_app",
    "say",
    "utc",
    "warn",
    "write_atomically",
]

recordings_app = typer.Typer(
    help="Call recordings: list, get (through ARI), export a period, purge old ones.",
    no_args_is_help=True,
)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def say(message: str) -> None:
    """One line of plain text on stdout: no markup, no highlighting, no wrapping."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    err_console.print(message, markup=False, highlight=False)


def _record_dict(record: Any) -> dict[str, Any]:
    return {key: record[key] for key in record.keys()}  # noqa: SIM118 - asyncpg.Record


def utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def file_name(name: str, fmt: str) -> str:
    """``<name>.<format>``, safe as a file name whatever the database holds."""
    safe = _UNSAFE.sub("_", name).lstrip(".") or "recording"
    return f"{safe}.{_UNSAFE.sub('_', fmt)}"


def file_path(name: str, fmt: str) -> Path:
    """``<name>.<format>`` as a relative path that keeps the name's folders (a tenant's
    ``acme/...``), each part made safe: nothing in it can climb out of the folder."""
    *folders, base = name.split("/")
    safe = [part for part in (_UNSAFE.sub("_", f).lstrip(".") for f in folders) if part]
    return Path(*safe, file_name(base, fmt))


def write_atomically(path: Path, data: bytes) -> None:
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
                await asyncio.to_thread(write_atomically, target, data)
                written.append((str(target), len(data)))
        return written

    for path, size in run_async(go()):
        say(f"wrote {path} ({size} bytes)")
