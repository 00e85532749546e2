"""``callrouter db ...``: the schema's migrations."""

from __future__ import annotations

from pathlib import Path

import typer

from callrouter.cli._runtime import (
    console,
    database_pool,
    emit_json,
    print_table,
    run_async,
    state_of,
)
from callrouter.store import (
    DEFAULT_MIGRATIONS_DIR,
    MigrationState,
    apply_migrations,
    migration_status,
)

db_app = typer.Typer(help="Database schema: apply and inspect migrations.", no_args_is_help=True)


def _folder(ctx: typer.Context) -> Path:
    return state_of(ctx).settings.database.migrations_dir or DEFAULT_MIGRATIONS_DIR


@db_app.command("migrate")
def migrate(ctx: typer.Context) -> None:
    """Apply every pending migration (safe to run on several nodes at once)."""
    state = state_of(ctx)

    async def go() -> list[int]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            return await apply_migrations(conn, _folder(ctx))

    applied = run_async(go())
    if applied:
        console.print(f"applied {len(applied)} migration(s): {', '.join(map(str, applied))}")
    else:
        console.print("database is up to date")


@db_app.command("status")
def status(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """List applied and pending migrations."""
    state = state_of(ctx)

    async def go() -> list[MigrationState]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            return await migration_status(conn, _folder(ctx))

    states = run_async(go())
    rows = [
        {"version": s.version, "name": s.name, "state": s.state, "applied_at": s.applied_at}
        for s in states
    ]
    if as_json:
        emit_json(rows)
        return
    print_table(
        "Migrations",
        ["version", "name", "state", "applied at"],
        [[r["version"], r["name"], r["state"], r["applied_at"]] for r in rows],
    )
